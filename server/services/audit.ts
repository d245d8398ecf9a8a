import { and, desc, eq, gte, lt, lte, type SQL, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { type ActorKind, type AuditRow, auditLog, type Outcome } from "@/db/schema";
import type { ClientInfo, Principal } from "../auth/principal";
import type { Clock } from "../clock";
import { newId } from "../ids";
import { redactRecord } from "../security/redact";

export interface Actor {
  kind: ActorKind;
  id: string | null;
}

export const CLI_ACTOR: Actor = { kind: "cli", id: null };
export const SYSTEM_ACTOR: Actor = { kind: "system", id: null };
export const ANONYMOUS_ACTOR: Actor = { kind: "anonymous", id: null };

export function actorOf(principal: Principal | null): Actor {
  if (!principal) return ANONYMOUS_ACTOR;
  return { kind: "user", id: principal.userId };
}

export interface AuditEntry {
  actor: Actor;
  /** `area.verb`, e.g. `contact.delete`, `session.login_failed`. */
  action: `${string}.${string}`;
  target?: { type: string; id: string | null };
  outcome?: Outcome;
  client: ClientInfo;
  detail?: Record<string, unknown>;
}

/**
 * Appends one audit entry. Pass the transaction handle of the change being
 * recorded, so the entry commits or rolls back with it. The detail goes
 * through the shared redaction step.
 */
export function recordAudit(tx: Executor, clock: Clock, entry: AuditEntry): void {
  tx.insert(auditLog)
    .values({
      id: newId("audit"),
      at: clock.now(),
      actorKind: entry.actor.kind,
      actorId: entry.actor.id,
      action: entry.action,
      targetType: entry.target?.type ?? null,
      targetId: entry.target?.id ?? null,
      outcome: entry.outcome ?? "success",
      ip: entry.client.ip,
      userAgent: entry.client.userAgent?.slice(0, 512) ?? null,
      requestId: entry.client.requestId,
      detail: entry.detail ? redactRecord(entry.detail) : null,
    })
    .run();
}

export interface AuditQuery {
  actorId?: string;
  action?: string;
  since?: Date;
  until?: Date;
  /** Keyset cursor: the `seq` of the last entry of the previous page. */
  cursor?: number;
  limit: number;
}

/** Newest first, keyset-paginated on `seq` so deep pages stay as fast as the first. */
export function listAudit(db: Executor, query: AuditQuery): { items: AuditRow[]; nextCursor: number | null } {
  const where: SQL[] = [];
  if (query.actorId) where.push(eq(auditLog.actorId, query.actorId));
  if (query.action) {
    // "contact." lists a whole area; anything else is an exact action.
    where.push(
      query.action.endsWith(".")
        ? sql`${auditLog.action} like ${`${query.action.replace(/[%_\\]/g, "\\$&")}%`} escape '\\'`
        : eq(auditLog.action, query.action),
    );
  }
  if (query.since) where.push(gte(auditLog.at, query.since));
  if (query.until) where.push(lte(auditLog.at, query.until));
  if (query.cursor !== undefined) where.push(lt(auditLog.seq, query.cursor));
  const rows = db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.seq))
    .limit(query.limit + 1)
    .all();
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > query.limit && last ? last.seq : null };
}
