import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import DatabaseConstructor from "better-sqlite3";
import { whenConnectionFree } from "@/db";
import { isLockTaken } from "@/db/storage-errors";
import { getLogger } from "../logger";
import { briefError } from "./metrics";
import type { Rule } from "./rule";
import {
  ATTEMPT_HOLD_MS,
  type AttemptOutcome,
  holdKey,
  holdRange,
  type LimitStore,
  type Lock,
  type LockoutRule,
  type LockoutSubject,
  lockDurationMs,
  MINUTE_MS,
  REJECTION_RETENTION_MS,
  type RejectionCount,
  type Reservation,
  type WindowUse,
  windowOf,
  windowUseAt,
} from "./store";

/**
 * The store used when no Redis is configured: SQLite in the data folder —
 * lockouts, rejection counts and sign-in holds in the application's file
 * (tables rate_limit_lockouts, rate_limit_rejections and
 * rate_limit_counters, created by the migrations), the window counters of
 * every request in a file of their own (COUNTERS_FILE, see
 * counterConnection).
 *
 * Why SQLite and not memory: every process on the machine — the server, a
 * second server process, the `gatehouse limits unlock` command — sees the
 * same counters and locks, and a restart does not hand an attacker a fresh
 * set of guesses. Each operation is one SQLite statement or one IMMEDIATE
 * transaction, so it is atomic within a process and across processes on one
 * machine (SQLite's write lock serialises them; WAL keeps readers unblocked).
 * The cost is a small write per limited request (see docs/rate-limiting.md
 * for the numbers). For several machines, configure Redis.
 *
 * A window counter is one prepared `INSERT … ON CONFLICT … RETURNING`
 * (atomic on its own: SQLite runs it under the write lock), the same upsert
 * and table rate-limiter-flexible's RateLimiterSQLite uses — which wrapped
 * it in a transaction of its own and a promise chain per call, the larger
 * part of the limiter's cost per request. The key carries the epoch-aligned
 * window index, so windows match the Redis store's exactly.
 */
/**
 * The window counters live in a SQLite file of their own beside the
 * application's (COUNTERS_FILE in the data folder), for two reasons:
 *
 * - Every limited request writes its counter. A commit by one connection
 *   makes every other connection to the same file drop its whole page cache
 *   at its next read (SQLite's WAL check), so counters in the application's
 *   file made each request's reads — the token check, the page of contacts —
 *   start from a cold cache: about twice their cost. In a file of their own
 *   they invalidate nothing but themselves.
 * - Writers meet at SQLite's write lock, one per file: counter writes no
 *   longer queue behind (or hold up) the application's transactions.
 *
 * A counter write that finds another worker's lock taken does not wait
 * inside SQLite at all (COUNTER_BUSY_MS = 0): SQLite's busy handler sleeps
 * at least a millisecond, with the whole worker blocked, where the other
 * worker's write takes a few microseconds. It yields to the event loop and
 * tries again instead (consumeWhenFree; measured in docs/benchmarks.md,
 * run G). Counters are short-lived: synchronous=OFF (a power cut may lose
 * the last moments of a window, a crash of the process loses nothing). The schema is the table's
 * own, created here. An in-memory application database (tests) gets an
 * in-memory counter database: it is one process anyway.
 */
export const COUNTERS_FILE = "rate-limit-counters.db";
const COUNTER_BUSY_MS = 0;

const COUNTERS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS rate_limit_counters (
    key TEXT PRIMARY KEY NOT NULL,
    points INTEGER DEFAULT 0 NOT NULL,
    expire INTEGER
  );
  CREATE INDEX IF NOT EXISTS rate_limit_counters_expire_idx ON rate_limit_counters (expire);`;

function counterConnection(sqlite: Database.Database): Database.Database {
  const file = sqlite.memory ? ":memory:" : path.join(path.dirname(sqlite.name), COUNTERS_FILE);
  if (!sqlite.memory) {
    // Owner-only from the start, like the application's file (SQLite gives -wal and -shm the main file's mode).
    fs.closeSync(fs.openSync(file, "a", 0o600));
    fs.chmodSync(file, 0o600);
  }
  const connection = new DatabaseConstructor(file);
  try {
    connection.pragma(`busy_timeout = ${COUNTER_BUSY_MS}`);
    withBusyRetry(() => {
      if (!sqlite.memory) connection.pragma("journal_mode = WAL");
      connection.exec(COUNTERS_SCHEMA);
    });
    connection.pragma("synchronous = OFF");
  } catch (error) {
    // E.g. a full disk at the first request: the next request tries again, without a connection left open per try.
    connection.close();
    throw error;
  }
  return connection;
}

/** Creating the schema may meet another process doing the same at start: wait for it (a start is not hot). */
function withBusyRetry(fn: () => void): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      fn();
      return;
    } catch (error) {
      if (!isLockTaken(error) || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Past this a counter write that keeps finding the lock taken fails (the limiter's own timeout is shorter). */
const BUSY_GIVE_UP_MS = 2_000;

export class EmbeddedStore implements LimitStore {
  readonly kind = "embedded" as const;
  private readonly sweeper: NodeJS.Timeout;
  private readonly sql;
  /** The window counters' own database (see counterConnection). */
  private readonly counters: Database.Database;
  private readonly consumeStatement: Database.Statement;
  private readonly sweepWindows: Database.Statement;

  constructor(private readonly sqlite: Database.Database) {
    const s = (text: string) => sqlite.prepare(text);
    this.counters = counterConnection(sqlite);
    this.consumeStatement = this.counters.prepare(
      `INSERT INTO rate_limit_counters (key, points, expire) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET
         points = CASE WHEN expire IS NULL OR expire > ? THEN points + excluded.points ELSE excluded.points END,
         expire = CASE WHEN expire IS NULL OR expire > ? THEN expire ELSE excluded.expire END
       RETURNING points`,
    );
    this.sweepWindows = this.counters.prepare("DELETE FROM rate_limit_counters WHERE expire < ?");
    this.sql = {
      lockout: s(
        `SELECT subject, failures, failures_until AS failuresUntil, level, level_until AS levelUntil, locked_until AS lockedUntil
         FROM rate_limit_lockouts WHERE subject = ?`,
      ),
      saveLockout: s(
        `INSERT INTO rate_limit_lockouts (subject, failures, failures_until, level, level_until, locked_until)
         VALUES (@subject, @failures, @failuresUntil, @level, @levelUntil, @lockedUntil)
         ON CONFLICT(subject) DO UPDATE SET failures = excluded.failures, failures_until = excluded.failures_until,
           level = excluded.level, level_until = excluded.level_until, locked_until = excluded.locked_until`,
      ),
      deleteLockout: s("DELETE FROM rate_limit_lockouts WHERE subject = ?"),
      listLocks: s(
        `SELECT subject, locked_until AS lockedUntil, level FROM rate_limit_lockouts
         WHERE locked_until > ? ORDER BY locked_until DESC, subject LIMIT ?`,
      ),
      countRejection: s(
        `INSERT INTO rate_limit_rejections (minute, subject, count) VALUES (?, ?, 1)
         ON CONFLICT(minute, subject) DO UPDATE SET count = count + 1`,
      ),
      topRejections: s(
        `SELECT subject, SUM(count) AS count FROM rate_limit_rejections WHERE minute >= ?
         GROUP BY subject ORDER BY count DESC, subject LIMIT ?`,
      ),
      // A sign-in attempt in flight holds a place (see reserveAttempt): a row of the application file's
      // counters table (it must commit with the lockout rows, so it is not in the window counters' file),
      // `hold:<subject>|<attempt>`, expiring like any counter. Holds are never failures.
      holds: s(
        "SELECT COUNT(*) AS live, MIN(expire) AS first FROM rate_limit_counters WHERE key >= ? AND key < ? AND expire > ?",
      ),
      hold: s(
        `INSERT INTO rate_limit_counters (key, points, expire) VALUES (?, 1, ?)
         ON CONFLICT(key) DO UPDATE SET expire = excluded.expire`,
      ),
      release: s("DELETE FROM rate_limit_counters WHERE key = ?"),
      sweepCounters: s("DELETE FROM rate_limit_counters WHERE expire < ?"),
      sweepLockouts: s(
        "DELETE FROM rate_limit_lockouts WHERE locked_until < @now AND failures_until < @now AND level_until < @now",
      ),
      sweepRejections: s("DELETE FROM rate_limit_rejections WHERE minute < ?"),
      ping: s("SELECT 1"),
    };
    // Expired rows are harmless (every read checks the time) but would pile up.
    this.sweeper = setInterval(() => this.sweepInBackground(Date.now()), 5 * MINUTE_MS);
    this.sweeper.unref();
  }

  consume(key: string, rule: Rule, cost: number): WindowUse | Promise<WindowUse> {
    const now = Date.now();
    const { index, endsAt } = windowOf(rule.windowMs, now);
    const params = [`${key}:w${rule.windowMs}:${index}`, cost, now + rule.windowMs, now, now];
    try {
      return windowUseAt(this.upsertCounter(params), rule, endsAt);
    } catch (error) {
      if (!isLockTaken(error) || this.closed) throw error;
    }
    return this.consumeWhenFree(params, rule, endsAt, now);
  }

  /**
   * Another process holds the counters' write lock: yield to the event loop and try again, so this worker
   * keeps serving while it waits (SQLite's own busy handler would sleep with the whole process blocked). The
   * limiter's timeout bounds the wait; a store failure (a full disk, the timeout) throws, and the limiter
   * applies the policy's fail mode.
   */
  private async consumeWhenFree(params: unknown[], rule: Rule, endsAt: number, now: number): Promise<WindowUse> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        return windowUseAt(this.upsertCounter(params), rule, endsAt);
      } catch (error) {
        if (!isLockTaken(error) || this.closed || Date.now() > now + BUSY_GIVE_UP_MS) throw error;
      }
    }
  }

  private upsertCounter(params: unknown[]): number {
    // all(), not get(): get() leaves the RETURNING statement unfinished, and the WAL then cannot start
    // over at a checkpoint — it grew by a page per request (24 MB after 5,000 requests) and every write slowed.
    return (this.consumeStatement.all(...params) as { points: number }[])[0]?.points as number;
  }

  async reserveAttempt(subjects: readonly LockoutSubject[], attempt: string, now: number): Promise<Reservation> {
    return await this.immediate(() => {
      const rows = subjects.map((s) => this.row(s.subject));
      const lockedUntil = Math.max(0, ...rows.map((r) => (r.lockedUntil > now ? r.lockedUntil : 0)));
      if (lockedUntil > 0) return { ok: false, lockedUntil, newlyLocked: [] };

      let refused = false;
      let retryAt = 0;
      const newlyLocked: Lock[] = [];
      subjects.forEach(({ subject, rule }, i) => {
        const r = rows[i] as LockoutRow;
        const failures = r.failuresUntil > now ? r.failures : 0;
        if (failures >= rule.limit) {
          // Failures already at the limit without a lock (the limit was lowered): they are failures, so lock.
          const lock = this.lock(r, rule, now);
          newlyLocked.push(lock);
          retryAt = Math.max(retryAt, lock.lockedUntil);
          refused = true;
          return;
        }
        const [lower, upper] = holdRange(subject);
        const holds = this.sql.holds.get(lower, upper, now) as { live: number; first: number | null };
        if (failures + holds.live + 1 > rule.limit) {
          retryAt = Math.max(retryAt, holds.first ?? now);
          refused = true;
        }
      });
      if (refused) return { ok: false, lockedUntil: retryAt, newlyLocked };
      for (const { subject } of subjects) this.sql.hold.run(holdKey(subject, attempt), now + ATTEMPT_HOLD_MS);
      return { ok: true };
    });
  }

  async settleAttempt(
    subjects: readonly LockoutSubject[],
    attempt: string,
    outcome: AttemptOutcome,
    now: number,
  ): Promise<Lock[]> {
    return await this.immediate(() => {
      const locked: Lock[] = [];
      for (const { subject, rule } of subjects) {
        this.sql.release.run(holdKey(subject, attempt));
        if (outcome !== "failure") continue;
        const r = this.row(subject);
        if (r.lockedUntil > now) continue;
        const fresh = r.failuresUntil <= now;
        const failures = (fresh ? 0 : r.failures) + 1;
        const failuresUntil = fresh ? now + rule.windowMs : r.failuresUntil;
        if (failures >= rule.limit) locked.push(this.lock(r, rule, now));
        else this.sql.saveLockout.run({ ...r, failures, failuresUntil });
      }
      return locked;
    });
  }

  async locksOf(subjects: readonly string[], now: number): Promise<Lock[]> {
    return await this.onAppFile(() =>
      subjects
        .map((subject) => this.row(subject))
        .filter((r) => r.lockedUntil > now)
        .map(({ subject, lockedUntil, level }) => ({ subject, lockedUntil, level })),
    );
  }

  async unlock(subject: string): Promise<boolean> {
    return await this.onAppFile(() => this.sql.deleteLockout.run(subject).changes > 0);
  }

  async listLocks(now: number, max: number): Promise<Lock[]> {
    return await this.onAppFile(() => this.sql.listLocks.all(now, max) as Lock[]);
  }

  async recordRejection(subject: string, now: number): Promise<void> {
    await this.onAppFile(() => this.sql.countRejection.run(Math.floor(now / MINUTE_MS), subject));
  }

  async topRejections(since: number, _now: number, max: number): Promise<RejectionCount[]> {
    return await this.onAppFile(
      () => this.sql.topRejections.all(Math.floor(since / MINUTE_MS), max) as RejectionCount[],
    );
  }

  async ping(): Promise<void> {
    await this.onAppFile(() => this.sql.ping.get());
  }

  private closed = false;

  async close(): Promise<void> {
    // The database belongs to the runtime; our timer and the counters' connection are ours to stop.
    this.closed = true;
    clearInterval(this.sweeper);
    this.counters.close();
  }

  /**
   * The periodic sweep, from a timer: a sweep that fails (another process holds a write lock, a full disk)
   * is left to the next one, never thrown out of the timer, where it would end the worker.
   */
  private sweepInBackground(now: number): void {
    void this.sweep(now).catch((error) => {
      if (isLockTaken(error)) return;
      getLogger().warn(
        { err: briefError(error) },
        "rate-limit store: the sweep of expired entries failed; the next one tries again",
      );
    });
  }

  /** Deletes what can no longer matter. Also called by tests. */
  async sweep(now: number): Promise<void> {
    this.sweepWindows.run(now);
    await this.onAppFile(() => {
      this.sql.sweepCounters.run(now);
      this.sql.sweepLockouts.run({ now });
      this.sql.sweepRejections.run(Math.floor((now - REJECTION_RETENTION_MS) / MINUTE_MS));
    });
  }

  private row(subject: string): LockoutRow {
    return (
      (this.sql.lockout.get(subject) as LockoutRow | undefined) ?? {
        subject,
        failures: 0,
        failuresUntil: 0,
        level: 0,
        levelUntil: 0,
        lockedUntil: 0,
      }
    );
  }

  /** Starts the next lock of an escalating lockout; the failure count starts again after it. */
  private lock(r: LockoutRow, rule: LockoutRule, now: number): Lock {
    const level = (r.levelUntil > now ? r.level : 0) + 1;
    const lockedUntil = now + lockDurationMs(rule, level);
    this.sql.saveLockout.run({
      subject: r.subject,
      failures: 0,
      failuresUntil: 0,
      level,
      levelUntil: lockedUntil + rule.memoryMs,
      lockedUntil,
    });
    return { subject: r.subject, lockedUntil, level };
  }

  /** BEGIN IMMEDIATE: take the write lock first, so a read-then-write cannot interleave with another process. */
  private async immediate<T>(fn: () => T): Promise<T> {
    return await this.onAppFile(() => this.sqlite.transaction(fn).immediate());
  }

  /**
   * The lockout rows live in the application's file, on its connection: their statements wait while a
   * request's transaction is open on it (db/index.ts), or they would run inside that transaction.
   */
  private onAppFile<T>(work: () => T): T | Promise<T> {
    return whenConnectionFree(this.sqlite, work);
  }
}

interface LockoutRow {
  subject: string;
  failures: number;
  failuresUntil: number;
  level: number;
  levelUntil: number;
  lockedUntil: number;
}
