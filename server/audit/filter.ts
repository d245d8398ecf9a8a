import { and, asc, desc, eq, getTableColumns, gt, gte, lt, lte, type SQL, sql } from "drizzle-orm";
import { integer, sqliteTable } from "drizzle-orm/sqlite-core";
import type { Executor } from "@/db";
import { type AuditRow, auditLog, type Outcome } from "@/db/schema";
import type { AuditFilterInput } from "./filter-input";

/**
 * The Audit page's filters, shared by the list, the export (dashboard route
 * and CLI) and the benchmark. Every filter maps to an index that ends in
 * `seq` (see db/schema/audit-log.ts), so a page is a keyset range scan in
 * seq order whichever filter is used; the full-text filter goes through the
 * FTS5 table `audit_search`. Timings on a million entries: docs/audit.md.
 */
export interface AuditFilter {
  actorId?: string;
  /**
   * A person by email (lower-cased): the entries of the user with that email
   * (exact match), of that user's API tokens, and the entries whose detail
   * recorded that email (failed sign-ins and lockouts of an address with no
   * account, or of a user since deleted). Set by toAuditFilter when the actor
   * filter holds an `@`.
   */
  actorEmail?: string;
  /** An exact action (`contact.delete`) or a whole area (`contact.`). */
  action?: string;
  targetId?: string;
  outcome?: Outcome;
  ip?: string;
  requestId?: string;
  since?: Date;
  until?: Date;
  /** Words to find in the detail (full-text). */
  text?: string;
}

// The input schema lives apart (filter-input.ts) so the Audit page's filter form validates with it in the browser.
export { type AuditFilterInput, auditFilterInput } from "./filter-input";

/** From the validated client form to the query form; empty strings mean "no filter". */
export function toAuditFilter(input: AuditFilterInput): AuditFilter {
  const text = (value: string | undefined) => (value ? value : undefined);
  // An actor given as an email is a person to look up, never an id (ids have no `@`).
  const actor = text(input.actorId);
  const byEmail = actor?.includes("@") ? actor.toLowerCase() : undefined;
  return {
    actorId: byEmail ? undefined : actor,
    actorEmail: byEmail,
    action: text(input.action),
    targetId: text(input.targetId),
    outcome: input.outcome,
    ip: text(input.ip),
    requestId: text(input.requestId),
    since: input.since ? new Date(input.since) : undefined,
    until: input.until ? new Date(input.until) : undefined,
    text: text(input.text),
  };
}

/**
 * Free text -> an FTS5 query that cannot be anything but a search: each word
 * becomes a quoted phrase of its letter/digit runs (so `ada@example.com`
 * finds the phrase "ada example com", and `usr_abc` the phrase "usr abc"),
 * and all words must match. No FTS syntax (NEAR, column filters, prefixes,
 * parentheses, quotes) survives. Whole words only: a prefix search on the
 * last term ("com*") made a one-email search 100 times slower on a million
 * entries (docs/audit.md). Null when nothing searchable is left.
 */
export function ftsQuery(text: string): string | null {
  const phrases: string[] = [];
  for (const word of text.normalize("NFKC").split(/\s+/).slice(0, 8)) {
    const tokens = word
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean)
      .slice(0, 12);
    if (tokens.length > 0) phrases.push(`"${tokens.join(" ")}"`);
  }
  return phrases.length > 0 ? phrases.join(" AND ") : null;
}

/**
 * Entries written by processes whose clocks disagree can be out of time order
 * by that much in `seq` order. Time filters use it as slack (see timeBounds).
 */
export const CLOCK_SKEW_MS = 10 * 60_000;

/**
 * A time filter alone would make SQLite read the `at` index and then sort the
 * whole range by seq. Since seq follows time up to the clock skew between
 * writers, the range also becomes seq bounds, each found with one lookup in
 * the `at` index. If writers' clocks are within CLOCK_SKEW_MS of each other,
 * an entry more than CLOCK_SKEW_MS older than another was written before it
 * (has a lower seq). So every entry at or after `since` comes after the
 * newest entry older than `since - CLOCK_SKEW_MS`, and every entry at or
 * before `until` comes before the oldest entry newer than `until +
 * CLOCK_SKEW_MS`. The exact `at` conditions stay; the bounds only narrow the
 * scan (an entry is missed only if a writer's clock was off by more).
 */
function timeBounds(filter: AuditFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.since) {
    where.push(gte(auditLog.at, filter.since));
    const before = filter.since.getTime() - CLOCK_SKEW_MS;
    where.push(
      sql`${auditLog.seq} > coalesce((select seq from audit_log where at < ${before} order by at desc limit 1), 0)`,
    );
  }
  if (filter.until) {
    where.push(lte(auditLog.at, filter.until));
    const after = filter.until.getTime() + CLOCK_SKEW_MS;
    where.push(
      sql`${auditLog.seq} < coalesce((select seq from audit_log where at > ${after} order by at limit 1), 9223372036854775807)`,
    );
  }
  return where;
}

/**
 * The entries of a person given by email, resolved inside the query (so the
 * list, the export and the CLI agree, and no extra round trip is made): each
 * branch is an index lookup — users by the unique email index, their tokens
 * by user, entries by actor_id; the recorded-email branch goes through FTS5
 * (the email's words as a phrase) and then keeps only failed sign-ins and
 * lockouts whose `detail.email` is exactly that address, so `ada@example.com`
 * does not match `ada@example.com.evil` or `bada@…`, and an entry that only
 * mentions the address (a user created with it) is not counted as theirs.
 */
/** The entries that record the email someone tried to sign in with (server/auth/sign-in.ts). */
const SIGN_IN_ACTIONS = ["session.login_failed", "ratelimit.lockout"];

function personCondition(email: string): SQL {
  const phrase = ftsQuery(email);
  const recorded = phrase
    ? sql` union select audit_search.rowid from audit_search join audit_log r on r.seq = audit_search.rowid
        where audit_search match ${phrase} and r.action in (${sql.join(
          SIGN_IN_ACTIONS.map((a) => sql`${a}`),
          sql`, `,
        )}) and json_extract(r.detail, '$.email') = ${email}`
    : sql``;
  return sql`${auditLog.seq} in (
    select seq from audit_log where actor_id in (
      select id from users where email = ${email}
      union all
      select t.id from api_tokens t join users u on u.id = t.user_id where u.email = ${email}
    )${recorded})`;
}

/** Every condition but the full-text one, which decides the shape of the query (see auditPage). */
export function auditConditions(filter: AuditFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.actorId) where.push(eq(auditLog.actorId, filter.actorId));
  if (filter.actorEmail) where.push(personCondition(filter.actorEmail));
  if (filter.action) {
    where.push(
      filter.action.endsWith(".") ? eq(auditLog.area, filter.action.slice(0, -1)) : eq(auditLog.action, filter.action),
    );
  }
  if (filter.targetId) where.push(eq(auditLog.targetId, filter.targetId));
  if (filter.outcome) where.push(eq(auditLog.outcome, filter.outcome));
  if (filter.ip) where.push(eq(auditLog.ip, filter.ip));
  if (filter.requestId) where.push(eq(auditLog.requestId, filter.requestId));
  where.push(...timeBounds(filter));
  return where;
}

/**
 * The FTS5 table, as drizzle needs it to join and order by it. Deliberately
 * not in db/schema (drizzle-kit would try to create it as a plain table);
 * it is created by the custom migration *_audit_search.sql.
 */
const auditSearch = sqliteTable("audit_search", { rowid: integer("rowid").notNull() });

export interface PageRequest {
  /** "desc": newest first (the Audit page's default); "asc": oldest first (exports, and the page when asked). */
  direction: "asc" | "desc";
  /** Keyset: only entries with seq below (desc) or above (asc) this. */
  cursor?: number;
  /** Only entries up to this seq (an export's snapshot). */
  throughSeq?: number;
  limit: number;
}

/**
 * One page of entries matching the filter, in seq order, by keyset.
 *
 * With a full-text filter the FTS5 table drives the query and the page is
 * ordered by its rowid (= seq): FTS5 walks its posting lists in rowid order
 * and stops after `limit` matches, where `seq IN (matches)` would first
 * collect every match (hundreds of thousands for a common word).
 */
export async function auditPage(db: Executor, filter: AuditFilter, page: PageRequest): Promise<AuditRow[]> {
  const where = auditConditions(filter);
  const match = filter.text === undefined ? undefined : ftsQuery(filter.text);
  // Nothing searchable in the text: match nothing rather than everything.
  if (match === null) return [];
  const key = match === undefined ? auditLog.seq : auditSearch.rowid;
  if (page.cursor !== undefined) where.push(page.direction === "desc" ? lt(key, page.cursor) : gt(key, page.cursor));
  if (page.throughSeq !== undefined) where.push(lte(key, page.throughSeq));
  const order = page.direction === "desc" ? desc(key) : asc(key);
  if (match === undefined) {
    return await db
      .select()
      .from(auditLog)
      .where(and(...where))
      .orderBy(order)
      .limit(page.limit)
      .all();
  }
  return await db
    .select(getTableColumns(auditLog))
    .from(auditSearch)
    .innerJoin(auditLog, eq(auditLog.seq, auditSearch.rowid))
    .where(and(sql`audit_search match ${match}`, ...where))
    .orderBy(order)
    .limit(page.limit)
    .all();
}
