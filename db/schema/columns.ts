import { integer } from "drizzle-orm/sqlite-core";

/**
 * Timestamps are stored as integer milliseconds since the epoch (UTC). They are
 * set by the services (which take an injectable clock), not by SQL defaults, so
 * that tests can control time and every row agrees with the audit entry that
 * recorded it.
 */
export const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

export const createdAt = () => timestamp("created_at").notNull();
export const updatedAt = () => timestamp("updated_at").notNull();

/** Column sizes shared by the schema and the zod input schemas. */
export const LIMITS = {
  email: 254, // RFC 5321 path limit
  userName: 200,
  contactName: 200,
  phone: 16, // E.164: "+" and at most 15 digits
  notes: 2000,
  userAgent: 512,
  ip: 64,
  auditAction: 64,
  auditTarget: 128,
} as const;
