import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db";
import { dropSchema, openTestPostgres, postgresForTests, uniqueSchema } from "@/db/postgres/testing";
import type { LockoutRule, LockoutSubject } from "./store";
import { PostgresStore } from "./store-postgres";

/**
 * The PostgreSQL store across a fleet: two handles on one schema are two
 * instances of Gatehouse (two pools, so no connection is shared), and the
 * limits they count together are exact — the reason the store exists rather
 * than a memory store per instance.
 */
const postgres = await postgresForTests("rate-limit PostgreSQL store across instances");

const MIN = 60_000;
const LOCKOUT: LockoutRule = {
  limit: 3,
  windowMs: 15 * MIN,
  baseLockMs: 15 * MIN,
  maxLockMs: 60 * MIN,
  memoryMs: 24 * 60 * MIN,
};

describe.skipIf(!postgres.available)("PostgreSQL rate-limit store: two instances on one database", () => {
  const schema = uniqueSchema("limits");
  let dbs: Db[] = [];
  let stores: PostgresStore[] = [];

  beforeAll(async () => {
    // The first handle migrates the schema; the second then finds nothing left to do.
    const first = openTestPostgres(schema, { max: 6 });
    const a = new PostgresStore(first);
    await a.ping();
    const second = openTestPostgres(schema, { max: 6 });
    const b = new PostgresStore(second);
    await b.ping();
    dbs = [first, second];
    stores = [a, b];
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await dropSchema(schema, ...dbs);
  });

  const instance = (i: number) => stores[i % 2] as PostgresStore;
  let n = 0;
  const fresh = (label: string) => `${label}-${++n}`;

  it("4×N concurrent calls spread over both instances admit exactly N", async () => {
    const key = fresh("ip:203.0.113.5");
    const rule = { limit: 40, windowMs: MIN };
    const results = await Promise.all(Array.from({ length: 160 }, (_, i) => instance(i).consume(key, rule, 1)));
    const admitted = results.filter((r) => r.allowed);
    expect(admitted).toHaveLength(40);
    expect(admitted.map((r) => r.remaining).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("concurrent reservations for one subject on both instances never hold more places than the rule allows", async () => {
    const now = Date.now();
    const account: LockoutSubject = { subject: `account:${fresh("acct")}`, rule: LOCKOUT };
    // An account and the address it is tried from, in both orders: the instances lock overlapping subjects.
    const ip: LockoutSubject = { subject: `signin-ip:${fresh("198.51.100.7")}`, rule: { ...LOCKOUT, limit: 5 } };
    const attempts = Array.from({ length: 30 }, (_, i) => ({
      id: fresh("attempt"),
      subjects: i % 3 === 0 ? [ip, account] : [account, ip],
    }));
    const results = await Promise.all(attempts.map((a, i) => instance(i).reserveAttempt(a.subjects, a.id, now)));
    const held = attempts.filter((_, i) => results[i]?.ok);
    expect(held).toHaveLength(LOCKOUT.limit);

    // Every held attempt fails, settled across both instances at once: exactly one lock, at the limit-th failure.
    const locks = (
      await Promise.all(held.map((a, i) => instance(i + 1).settleAttempt(a.subjects, a.id, "failure", now)))
    ).flat();
    expect(locks).toEqual([{ subject: account.subject, lockedUntil: now + LOCKOUT.baseLockMs, level: 1 }]);
    const after = await Promise.all(
      Array.from({ length: 6 }, (_, i) => instance(i).reserveAttempt([account, ip], fresh("attempt"), now)),
    );
    expect(after.every((r) => !r.ok)).toBe(true);
  });

  it("a lock set through one instance is seen by the other, and unlocking through the other clears it", async () => {
    const now = Date.now();
    const [a, b] = [instance(0), instance(1)];
    const s: LockoutSubject = { subject: `account:${fresh("shared")}`, rule: LOCKOUT };
    let locked: Awaited<ReturnType<PostgresStore["settleAttempt"]>> = [];
    for (let i = 0; i < LOCKOUT.limit; i++) {
      const id = fresh("attempt");
      expect((await a.reserveAttempt([s], id, now)).ok).toBe(true);
      locked = await a.settleAttempt([s], id, "failure", now);
    }
    const lock = { subject: s.subject, lockedUntil: now + LOCKOUT.baseLockMs, level: 1 };
    expect(locked).toEqual([lock]);
    expect(await b.locksOf([s.subject], now)).toEqual([lock]);
    expect((await b.reserveAttempt([s], fresh("attempt"), now)).ok).toBe(false);

    expect(await b.unlock(s.subject)).toBe(true);
    expect(await a.locksOf([s.subject], now)).toEqual([]);
    expect((await a.reserveAttempt([s], fresh("attempt"), now)).ok).toBe(true);
  });
});
