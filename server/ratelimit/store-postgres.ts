import { createHash } from "node:crypto";
import type pg from "pg";
import { type Db, postgresStoreOf } from "@/db";
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
 * The store used when the database is PostgreSQL and no Redis is
 * configured: the embedded store's tables (rate_limit_counters,
 * rate_limit_lockouts, rate_limit_rejections, created by the migrations) in
 * the application's database, over its pool. Every instance of a fleet on
 * that database counts in the same rows, so limits, lockouts, sign-in holds
 * and the rejection board are exact across the fleet — never a memory store
 * per instance, which would give each instance the full limit.
 *
 * It behaves exactly as EmbeddedStore (store-embedded.ts): the same keys,
 * windows, escalation, holds and sweep. A window counter is one upsert (one
 * round trip, atomic on its own: PostgreSQL locks the row for the
 * conflicting update), prepared once per connection. The sign-in
 * read-then-writes run in a transaction on one connection that first takes
 * an advisory lock per subject, the part SQLite's write lock plays for the
 * embedded store: two instances can never interleave on one subject, while
 * sign-ins for other accounts and addresses do not wait for them.
 */

/**
 * The first key of this store's advisory locks (the two-int form, "rlim" in
 * ASCII): a lock space of its own, apart from db/postgres/index.ts's write and
 * migration locks (single bigint keys, which never conflict with two-int ones).
 */
const SUBJECT_LOCK_CLASS = 0x726c696d;

/** One statement of this store, prepared once per connection under its name. */
interface Statement {
  name: string;
  text: string;
}

const statement = (name: string, text: string): Statement => ({ name: `ratelimit_${name}`, text });

const SQL = {
  // The table's own columns are qualified: in DO UPDATE a bare `expire` would be ambiguous with excluded's.
  consume: statement(
    "consume",
    `INSERT INTO rate_limit_counters (key, points, expire) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO UPDATE SET
       points = CASE WHEN rate_limit_counters.expire IS NULL OR rate_limit_counters.expire > $4
                THEN rate_limit_counters.points + excluded.points ELSE excluded.points END,
       expire = CASE WHEN rate_limit_counters.expire IS NULL OR rate_limit_counters.expire > $4
                THEN rate_limit_counters.expire ELSE excluded.expire END
     RETURNING points`,
  ),
  lockSubjects: statement("lock_subjects", "SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k"),
  lockout: statement(
    "lockout",
    `SELECT subject, failures, failures_until AS "failuresUntil", level, level_until AS "levelUntil",
       locked_until AS "lockedUntil"
     FROM rate_limit_lockouts WHERE subject = $1`,
  ),
  lockouts: statement(
    "lockouts",
    `SELECT subject, locked_until AS "lockedUntil", level FROM rate_limit_lockouts
     WHERE subject = ANY($1::text[]) AND locked_until > $2`,
  ),
  saveLockout: statement(
    "save_lockout",
    `INSERT INTO rate_limit_lockouts (subject, failures, failures_until, level, level_until, locked_until)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures, failures_until = excluded.failures_until,
       level = excluded.level, level_until = excluded.level_until, locked_until = excluded.locked_until`,
  ),
  deleteLockout: statement("delete_lockout", "DELETE FROM rate_limit_lockouts WHERE subject = $1"),
  // Subjects compare byte-wise (COLLATE "C"), as SQLite's BINARY does, whatever the database's collation.
  listLocks: statement(
    "list_locks",
    `SELECT subject, locked_until AS "lockedUntil", level FROM rate_limit_lockouts
     WHERE locked_until > $1 ORDER BY locked_until DESC, subject COLLATE "C" LIMIT $2`,
  ),
  countRejection: statement(
    "count_rejection",
    `INSERT INTO rate_limit_rejections (minute, subject, count) VALUES ($1, $2, 1)
     ON CONFLICT (minute, subject) DO UPDATE SET count = rate_limit_rejections.count + 1`,
  ),
  topRejections: statement(
    "top_rejections",
    `SELECT subject, SUM(count) AS count FROM rate_limit_rejections WHERE minute >= $1
     GROUP BY subject ORDER BY count DESC, subject COLLATE "C" LIMIT $2`,
  ),
  // A sign-in attempt in flight holds a place (see reserveAttempt): a counters row `hold:<subject>|<attempt>`,
  // expiring like any counter. holdRange's bounds are byte-wise: under a linguistic collation (en_US, ICU)
  // punctuation sorts otherwise and the range would miss holds, so the comparison is COLLATE "C".
  holds: statement(
    "holds",
    `SELECT COUNT(*) AS live, MIN(expire) AS first FROM rate_limit_counters
     WHERE key COLLATE "C" >= $1 AND key COLLATE "C" < $2 AND expire > $3`,
  ),
  hold: statement(
    "hold",
    `INSERT INTO rate_limit_counters (key, points, expire) VALUES ($1, 1, $2)
     ON CONFLICT (key) DO UPDATE SET expire = excluded.expire`,
  ),
  release: statement("release", "DELETE FROM rate_limit_counters WHERE key = $1"),
  sweepCounters: statement("sweep_counters", "DELETE FROM rate_limit_counters WHERE expire < $1"),
  sweepLockouts: statement(
    "sweep_lockouts",
    "DELETE FROM rate_limit_lockouts WHERE locked_until < $1 AND failures_until < $1 AND level_until < $1",
  ),
  sweepRejections: statement("sweep_rejections", "DELETE FROM rate_limit_rejections WHERE minute < $1"),
};

type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;

export class PostgresStore implements LimitStore {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly ready: Promise<void>;
  private readonly busyTimeoutMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(db: Db) {
    const store = postgresStoreOf(db);
    if (!store) throw new Error("PostgresStore needs a PostgreSQL database handle");
    this.pool = store.pool;
    this.ready = store.ready;
    this.busyTimeoutMs = store.busyTimeoutMs;
    // Expired rows are harmless (every read checks the time) but would pile up.
    this.sweeper = setInterval(() => this.sweepInBackground(Date.now()), 5 * MINUTE_MS);
    this.sweeper.unref();
  }

  async consume(key: string, rule: Rule, cost: number): Promise<WindowUse> {
    const now = Date.now();
    const { index, endsAt } = windowOf(rule.windowMs, now);
    const rows = await this.query<{ points: number }>(this.pool, SQL.consume, [
      `${key}:w${rule.windowMs}:${index}`,
      cost,
      now + rule.windowMs,
      now,
    ]);
    return windowUseAt(rows[0]?.points as number, rule, endsAt);
  }

  async reserveAttempt(subjects: readonly LockoutSubject[], attempt: string, now: number): Promise<Reservation> {
    return await this.locked(
      subjects.map((s) => s.subject),
      async (client) => {
        const rows: LockoutRow[] = [];
        for (const { subject } of subjects) rows.push(await this.row(client, subject));
        const lockedUntil = Math.max(0, ...rows.map((r) => (r.lockedUntil > now ? r.lockedUntil : 0)));
        if (lockedUntil > 0) return { ok: false, lockedUntil, newlyLocked: [] };

        let refused = false;
        let retryAt = 0;
        const newlyLocked: Lock[] = [];
        for (const [i, { subject, rule }] of subjects.entries()) {
          const r = rows[i] as LockoutRow;
          const failures = r.failuresUntil > now ? r.failures : 0;
          if (failures >= rule.limit) {
            // Failures already at the limit without a lock (the limit was lowered): they are failures, so lock.
            const lock = await this.lock(client, r, rule, now);
            newlyLocked.push(lock);
            retryAt = Math.max(retryAt, lock.lockedUntil);
            refused = true;
            continue;
          }
          const [lower, upper] = holdRange(subject);
          const [holds] = await this.query<{ live: number; first: number | null }>(client, SQL.holds, [
            lower,
            upper,
            now,
          ]);
          const live = holds?.live ?? 0;
          if (failures + live + 1 > rule.limit) {
            retryAt = Math.max(retryAt, holds?.first ?? now);
            refused = true;
          }
        }
        if (refused) return { ok: false, lockedUntil: retryAt, newlyLocked };
        for (const { subject } of subjects) {
          await this.query(client, SQL.hold, [holdKey(subject, attempt), now + ATTEMPT_HOLD_MS]);
        }
        return { ok: true };
      },
    );
  }

  async settleAttempt(
    subjects: readonly LockoutSubject[],
    attempt: string,
    outcome: AttemptOutcome,
    now: number,
  ): Promise<Lock[]> {
    return await this.locked(
      subjects.map((s) => s.subject),
      async (client) => {
        const locked: Lock[] = [];
        for (const { subject, rule } of subjects) {
          await this.query(client, SQL.release, [holdKey(subject, attempt)]);
          if (outcome !== "failure") continue;
          const r = await this.row(client, subject);
          if (r.lockedUntil > now) continue;
          const fresh = r.failuresUntil <= now;
          const failures = (fresh ? 0 : r.failures) + 1;
          const failuresUntil = fresh ? now + rule.windowMs : r.failuresUntil;
          if (failures >= rule.limit) locked.push(await this.lock(client, r, rule, now));
          else await this.save(client, { ...r, failures, failuresUntil });
        }
        return locked;
      },
    );
  }

  async locksOf(subjects: readonly string[], now: number): Promise<Lock[]> {
    const rows = await this.query<Lock>(this.pool, SQL.lockouts, [subjects, now]);
    // In the order asked, as the embedded store answers.
    const bySubject = new Map(rows.map((r) => [r.subject, r]));
    return subjects.flatMap((subject) => bySubject.get(subject) ?? []);
  }

  async unlock(subject: string): Promise<boolean> {
    // Under the subject's lock: a settle in flight on another instance must not write back what it read before.
    return await this.locked([subject], async (client) => {
      const result = await this.run(client, SQL.deleteLockout, [subject]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  async listLocks(now: number, max: number): Promise<Lock[]> {
    return await this.query<Lock>(this.pool, SQL.listLocks, [now, max]);
  }

  async recordRejection(subject: string, now: number): Promise<void> {
    await this.run(this.pool, SQL.countRejection, [Math.floor(now / MINUTE_MS), subject]);
  }

  async topRejections(since: number, _now: number, max: number): Promise<RejectionCount[]> {
    return await this.query<RejectionCount>(this.pool, SQL.topRejections, [Math.floor(since / MINUTE_MS), max]);
  }

  async ping(): Promise<void> {
    await this.ready;
    await this.pool.query("select 1");
  }

  async close(): Promise<void> {
    // The pool belongs to the runtime (it is the application's database); only our timer is ours to stop.
    clearInterval(this.sweeper);
  }

  /**
   * The periodic sweep, from a timer: a sweep that fails (the database down for a moment) is left to the next
   * one, never thrown out of the timer, where it would end the worker.
   */
  private sweepInBackground(now: number): void {
    void this.sweep(now).catch((error) => {
      getLogger().warn(
        { err: briefError(error) },
        "rate-limit store: the sweep of expired entries failed; the next one tries again",
      );
    });
  }

  /** Deletes what can no longer matter (every instance sweeps; the deletes are idempotent). Also called by tests. */
  async sweep(now: number): Promise<void> {
    await this.run(this.pool, SQL.sweepCounters, [now]);
    await this.run(this.pool, SQL.sweepLockouts, [now]);
    await this.run(this.pool, SQL.sweepRejections, [Math.floor((now - REJECTION_RETENTION_MS) / MINUTE_MS)]);
  }

  private async row(client: pg.PoolClient, subject: string): Promise<LockoutRow> {
    const [row] = await this.query<LockoutRow>(client, SQL.lockout, [subject]);
    return row ?? { subject, failures: 0, failuresUntil: 0, level: 0, levelUntil: 0, lockedUntil: 0 };
  }

  private async save(client: pg.PoolClient, r: LockoutRow): Promise<void> {
    await this.run(client, SQL.saveLockout, [
      r.subject,
      r.failures,
      r.failuresUntil,
      r.level,
      r.levelUntil,
      r.lockedUntil,
    ]);
  }

  /** Starts the next lock of an escalating lockout; the failure count starts again after it. */
  private async lock(client: pg.PoolClient, r: LockoutRow, rule: LockoutRule, now: number): Promise<Lock> {
    const level = (r.levelUntil > now ? r.level : 0) + 1;
    const lockedUntil = now + lockDurationMs(rule, level);
    await this.save(client, {
      subject: r.subject,
      failures: 0,
      failuresUntil: 0,
      level,
      levelUntil: lockedUntil + rule.memoryMs,
      lockedUntil,
    });
    return { subject: r.subject, lockedUntil, level };
  }

  /**
   * A read-then-write on these subjects, atomic across the fleet: one connection, BEGIN, the subjects'
   * advisory locks (waited for at most the busy timeout, then a busy failure: 55P03), the work, COMMIT — or
   * ROLLBACK when anything fails. The locks are taken in one order (sorted keys), so two transactions on
   * overlapping subjects (an account and an IP) queue rather than deadlock; a hash collision only makes two
   * subjects share a lock.
   */
  private async locked<T>(subjects: readonly string[], work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.ready;
    const keys = [...new Set(subjects.map(subjectLockKey))].sort((a, b) => a - b);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(`BEGIN; SET LOCAL lock_timeout = ${Math.trunc(this.busyTimeoutMs)}`);
      await client.query({ ...SQL.lockSubjects, values: [SUBJECT_LOCK_CLASS, keys] });
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        // The connection is broken (or hung): the pool drops it instead of lending it again.
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async query<R>(on: Queryable, sql: Statement, values: unknown[]): Promise<R[]> {
    return (await this.run(on, sql, values)).rows as R[];
  }

  private async run(on: Queryable, sql: Statement, values: unknown[]): Promise<pg.QueryResult> {
    await this.ready;
    return await on.query({ name: sql.name, text: sql.text, values });
  }
}

/** A subject's advisory-lock key: 32 bits of its SHA-256 (the two-int form's second key). */
function subjectLockKey(subject: string): number {
  return createHash("sha256").update(subject, "utf8").digest().readInt32BE(0);
}

interface LockoutRow {
  subject: string;
  failures: number;
  failuresUntil: number;
  level: number;
  levelUntil: number;
  lockedUntil: number;
}
