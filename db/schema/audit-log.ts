import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns";

export const ACTOR_KINDS = ["user", "token", "oauth_client", "cli", "system", "anonymous"] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export const OUTCOMES = ["success", "failure", "denied"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Append-only: the application has an insert path and read paths, never an
 * update or delete. `seq` gives a total order that does not depend on clocks.
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
  },
  (t) => [
    index("audit_at_idx").on(t.at),
    index("audit_actor_idx").on(t.actorId, t.seq),
    index("audit_action_idx").on(t.action, t.seq),
  ],
);

export type AuditRow = typeof auditLog.$inferSelect;
