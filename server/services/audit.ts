import { desc, sql } from "drizzle-orm";
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
export async function recordAudit(tx: Executor, clock: Clock, entry: AuditEntry): Promise<void> {
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
  const head = await chainHead(tx).get();
  // An empty head hash is a row from before the chain existed: start from genesis.
  const prevHash = head?.hash || GENESIS_HASH;
  // drizzle stores a json column as JSON.stringify(value): hash exactly that text.
  const hash = entryHash(prevHash, {
    ...row,
    at: row.at.getTime(),
    detail: stored ? JSON.stringify(stored) : null,
  });
  await appendEntry(tx)({ ...row, prevHash, hash });
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
export async function auditTransaction<T>(db: Executor, fn: (tx: Executor) => Promise<T>): Promise<T> {
  return await db.transaction(fn, { behavior: "immediate" });
}

export interface AuditQuery extends AuditFilter {
  /** Keyset cursor: the `seq` of the last entry of the previous page (in the same direction). */
  cursor?: number;
  limit: number;
  /** "desc" (default): newest first; "asc": oldest first. */
  direction?: "asc" | "desc";
}

/**
 * Newest first (or, asked for, oldest first), keyset-paginated on `seq` so
 * deep pages stay as fast as the first; seq is the chain's order, which
 * follows time up to the writers' clock skew (CLOCK_SKEW_MS), so it is the
 * order by time that never skips or repeats an entry. The filters are those
 * of server/audit/filter.ts, each on an index ending in seq, which serves
 * either direction.
 */
export async function listAudit(
  db: Executor,
  query: AuditQuery,
): Promise<{ items: DescribedAuditRow[]; nextCursor: number | null }> {
  const { cursor, limit, direction = "desc", ...filter } = query;
  const rows = await auditPage(db, filter, { direction, cursor, limit: limit + 1 });
  const items = await describeAuditRows(db, rows.slice(0, limit));
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? last.seq : null };
}

/**
 * Who an actor or target is, as a person reads it: an email and a name (or
 * the OAuth client's name, or "system"), with the id kept for hover, copy and
 * links. `userId` is the person behind it (a token's owner), so the dashboard
 * can link to that user; `deleted` when the id no longer names a record.
 */
export interface PartyRef {
  kind: "user" | "token" | "oauth_client" | "cli" | "system" | "anonymous" | "other";
  id: string | null;
  label: string;
  email: string | null;
  name: string | null;
  userId: string | null;
  deleted: boolean;
}

interface Resolved {
  kind: "user" | "token" | "oauth_client";
  id: string;
  email: string | null;
  name: string | null;
  userId: string | null;
}

const PREFIX_KIND = { usr_: "user", tok_: "token", ocl_: "oauth_client" } as const;
type PersonKind = (typeof PREFIX_KIND)[keyof typeof PREFIX_KIND];

function kindOfId(id: string): PersonKind | null {
  for (const [prefix, kind] of Object.entries(PREFIX_KIND)) if (id.startsWith(prefix)) return kind;
  return null;
}

/** At most this many ids per lookup: a page holds 200 entries, each with an actor, a target and a user. */
const RESOLVE_MAX = 1_000;

/**
 * Every usr_/tok_/ocl_ id of a page in ONE statement (a UNION ALL of three
 * primary-key lookups), however many entries the page has: a token comes with
 * its owner's email, an OAuth client with its name. Emails are plain in the
 * users table (stored lower-cased); nothing sealed is opened. Ids that match
 * no row are simply absent (deleted records).
 */
export async function resolveParties(db: Executor, ids: Iterable<string>): Promise<Map<string, Resolved>> {
  const byKind: Record<PersonKind, string[]> = { user: [], token: [], oauth_client: [] };
  for (const id of new Set(ids)) {
    const kind = kindOfId(id);
    if (kind && id.length <= 64) byKind[kind].push(id);
  }
  const out = new Map<string, Resolved>();
  const total = byKind.user.length + byKind.token.length + byKind.oauth_client.length;
  if (total === 0 || total > RESOLVE_MAX) return out;
  const list = (values: string[]) =>
    values.length > 0
      ? sql.join(
          values.map((v) => sql`${v}`),
          sql`, `,
        )
      : sql`null`;
  const rows = await db.all<{
    kind: PersonKind;
    id: string;
    email: string | null;
    name: string | null;
    userId: string | null;
  }>(sql`
    select 'user' as kind, u.id as id, u.email as email, u.name as name, u.id as userId
      from users u where u.id in (${list(byKind.user)})
    union all
    select 'token', t.id, u.email, t.name, t.user_id
      from api_tokens t join users u on u.id = t.user_id where t.id in (${list(byKind.token)})
    union all
    select 'oauth_client', c.id, null, c.name, null
      from oauth_clients c where c.id in (${list(byKind.oauth_client)})`);
  for (const row of rows) out.set(row.id, row);
  return out;
}

const KIND_NOUN: Record<PersonKind, string> = { user: "user", token: "API token", oauth_client: "OAuth client" };

/** One id as a PartyRef, from what resolveParties found (or did not: a deleted record). */
export function partyOf(id: string, found: Map<string, Resolved>, fallbackUserId?: string | null): PartyRef {
  const kind = kindOfId(id);
  const row = found.get(id);
  if (!kind) return { kind: "other", id, label: id, email: null, name: null, userId: null, deleted: false };
  if (!row) {
    // A deleted token still names its user in the entry (detail.actorUserId): show whom it acted for.
    const owner = fallbackUserId ? found.get(fallbackUserId) : undefined;
    return {
      kind,
      id,
      label: owner?.email ? `deleted ${KIND_NOUN[kind]} of ${owner.email}` : `deleted ${KIND_NOUN[kind]}`,
      email: owner?.email ?? null,
      name: null,
      userId: fallbackUserId ?? null,
      deleted: true,
    };
  }
  const label =
    kind === "user"
      ? (row.email ?? id)
      : kind === "token"
        ? `token “${row.name ?? id}” of ${row.email ?? "?"}`
        : (row.name ?? id);
  return { kind, id, label, email: row.email, name: row.name, userId: row.userId, deleted: false };
}

const FIXED_ACTOR_LABEL = { cli: "command line", system: "system", anonymous: "anonymous" } as const;

/** The email a failed sign-in or lockout recorded (the sign-in code puts "[not an email]" for anything else). */
function recordedEmail(detail: Record<string, unknown> | null): string | null {
  const email = detail?.email;
  return typeof email === "string" && email.includes("@") ? email : null;
}

function actorUserIdOf(row: AuditRow): string | null {
  const id = row.detail?.actorUserId;
  return typeof id === "string" ? id : null;
}

export type DescribedAuditRow = AuditRow & { actor: PartyRef; target: PartyRef | null };

/** A page of entries with their actor and target as people: one lookup statement for the whole page. */
export async function describeAuditRows(db: Executor, rows: AuditRow[]): Promise<DescribedAuditRow[]> {
  const ids: string[] = [];
  for (const row of rows) {
    if (row.actorId) ids.push(row.actorId);
    if (row.targetId) ids.push(row.targetId);
    const owner = actorUserIdOf(row);
    if (owner) ids.push(owner);
  }
  const found = await resolveParties(db, ids);
  return rows.map((row) => {
    let actor: PartyRef;
    if (row.actorId && (row.actorKind === "user" || row.actorKind === "token" || row.actorKind === "oauth_client")) {
      actor = partyOf(row.actorId, found, actorUserIdOf(row));
    } else {
      const kind =
        row.actorKind === "cli" || row.actorKind === "system" || row.actorKind === "anonymous"
          ? row.actorKind
          : "other";
      const email = row.actorKind === "anonymous" ? recordedEmail(row.detail) : null;
      actor = {
        kind,
        id: row.actorId,
        label: kind === "other" ? (row.actorId ?? row.actorKind) : FIXED_ACTOR_LABEL[kind],
        email,
        name: null,
        userId: null,
        deleted: false,
      };
    }
    const target = row.targetId ? partyOf(row.targetId, found) : null;
    return { ...row, actor, target };
  });
}

/**
 * Who made a record, from the actor it stored (`usr_…`, `tok_…`, `ocl_…`, or
 * `cli`/`system`, as services/cors-origins.ts writes it): one lookup statement
 * for a whole list.
 */
export async function describeRecordedActors(
  db: Executor,
  values: readonly (string | null)[],
): Promise<(PartyRef | null)[]> {
  const found = await resolveParties(
    db,
    values.filter((v): v is string => v !== null),
  );
  return values.map((value) => {
    if (value === null) return null;
    if (value === "cli" || value === "system") {
      return {
        kind: value,
        id: null,
        label: FIXED_ACTOR_LABEL[value],
        email: null,
        name: null,
        userId: null,
        deleted: false,
      };
    }
    return partyOf(value, found);
  });
}
