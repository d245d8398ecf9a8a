import { Ratelimit } from "@upstash/ratelimit";
import type { Redis as UpstashRedis } from "@upstash/redis";
import {
  LIST_LOCKS_SCRIPT,
  LOCKS_OF_SCRIPT,
  RECORD_REJECTION_SCRIPT,
  RESERVE_SCRIPT,
  SETTLE_SCRIPT,
  TOP_REJECTIONS_SCRIPT,
  UNLOCK_SCRIPT,
} from "./lua";
import { type RedisScripting, runScript } from "./redis-client";
import type { Rule } from "./rule";
import {
  ATTEMPT_HOLD_MS,
  type AttemptOutcome,
  type LimitStore,
  type Lock,
  type LockoutSubject,
  MINUTE_MS,
  REJECTION_RETENTION_MS,
  type RejectionCount,
  type Reservation,
  type WindowUse,
} from "./store";

/**
 * The store when Redis is configured (REDIS_URL over TCP, or Upstash's REST
 * API): counters, locks and the rejection board live in Redis, so every
 * Gatehouse process sharing that Redis shares the limits exactly.
 *
 * Window counters go through @upstash/ratelimit's fixed window (one Lua
 * script: INCRBY, and PEXPIRE on the first hit of the window). Its own
 * timeout (which *allows* the request after 5 s) and its ephemeral in-process
 * block cache are turned off: the limiter applies its own short timeout and
 * per-policy fail-open/closed, and an unlock or an override must take effect
 * in every process at once, which a per-process cache would defeat.
 *
 * Keys: `<prefix>:rl:w:<key>:w<windowMs>:<window index>` (counters),
 * `<prefix>:rl:lock:<subject>` and `<prefix>:rl:locks` (lockouts),
 * `<prefix>:rl:rej:<minute>` (rejections).
 */
export class RedisStore implements LimitStore {
  private readonly limiters = new Map<string, Ratelimit>();
  private readonly base: string;

  constructor(
    readonly kind: "redis" | "upstash",
    private readonly client: RedisScripting,
    prefix: string,
  ) {
    this.base = `${prefix}:rl`;
  }

  async consume(key: string, rule: Rule, cost: number): Promise<WindowUse> {
    const result = await this.ratelimitFor(rule).limit(`${key}:w${rule.windowMs}`, { rate: cost });
    return { allowed: result.success, limit: rule.limit, remaining: result.remaining, resetAt: result.reset };
  }

  async reserveAttempt(subjects: readonly LockoutSubject[], attempt: string, now: number): Promise<Reservation> {
    const reply = (await this.run(RESERVE_SCRIPT, this.lockKeys(subjects), [
      now,
      attempt,
      ATTEMPT_HOLD_MS,
      ...ruleArgs(subjects),
    ])) as unknown[];
    if (Number(reply[0]) === 1) return { ok: true };
    return { ok: false, lockedUntil: Number(reply[1]), newlyLocked: locksFrom(reply.slice(2)) };
  }

  async settleAttempt(
    subjects: readonly LockoutSubject[],
    attempt: string,
    outcome: AttemptOutcome,
    now: number,
  ): Promise<Lock[]> {
    const reply = await this.run(SETTLE_SCRIPT, this.lockKeys(subjects), [
      now,
      attempt,
      outcome,
      ...ruleArgs(subjects),
    ]);
    return locksFrom(reply as unknown[]);
  }

  async locksOf(subjects: readonly string[], now: number): Promise<Lock[]> {
    if (subjects.length === 0) return [];
    const keys = subjects.map((s) => this.lockKey(s));
    return locksFrom((await this.run(LOCKS_OF_SCRIPT, keys, [now, ...subjects])) as unknown[]);
  }

  async unlock(subject: string): Promise<boolean> {
    return Number(await this.run(UNLOCK_SCRIPT, [this.lockKey(subject), this.lockIndex], [subject])) > 0;
  }

  async listLocks(now: number, max: number): Promise<Lock[]> {
    const subjects = (await this.run(LIST_LOCKS_SCRIPT, [this.lockIndex], [now, max])) as string[];
    const locks = await this.locksOf(subjects.map(String), now);
    return locks.sort((a, b) => b.lockedUntil - a.lockedUntil || a.subject.localeCompare(b.subject));
  }

  async recordRejection(subject: string, now: number): Promise<void> {
    const minuteKey = `${this.base}:rej:${Math.floor(now / MINUTE_MS)}`;
    await this.run(RECORD_REJECTION_SCRIPT, [minuteKey], [subject, REJECTION_RETENTION_MS]);
  }

  async topRejections(since: number, now: number, max: number): Promise<RejectionCount[]> {
    const keys: string[] = [];
    for (let m = Math.floor(since / MINUTE_MS); m <= Math.floor(now / MINUTE_MS); m++)
      keys.push(`${this.base}:rej:${m}`);
    const reply = (await this.run(TOP_REJECTIONS_SCRIPT, keys, [max])) as unknown[];
    const out: RejectionCount[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push({ subject: String(reply[i]), count: Number(reply[i + 1]) });
    return out;
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private ratelimitFor(rule: Rule): Ratelimit {
    const id = `${rule.limit}/${rule.windowMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new Ratelimit({
        // The library types want an @upstash/redis client; it calls only evalsha/eval on it
        // (get/set are for dynamic limits, which stay off).
        redis: this.client as unknown as UpstashRedis,
        limiter: Ratelimit.fixedWindow(rule.limit, `${rule.windowMs} ms`),
        prefix: `${this.base}:w`,
        ephemeralCache: false,
        timeout: 0,
        analytics: false,
        enableTelemetry: false,
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  private get lockIndex(): string {
    return `${this.base}:locks`;
  }

  private lockKey(subject: string): string {
    return `${this.base}:lock:${subject}`;
  }

  private lockKeys(subjects: readonly LockoutSubject[]): string[] {
    return [...subjects.map((s) => this.lockKey(s.subject)), this.lockIndex];
  }

  private run(script: string, keys: string[], args: unknown[]): Promise<unknown> {
    return runScript(this.client, script, keys, args);
  }
}

function ruleArgs(subjects: readonly LockoutSubject[]): Array<string | number> {
  return subjects.flatMap(({ subject, rule }) => [
    subject,
    rule.limit,
    rule.windowMs,
    rule.baseLockMs,
    rule.maxLockMs,
    rule.memoryMs,
  ]);
}

function locksFrom(flat: readonly unknown[]): Lock[] {
  const out: Lock[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    out.push({ subject: String(flat[i]), lockedUntil: Number(flat[i + 1]), level: Number(flat[i + 2]) });
  }
  return out;
}
