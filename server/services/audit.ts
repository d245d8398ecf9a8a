import { desc } from "drizzle-orm";
import type { Executor } from "@/db";
import { preparedInsert, preparedOnce } from "@/db/prepared";
import { type ActorKind, type AuditRow, auditLog, type Outcome } from "@/db/schema";
import { canonicalize, entryHash, GENESIS_HASH } from "../audit/chain";
import { type AuditFilter, auditPage } from "../audit/filter";
import type { ClientInfo, Principal } from "../auth/principal";
import type { Clock } from "../clock";
import { newId } from "../ids";
import { noteAuditedEvent } from "../observability/traffic";
import { redactRecord } from "../security/redact";

export interface Actor {
  kind: ActorKind;
  id: string | null;
  /**
   * For a token actor, the user it acts for. The audit row names the token
   * (actor_id = tok_…) and keeps the user in its detail as `actorUserId`.
   */
  userId?: string;
}

export const CLI_ACTOR: Actor = { kind: "cli", id: null };
export const SYSTEM_ACTOR: Actor = { kind: "system", id: null };
export const ANONYMOUS_ACTOR: Actor = { kind: "anonymous", id: null };

export function actorOf(principal: Principal | null): Actor {
  if (!principal) return ANONYMOUS_ACTOR;
  if (principal.kind === "token") return { kind: "token", id: principal.tokenId, userId: principal.userId };
  if (principal.kind === "oauth") return { kind: "oauth_client", id: principal.clientId, userId: principal.userId };
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
 * through the shared redaction step, then is stored as canonical JSON.
 *
 * The entry joins the hash chain (server/audit/chain.ts): the current head's
 * hash is read here, INSIDE the caller's transaction, and becomes this
 * entry's prev_hash. Why that cannot fork the chain:
 * - within one process, better-sqlite3 is synchronous and transactions are
 *   synchronous callbacks: nothing else runs between the read and the insert;
 * - across processes (several servers, or the CLI, on one database file),
 *   SQLite has one writer at a time. With BEGIN IMMEDIATE (what
 *   auditTransaction uses) the write lock is held before the head is read, so
 *   the head is current. With drizzle's default DEFERRED transactions the head
 *   is read under a snapshot and the INSERT must then upgrade to the write
 *   lock; in WAL mode SQLite refuses that upgrade (SQLITE_BUSY_SNAPSHOT) if
 *   any other connection committed since the snapshot began, so an entry
 *   chained to a stale head can never commit: its transaction fails and rolls
 *   back instead (the caller may retry). Deferred is therefore safe for the
 *   chain, only less patient under contention than IMMEDIATE.
 * - the unique index on prev_hash is the last line of defence: a second entry
 *   claiming the same predecessor is a constraint error, never a fork.
 */
export function recordAudit(tx: Executor, clock: Clock, entry: AuditEntry): void {
  const detail = entry.actor.userId ? { actorUserId: entry.actor.userId, ...entry.detail } : entry.detail;
  const stored = detail ? (canonicalize(redactRecord(detail)) as Record<string, unknown>) : null;
  const row = {
    id: newId("audit"),
    at: new Date(clock.now().getTime()),
    actorKind: entry.actor.kind,
    actorId: entry.actor.id,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    outcome: entry.outcome ?? "success",
    ip: entry.client.ip,
    userAgent: entry.client.userAgent?.slice(0, 512) ?? null,
    requestId: entry.client.requestId,
    detail: stored,
  } satisfies typeof auditLog.$inferInsert;
  const head = chainHead(tx).get();
  // An empty head hash is a row from before the chain existed: start from genesis.
  const prevHash = head?.hash || GENESIS_HASH;
  // drizzle stores a json column as JSON.stringify(value): hash exactly that text.
  const hash = entryHash(prevHash, {
    ...row,
    at: row.at.getTime(),
    detail: stored ? JSON.stringify(stored) : null,
  });
  appendEntry(tx)({ ...row, prevHash, hash });
  noteAuditedEvent(entry.action, row.at);
}

// Every audited write runs these two: prepared once per connection (db/prepared.ts).
function chainHead(tx: Executor) {
  return preparedOnce(tx, "audit.head", () =>
    tx.select({ hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1).prepare(),
  );
}

const ENTRY_COLUMNS = [
  "id",
  "at",
  "actorKind",
  "actorId",
  "action",
  "targetType",
  "targetId",
  "outcome",
  "ip",
  "userAgent",
  "requestId",
  "detail",
  "prevHash",
  "hash",
] as const;

const appendEntry = (tx: Executor) => preparedInsert(tx, "audit.append", auditLog, ENTRY_COLUMNS);

/**
 * A write transaction that takes SQLite's write lock first (BEGIN IMMEDIATE):
 * under contention from another process it waits (busy_timeout) instead of
 * failing. For code that only appends audit entries (aggregated events,
 * exports, pruning); services may use it too.
 */
export function auditTransaction<T>(db: Executor, fn: (tx: Executor) => T): T {
  return db.transaction(fn, { behavior: "immediate" });
}

export interface AuditQuery extends AuditFilter {
  /** Keyset cursor: the `seq` of the last entry of the previous page. */
  cursor?: number;
  limit: number;
}

/**
 * Newest first, keyset-paginated on `seq` so deep pages stay as fast as the
 * first. The filters are those of server/audit/filter.ts, each on an index
 * ending in seq.
 */
export function listAudit(db: Executor, query: AuditQuery): { items: AuditRow[]; nextCursor: number | null } {
  const { cursor, limit, ...filter } = query;
  const rows = auditPage(db, filter, { direction: "desc", cursor, limit: limit + 1 });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? last.seq : null };
}
