import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns";

export const ACTOR_KINDS = ["user", "token", "oauth_client", "cli", "system", "anonymous"] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export const OUTCOMES = ["success", "failure", "denied"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Append-only: the application has an insert path and read paths, never an
 * update; the retention job (server/audit/retention.ts) is the only delete,
 * and it records what it removed. `seq` gives a total order that does not
 * depend on clocks.
 *
 * Hash chain (server/audit/chain.ts): `hash` is SHA-256 over the previous
 * entry's hash and this entry's canonical content; `prev_hash` is that
 * previous hash. The unique index on `prev_hash` makes a fork impossible at
 * the database level: two entries can never claim the same predecessor.
 * Rows written before the chain existed have empty hashes (see chain.ts).
 *
 * Full-text search on `detail` uses the FTS5 table `audit_search`, kept in
 * step by triggers (db/migrations/*_audit_search.sql, a custom migration:
 * drizzle cannot describe virtual tables).
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(), // aud_…
    at: timestamp("at").notNull(),
    actorKind: text("actor_kind", { enum: ACTOR_KINDS }).notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(), // e.g. contact.delete
    targetType: text("target_type"),
    targetId: text("target_id"),
    outcome: text("outcome", { enum: OUTCOMES }).notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
    /** The part of `action` before the dot, for "all of an area" filters on an index. Derived, so not hashed. */
    area: text("area").generatedAlwaysAs(sql`substr(action, 1, instr(action, '.') - 1)`, { mode: "virtual" }),
    prevHash: text("prev_hash").notNull().default(""),
    hash: text("hash").notNull().default(""),
  },
  (t) => [
    index("audit_at_idx").on(t.at),
    index("audit_actor_idx").on(t.actorId, t.seq),
    index("audit_action_idx").on(t.action, t.seq),
    // One index per filter of the Audit page, each ending in seq so that a
    // filtered page is a keyset range scan in seq order (no sort).
    index("audit_area_idx").on(t.area, t.seq),
    index("audit_target_idx").on(t.targetId, t.seq),
    index("audit_outcome_idx").on(t.outcome, t.seq),
    index("audit_ip_idx").on(t.ip, t.seq),
    index("audit_request_idx").on(t.requestId),
    uniqueIndex("audit_prev_hash_unique").on(t.prevHash).where(sql`${t.prevHash} <> ''`),
  ],
);

export type AuditRow = typeof auditLog.$inferSelect;
