import type { Rule } from "./rule";

/**
 * What a rate-limit store does. Three implementations with one behaviour,
 * checked by one contract suite (store.contract.test.ts):
 *
 * - store-redis.ts: @upstash/ratelimit's fixed window over Redis (a plain
 *   server over TCP, or Upstash's REST API), plus small Lua scripts for the
 *   sign-in lockouts and the rejection board;
 * - store-embedded.ts: plain SQL over the application's SQLite file;
 * - store-postgres.ts: the same SQL over the application's PostgreSQL
 *   database, when that is the store and no Redis is configured.
 *
 * Every operation is atomic in the store (one Lua script, or one SQL
 * statement or transaction), so concurrent requests — in one process or in
 * several sharing the store — can never both take the last unit. Any method
 * may reject (store down, slow, misconfigured); the limiter, not the store,
 * decides whether that fails open or closed.
 *
 * Time: windows are aligned to the epoch (window n covers [n·w, (n+1)·w)),
 * read from Date.now(), as @upstash/ratelimit does; lockout methods take
 * `now` explicitly and keep their deadlines as timestamps, so both stores
 * agree on them whatever their own clocks or TTL granularity.
 */
export interface LimitStore {
  readonly kind: StoreKind;

  /**
   * Takes `cost` units from `key`'s current window of `rule`. Denied calls
   * still count (the window's usage only grows), which keeps the answer
   * monotonic under concurrency: exactly `limit` units are ever admitted.
   * A store that can answer at once (the embedded one, when no other process
   * holds its write lock) returns the use itself: every request passes here,
   * and a promise, a timer and a race per request cost more than the write.
   */
  consume(key: string, rule: Rule, cost: number): WindowUse | Promise<WindowUse>;

  /**
   * A sign-in attempt (`attempt`: a random id the caller made) is about to
   * be checked for these subjects (an account and a client IP). Atomically:
   * if any is locked, the attempt is refused; if its failures plus the
   * attempts in flight would exceed a subject's limit, the attempt is refused
   * (only failures ever lock: such a refusal is short, until an attempt in
   * flight is settled or its hold lapses); otherwise the attempt holds a
   * place with every subject for ATTEMPT_HOLD_MS — before the password is
   * verified, so parallel guesses cannot all slip past a check-then-count gap.
   *
   * A hold is not a failure. Only settleAttempt(…, "failure"), sent after a
   * password was checked and found wrong, counts one. So a reservation that
   * is never settled — refused by the caller's timeout while the store hung,
   * and run by the store later, when it resumes, with the `now` it was sent
   * with — costs nobody anything once its hold has lapsed.
   */
  reserveAttempt(subjects: readonly LockoutSubject[], attempt: string, now: number): Promise<Reservation>;

  /**
   * The reserved attempt's outcome; its hold ends. A failure (a password
   * checked and found wrong) counts one failure for every subject that is not
   * locked, and locks each subject whose failures reach its limit; "success"
   * and "abandoned" (the caller gave up on the reservation) count nothing.
   * Also counts a failure whose hold had lapsed. Returns the subjects locked
   * by this call.
   */
  settleAttempt(
    subjects: readonly LockoutSubject[],
    attempt: string,
    outcome: AttemptOutcome,
    now: number,
  ): Promise<Lock[]>;

  /** The current locks among these subjects (nothing counted). */
  locksOf(subjects: readonly string[], now: number): Promise<Lock[]>;

  /** Ends a lock and forgets the subject's failures and escalation level. True when there was state to clear. */
  unlock(subject: string): Promise<boolean>;

  /** Subjects locked now, longest lock first. */
  listLocks(now: number, max: number): Promise<Lock[]>;

  /** Counts one rate-limited answer for `subject` in the current minute (the dashboard's live view). */
  recordRejection(subject: string, now: number): Promise<void>;

  /** Subjects with the most rejections since `since` (minute resolution), most first. */
  topRejections(since: number, now: number, max: number): Promise<RejectionCount[]>;

  /** Throws when the store cannot answer. */
  ping(): Promise<void>;

  /** Releases connections and timers. */
  close(): Promise<void>;
}

export type StoreKind = "embedded" | "postgres" | "redis" | "upstash";

export interface WindowUse {
  allowed: boolean;
  /** The quota of the window (the rule's limit). */
  limit: number;
  /** Units left in the window after this call (never negative). */
  remaining: number;
  /** Epoch ms at which the window ends and the quota is whole again. */
  resetAt: number;
}

/** A subject of the sign-in lockout and its rule. */
export interface LockoutSubject {
  /** `account:<normalised email>` or `signin-ip:<ip>`. */
  subject: string;
  rule: LockoutRule;
}

export interface LockoutRule {
  /** Failures allowed in `windowMs` (counted from the first failure); reaching it locks the subject. */
  limit: number;
  windowMs: number;
  /** The first lock lasts this long; each further lock within `memoryMs` of the previous doubles it ... */
  baseLockMs: number;
  /** ... up to this. */
  maxLockMs: number;
  /** How long after a lock the escalation level is remembered. */
  memoryMs: number;
}

export type Reservation = { ok: true } | { ok: false; lockedUntil: number; newlyLocked: Lock[] };

export type AttemptOutcome = "success" | "failure" | "abandoned";

/**
 * How long a reserved sign-in attempt holds its place: far longer than a
 * password check takes (argon2id, tens of milliseconds, seconds at worst
 * on a loaded machine), short enough that holds nobody settled (a request
 * that was refused, a process that died) are gone in moments.
 */
export const ATTEMPT_HOLD_MS = 10_000;

export interface Lock {
  subject: string;
  /** Epoch ms. */
  lockedUntil: number;
  /** 1 for the first lock, 2 for the next (twice as long), … */
  level: number;
}

export interface RejectionCount {
  subject: string;
  count: number;
}

/** A store could not answer (down, refused, or slower than the limiter's timeout). */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/**
 * The limiter stopped waiting for a store call. Unlike a refused connection,
 * the command may still run (it may sit in a hung Redis's socket and run
 * when Redis resumes).
 */
export class StoreTimeoutError extends StoreUnavailableError {
  override name = "StoreTimeoutError";
}

/** Epoch-aligned fixed window: the window containing `now`, and when it ends. */
export function windowOf(windowMs: number, now: number): { index: number; endsAt: number } {
  const index = Math.floor(now / windowMs);
  return { index, endsAt: (index + 1) * windowMs };
}

/** Lock length for the n-th lock (n ≥ 1) of an escalating lockout. */
export function lockDurationMs(rule: LockoutRule, level: number): number {
  return Math.min(rule.baseLockMs * 2 ** Math.min(level - 1, 30), rule.maxLockMs);
}

export const MINUTE_MS = 60_000;
/** The rejection board keeps minutes for a little more than the hour the dashboard shows. */
export const REJECTION_RETENTION_MS = 2 * 3_600_000;

/** What a window counter at `points` after this request means under `rule` (the SQL stores' reading of their upsert). */
export function windowUseAt(points: number, rule: Rule, endsAt: number): WindowUse {
  if (points > rule.limit) return { allowed: false, limit: rule.limit, remaining: 0, resetAt: endsAt };
  return { allowed: true, limit: rule.limit, remaining: Math.max(rule.limit - points, 0), resetAt: endsAt };
}

/**
 * The counters-table key of a sign-in attempt's hold on a subject (the embedded and PostgreSQL stores); all of a
 * subject's holds sort, byte-wise, between holdRange's bounds.
 */
export function holdKey(subject: string, attempt: string): string {
  return `hold:${subject}|${attempt}`;
}

export function holdRange(subject: string): [string, string] {
  // "|" is followed by "}" in ASCII: every `hold:<subject>|…` key lies in [lower, upper).
  return [`hold:${subject}|`, `hold:${subject}}`];
}
