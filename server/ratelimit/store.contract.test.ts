import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { dropSchema, openTestPostgres, postgresForTests, uniqueSchema } from "@/db/postgres/testing";
import { redisTcpClient, upstashRestClient } from "./redis-client";
import { ATTEMPT_HOLD_MS, type LimitStore, type LockoutRule, type LockoutSubject } from "./store";
import { EmbeddedStore } from "./store-embedded";
import { PostgresStore } from "./store-postgres";
import { RedisStore } from "./store-redis";
import { deleteKeys, REDIS_URL, redisForTests, startUpstashShim, uniquePrefix } from "./testing/redis";

/**
 * One behaviour, every store: the same cases run against the embedded
 * SQLite store, the PostgreSQL store (in a schema of its own), Redis over TCP
 * (the `redis` client through our adapter) and Upstash's REST client
 * (through a local stand-in for the REST API, in front of the same real
 * Redis). A store that passes here can replace another.
 */

const redis = await redisForTests("rate-limit store contract suite (Redis over TCP and Upstash REST)");
const postgres = await postgresForTests("rate-limit store contract suite (PostgreSQL)");

interface Harness {
  store: LimitStore;
  teardown(): Promise<void>;
}

const STORES: Array<{ name: string; available: boolean; make(): Promise<Harness> }> = [
  {
    name: "embedded (SQLite)",
    available: true,
    async make() {
      const db = openDatabase(":memory:");
      const store = new EmbeddedStore(sqliteOf(db));
      return { store, teardown: async () => store.close() };
    },
  },
  {
    name: "postgres",
    available: postgres.available,
    async make() {
      const schema = uniqueSchema("limits");
      const db = openTestPostgres(schema);
      const store = new PostgresStore(db);
      await store.ping();
      return {
        store,
        async teardown() {
          await store.close();
          await dropSchema(schema, db);
        },
      };
    },
  },
  {
    name: "redis (TCP adapter)",
    available: redis.available,
    async make() {
      const prefix = uniquePrefix("contract-tcp");
      const store = new RedisStore("redis", redisTcpClient(REDIS_URL, { connectTimeoutMs: 1_000 }), prefix);
      await waitUntilReady(store);
      return {
        store,
        async teardown() {
          await store.close();
          await deleteKeys(prefix);
        },
      };
    },
  },
  {
    name: "upstash (REST client)",
    available: redis.available,
    async make() {
      const prefix = uniquePrefix("contract-rest");
      const shim = await startUpstashShim(REDIS_URL, "test-token");
      const store = new RedisStore("upstash", upstashRestClient(shim.url, "test-token", { timeoutMs: 15_000 }), prefix);
      return {
        store,
        async teardown() {
          await store.close();
          await shim.close();
          await deleteKeys(prefix);
        },
      };
    },
  },
];

async function waitUntilReady(store: LimitStore) {
  for (let i = 0; i < 50; i++) {
    try {
      return await store.ping();
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await store.ping();
}

const MIN = 60_000;
// A window start far from any boundary the test could cross by accident.
const T0 = Date.UTC(2031, 0, 1, 0, 0, 0) + 1_000;
const LOCKOUT: LockoutRule = {
  limit: 3,
  windowMs: 15 * MIN,
  baseLockMs: 15 * MIN,
  maxLockMs: 60 * MIN,
  memoryMs: 24 * 60 * MIN,
};

for (const spec of STORES) {
  describe.skipIf(!spec.available)(`LimitStore contract: ${spec.name}`, () => {
    let h: Harness;
    let store: LimitStore;

    beforeAll(async () => {
      h = await spec.make();
      store = h.store;
    });
    afterAll(async () => {
      await h?.teardown();
    });
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(T0);
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    // Each case uses its own keys, so the cases share one store.
    let n = 0;
    const fresh = (label: string) => `${label}-${++n}`;

    describe("fixed windows", () => {
      it("admits exactly `limit` units, counting down, then refuses until the window ends", async () => {
        const key = fresh("exact");
        const rule = { limit: 5, windowMs: MIN };
        const results = [];
        for (let i = 0; i < 7; i++) results.push(await store.consume(key, rule, 1));
        expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
        expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
        for (const r of results) {
          expect(r.limit).toBe(5);
          // Aligned to the epoch: the window containing T0 ends at the next whole minute.
          expect(r.resetAt).toBe(Math.ceil(T0 / MIN) * MIN);
        }
      });

      it("gives the whole quota back in the next window, and not before", async () => {
        const key = fresh("reset");
        const rule = { limit: 2, windowMs: MIN };
        await store.consume(key, rule, 1);
        const last = await store.consume(key, rule, 1);
        expect((await store.consume(key, rule, 1)).allowed).toBe(false);
        vi.setSystemTime(last.resetAt - 1);
        expect((await store.consume(key, rule, 1)).allowed).toBe(false);
        vi.setSystemTime(last.resetAt);
        const next = await store.consume(key, rule, 1);
        expect(next).toMatchObject({ allowed: true, remaining: 1, resetAt: last.resetAt + MIN });
      });

      it("charges a cost in units, and refuses a call whose cost no longer fits", async () => {
        const key = fresh("cost");
        const rule = { limit: 10, windowMs: MIN };
        expect(await store.consume(key, rule, 3)).toMatchObject({ allowed: true, remaining: 7 });
        expect(await store.consume(key, rule, 3)).toMatchObject({ allowed: true, remaining: 4 });
        expect(await store.consume(key, rule, 3)).toMatchObject({ allowed: true, remaining: 1 });
        expect(await store.consume(key, rule, 3)).toMatchObject({ allowed: false, remaining: 0 });
        expect(await store.consume(key, rule, 1)).toMatchObject({ allowed: false });
      });

      it("keeps keys apart: one key's exhaustion leaves another untouched", async () => {
        const a = fresh("a");
        const b = fresh("b");
        const rule = { limit: 3, windowMs: MIN };
        for (let i = 0; i < 5; i++) await store.consume(a, rule, 1);
        expect(await store.consume(b, rule, 1)).toMatchObject({ allowed: true, remaining: 2 });
      });

      it("keeps rules with different windows apart for the same key", async () => {
        const key = fresh("windows");
        for (let i = 0; i < 3; i++) await store.consume(key, { limit: 3, windowMs: MIN }, 1);
        expect((await store.consume(key, { limit: 3, windowMs: MIN }, 1)).allowed).toBe(false);
        expect(await store.consume(key, { limit: 3, windowMs: 3_600_000 }, 1)).toMatchObject({ allowed: true });
      });

      it("a raised limit applies at once to the units already used in the window", async () => {
        const key = fresh("raise");
        for (let i = 0; i < 3; i++) await store.consume(key, { limit: 3, windowMs: MIN }, 1);
        expect(await store.consume(key, { limit: 10, windowMs: MIN }, 1)).toMatchObject({
          allowed: true,
          remaining: 6,
        });
      });

      it("200 concurrent calls against a limit of 50 admit exactly 50", async () => {
        const key = fresh("concurrent");
        const rule = { limit: 50, windowMs: MIN };
        const results = await Promise.all(Array.from({ length: 200 }, () => store.consume(key, rule, 1)));
        expect(results.filter((r) => r.allowed)).toHaveLength(50);
        expect(
          results
            .filter((r) => r.allowed)
            .map((r) => r.remaining)
            .sort((x, y) => x - y),
        ).toEqual(Array.from({ length: 50 }, (_, i) => i));
      });
    });

    describe("escalating lockouts", () => {
      const subject = (name: string): LockoutSubject => ({
        subject: `account:${fresh(name)}@example.com`,
        rule: LOCKOUT,
      });

      const attempt = () => fresh("attempt");
      const reserve = (subjects: LockoutSubject[], now: number, id = attempt()) =>
        store.reserveAttempt(subjects, id, now);

      /** One whole failed attempt: reserve, then settle as a failure. */
      async function fail(subjects: LockoutSubject[], now: number) {
        const id = attempt();
        const reservation = await store.reserveAttempt(subjects, id, now);
        if (!reservation.ok) return { reservation, locked: [] };
        return { reservation, locked: await store.settleAttempt(subjects, id, "failure", now) };
      }

      it("locks at the limit-th failure, for the base time, and refuses every attempt meanwhile", async () => {
        const s = subject("lock");
        expect((await fail([s], T0)).locked).toEqual([]);
        expect((await fail([s], T0 + 1)).locked).toEqual([]);
        const third = await fail([s], T0 + 2);
        expect(third.locked).toEqual([{ subject: s.subject, lockedUntil: T0 + 2 + 15 * MIN, level: 1 }]);

        const refused = await reserve([s], T0 + 3);
        expect(refused).toEqual({ ok: false, lockedUntil: T0 + 2 + 15 * MIN, newlyLocked: [] });
        expect(await store.locksOf([s.subject], T0 + 3)).toEqual([
          { subject: s.subject, lockedUntil: T0 + 2 + 15 * MIN, level: 1 },
        ]);
        // The lock ends on time, and the count starts from zero again.
        expect(await store.locksOf([s.subject], T0 + 2 + 15 * MIN)).toEqual([]);
        expect((await reserve([s], T0 + 2 + 15 * MIN)).ok).toBe(true);
      });

      it("doubles each further lock within the memory, up to the maximum", async () => {
        const s = subject("escalate");
        let now = T0;
        const lengths: number[] = [];
        for (let lock = 0; lock < 4; lock++) {
          let locked: Awaited<ReturnType<typeof fail>>["locked"] = [];
          for (let i = 0; i < 3; i++) locked = (await fail([s], now)).locked;
          expect(locked).toHaveLength(1);
          lengths.push((locked[0]?.lockedUntil ?? 0) - now);
          expect(locked[0]?.level).toBe(lock + 1);
          now = locked[0]?.lockedUntil ?? now;
        }
        expect(lengths).toEqual([15 * MIN, 30 * MIN, 60 * MIN, 60 * MIN]);
      });

      it("forgets the level once the memory has passed", async () => {
        const s = subject("forget");
        for (let i = 0; i < 3; i++) await fail([s], T0);
        const after = T0 + 15 * MIN + LOCKOUT.memoryMs + 1;
        let locked: Awaited<ReturnType<typeof fail>>["locked"] = [];
        for (let i = 0; i < 3; i++) locked = (await fail([s], after)).locked;
        expect(locked[0]).toMatchObject({ level: 1, lockedUntil: after + 15 * MIN });
      });

      it("a success counts nothing: failures, not attempts, lead to a lock", async () => {
        const s = subject("success");
        await fail([s], T0);
        await fail([s], T0);
        for (let i = 0; i < 5; i++) {
          const id = attempt();
          expect((await reserve([s], T0, id)).ok).toBe(true);
          expect(await store.settleAttempt([s], id, "success", T0)).toEqual([]);
        }
        expect((await fail([s], T0)).locked).toHaveLength(1);
      });

      it("counts failures in a window from the first one: old failures expire", async () => {
        const s = subject("window");
        await fail([s], T0);
        await fail([s], T0);
        const later = T0 + LOCKOUT.windowMs;
        expect((await fail([s], later)).locked).toEqual([]);
        expect((await fail([s], later)).locked).toEqual([]);
        expect((await fail([s], later)).locked).toHaveLength(1);
      });

      it("parallel attempts cannot outrun the count: exactly `limit` reservations hold a place, none is a failure", async () => {
        const s = subject("parallel");
        const ids = Array.from({ length: 20 }, attempt);
        const results = await Promise.all(ids.map((id) => reserve([s], T0, id)));
        const held = ids.filter((_, i) => results[i]?.ok);
        expect(held).toHaveLength(3);
        // The refused ones wait for a place, not for a lock: nothing has failed yet.
        for (const r of results)
          if (!r.ok) expect(r).toEqual({ ok: false, lockedUntil: T0 + ATTEMPT_HOLD_MS, newlyLocked: [] });
        expect(await store.locksOf([s.subject], T0)).toEqual([]);
        // The three checked passwords were wrong: the third failure locks.
        const locks = [];
        for (const id of held) locks.push(...(await store.settleAttempt([s], id, "failure", T0)));
        expect(locks).toEqual([{ subject: s.subject, lockedUntil: T0 + 15 * MIN, level: 1 }]);
      });

      it("a settled attempt gives its place back at once, whatever its outcome", async () => {
        const s = subject("release");
        const ids = [attempt(), attempt(), attempt()];
        for (const id of ids) expect((await reserve([s], T0, id)).ok).toBe(true);
        expect((await reserve([s], T0)).ok).toBe(false);
        await store.settleAttempt([s], ids[0] as string, "success", T0);
        await store.settleAttempt([s], ids[1] as string, "abandoned", T0);
        expect((await reserve([s], T0)).ok).toBe(true);
        expect(await store.locksOf([s.subject], T0)).toEqual([]);
      });

      it("reservations never settled are not failures: their holds lapse and nothing is counted", async () => {
        const s = subject("unsettled");
        const ip: LockoutSubject = { subject: `signin-ip:${fresh("ip")}`, rule: LOCKOUT };
        for (let i = 0; i < 10; i++) await reserve([s, ip], T0);
        expect((await reserve([s, ip], T0 + ATTEMPT_HOLD_MS - 1)).ok).toBe(false);
        // Lapsed: a full set of places again, and still no failure on record for either subject.
        const later = T0 + ATTEMPT_HOLD_MS;
        expect((await fail([s, ip], later)).locked).toEqual([]);
        expect((await fail([s, ip], later)).locked).toEqual([]);
        expect((await fail([s, ip], later)).locked).toHaveLength(2);
      });

      it("a reservation run late (sent before the store hung, run when it resumed) counts nothing", async () => {
        const s = subject("late");
        // Commands that waited in a frozen server's socket run in a burst, each with the time it was sent.
        for (let i = 0; i < 12; i++) await reserve([s], T0 - 30_000 + i * 100);
        const results = [];
        for (let i = 0; i < 3; i++) results.push((await reserve([s], T0)).ok);
        expect(results).toEqual([true, true, true]);
        expect(await store.locksOf([s.subject], T0)).toEqual([]);
      });

      it("a failure settled after its hold lapsed still counts", async () => {
        const s = subject("slow");
        for (let i = 0; i < 3; i++) {
          const id = attempt();
          expect((await reserve([s], T0 + i, id)).ok).toBe(true);
          const locked = await store.settleAttempt([s], id, "failure", T0 + i + ATTEMPT_HOLD_MS + 1);
          expect(locked).toHaveLength(i === 2 ? 1 : 0);
        }
      });

      it("a locked IP refuses the attempt without counting it against the account", async () => {
        const account = subject("acct");
        const ip: LockoutSubject = { subject: `signin-ip:${fresh("ip")}`, rule: { ...LOCKOUT, limit: 2 } };
        await fail([ip], T0);
        await fail([ip], T0);
        expect(await store.locksOf([ip.subject], T0)).toHaveLength(1);
        expect((await reserve([account, ip], T0)).ok).toBe(false);
        // The account has no failures: three of its own still lock it only at the third.
        expect((await fail([account], T0)).locked).toEqual([]);
        expect((await fail([account], T0)).locked).toEqual([]);
        expect((await fail([account], T0)).locked).toHaveLength(1);
      });

      it("other subjects are unaffected by one's lock", async () => {
        const a = subject("victim");
        const b = subject("bystander");
        for (let i = 0; i < 3; i++) await fail([a], T0);
        expect((await reserve([a], T0)).ok).toBe(false);
        expect((await reserve([b], T0)).ok).toBe(true);
        expect(await store.locksOf([a.subject, b.subject], T0)).toEqual([
          expect.objectContaining({ subject: a.subject }),
        ]);
      });

      it("unlock ends the lock and the escalation; unlocking nothing says so", async () => {
        const s = subject("unlock");
        for (let i = 0; i < 3; i++) await fail([s], T0);
        expect(await store.unlock(s.subject)).toBe(true);
        expect(await store.locksOf([s.subject], T0)).toEqual([]);
        await fail([s], T0);
        await fail([s], T0);
        const relock = await fail([s], T0);
        expect(relock.locked[0]).toMatchObject({ level: 1 });
        expect(await store.unlock(`account:${fresh("never")}@example.com`)).toBe(false);
      });

      it("lists the subjects locked now, latest end first", async () => {
        const first = subject("list-a");
        const second = subject("list-b");
        const gone = subject("list-gone");
        for (let i = 0; i < 3; i++) await fail([gone], T0 - 20 * MIN);
        for (let i = 0; i < 3; i++) await fail([first], T0);
        for (let i = 0; i < 3; i++) await fail([second], T0 + 1_000);
        const listed = (await store.listLocks(T0 + 2_000, 100)).filter((l) =>
          [first.subject, second.subject, gone.subject].includes(l.subject),
        );
        expect(listed.map((l) => l.subject)).toEqual([second.subject, first.subject]);
        expect(listed[0]).toEqual({ subject: second.subject, lockedUntil: T0 + 1_000 + 15 * MIN, level: 1 });
      });
    });

    describe("rejection board", () => {
      it("counts rejections per subject over the last minutes, most first", async () => {
        const heavy = `ip:${fresh("heavy")}`;
        const light = `user:${fresh("light")}`;
        const old = `ip:${fresh("old")}`;
        await store.recordRejection(old, T0 - 90 * MIN);
        for (let i = 0; i < 4; i++) await store.recordRejection(heavy, T0);
        await store.recordRejection(heavy, T0 + MIN);
        await store.recordRejection(light, T0 + MIN);

        const top = (await store.topRejections(T0 - 60 * MIN, T0 + MIN, 50)).filter((r) =>
          [heavy, light, old].includes(r.subject),
        );
        expect(top).toEqual([
          { subject: heavy, count: 5 },
          { subject: light, count: 1 },
        ]);
      });
    });

    it("answers ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
