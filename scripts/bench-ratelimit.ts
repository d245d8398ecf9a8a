/**
 * `npm run bench:ratelimit`: what rate limiting costs per request, for the
 * embedded store (SQLite file in a temporary data folder, WAL, as in
 * production) and for Redis (REDIS_URL, default redis://127.0.0.1:6379; keys
 * under a throwaway prefix, deleted afterwards). Skips Redis when none
 * answers.
 *
 * Measured in process, without HTTP in between, so the numbers are the
 * limiter's own:
 *
 * 1. `checkCall` of an allowed call (one window counter; the override lookup
 *    in SQLite included) — the cost every API request pays;
 * 2. `checkCall` of a refused call (the 429 path: counter, rejection board,
 *    aggregated audit, the AppError);
 * 3. the same two through the REST door (`handleRest`, GET /contacts with an
 *    API token), against a no-op store as the baseline, so the difference is
 *    what the limiter adds to a whole request.
 *
 * Each is run sequentially (latency: mean, p50, p99) and with 32 calls in
 * flight (throughput). Options (env): BENCH_N calls per run (default 5000).
 * Run it with NODE_ENV=production (as `npm run bench:ratelimit` does): outside
 * production trpc-to-openapi re-validates the whole router on every REST
 * request, which would swamp the numbers.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openSqlite } from "@/db";
import { createContextInner } from "@/server/context";
import { handleRest } from "@/server/http/rest-handler";
import { DEFAULT_RATE_LIMIT_CONFIG, type RateLimitConfig } from "@/server/ratelimit/config";
import { RateLimiter } from "@/server/ratelimit/limiter";
import { redisTcpClient } from "@/server/ratelimit/redis-client";
import { setLimiterFor } from "@/server/ratelimit/runtime";
import type { LimitStore } from "@/server/ratelimit/store";
import { EmbeddedStore } from "@/server/ratelimit/store-embedded";
import { RedisStore } from "@/server/ratelimit/store-redis";
import { deleteKeys, redisAnswers, uniquePrefix } from "@/server/ratelimit/testing/redis";
import { SYSTEM_ACTOR } from "@/server/services/audit";
import { createToken } from "@/server/services/tokens";
import { createTestRuntime, seedUser } from "@/server/testing/harness";

const N = Number(process.env.BENCH_N ?? 5000);
const CONCURRENCY = 32;
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

interface Result {
  name: string;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  perSecond: number;
}

async function measure(name: string, op: () => Promise<unknown>): Promise<Result> {
  for (let i = 0; i < Math.min(500, N / 10); i++) await op(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await op();
    samples.push((performance.now() - t) * 1000);
  }
  samples.sort((a, b) => a - b);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < N) await op();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number;
  return {
    name,
    meanUs: samples.reduce((a, b) => a + b, 0) / samples.length,
    p50Us: at(0.5),
    p99Us: at(0.99),
    perSecond: N / seconds,
  };
}

/** A store that always allows: the baseline of a request without limiting. */
function noopStore(): LimitStore {
  const nothing = async () => {
    throw new Error("not used");
  };
  return {
    kind: "embedded",
    consume: async (_key, rule) => ({
      allowed: true,
      limit: rule.limit,
      remaining: rule.limit,
      resetAt: Date.now() + 60_000,
    }),
    reserveAttempt: nothing,
    settleAttempt: nothing,
    locksOf: nothing,
    unlock: nothing,
    listLocks: nothing,
    recordRejection: async () => {},
    topRejections: nothing,
    ping: async () => {},
    close: async () => {},
  };
}

async function scenario(label: string, makeStore: (db: ReturnType<typeof openSqlite>) => LimitStore) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-rl-"));
  const base = createTestRuntime();
  const rt = { ...base, db: openSqlite(path.join(dir, "gatehouse.db")) };
  const { user, principal } = await seedUser(rt, "bench@example.com");
  const svc = {
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "b" },
  };
  const { token } = await createToken(svc, user.id, { name: "bench", scopes: ["contacts:read"] });

  const generous: RateLimitConfig = {
    ...DEFAULT_RATE_LIMIT_CONFIG,
    api: { limit: 1_000_000_000, windowMs: 3_600_000 },
  };
  const exhausted: RateLimitConfig = { ...DEFAULT_RATE_LIMIT_CONFIG, api: { limit: 1, windowMs: 3_600_000 } };
  const store = makeStore(rt.db);
  const allow = new RateLimiter(store, generous);
  const refuse = new RateLimiter(store, exhausted);
  const ctx = createContextInner({ db: rt.db, clock: rt.clock, principal, transport: "rest" });
  const call = (limiter: RateLimiter) =>
    limiter.checkCall({
      principal,
      ip: "198.51.100.1",
      path: "contacts.list",
      db: rt.db,
      clock: rt.clock,
      client: ctx.client,
      record: ctx.rateLimit,
    });
  await call(refuse).catch(() => {}); // use up the one unit

  const results = [
    await measure(`${label}: limiter, allowed call`, () => call(allow)),
    await measure(`${label}: limiter, refused call (429 path)`, () => call(refuse).catch(() => {})),
  ];

  const request = () =>
    handleRest(
      new Request("http://localhost:3000/api/v1/contacts", { headers: { authorization: `Bearer ${token}` } }),
      rt,
    );
  setLimiterFor(rt, allow);
  results.push(await measure(`${label}: GET /api/v1/contacts, allowed`, request));
  setLimiterFor(rt, refuse);
  results.push(await measure(`${label}: GET /api/v1/contacts, refused (429)`, request));
  await store.close();
  rt.db.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return results;
}

const rows: Result[] = [];
// The baseline never refuses: only its "allowed" request row means anything.
rows.push(
  ...(await scenario("no-op store (baseline)", () => noopStore())).filter((r) => r.name.endsWith("contacts, allowed")),
);
rows.push(...(await scenario("embedded (SQLite)", (db) => new EmbeddedStore(db.$client))));
if (await redisAnswers(REDIS_URL)) {
  const prefix = uniquePrefix("bench");
  rows.push(
    ...(await scenario(
      "redis (TCP)",
      () => new RedisStore("redis", redisTcpClient(REDIS_URL, { connectTimeoutMs: 2_000 }), prefix),
    )),
  );
  await deleteKeys(prefix, REDIS_URL);
} else {
  console.warn(`!! Redis skipped: nothing answers at ${REDIS_URL}`);
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
console.log(`\nRate-limit benchmark: ${N} calls per run, sequential latency, then ${CONCURRENCY} in flight\n`);
console.log("| what | mean µs | p50 µs | p99 µs | per second (32 in flight) |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rows)
  console.log(`| ${r.name} | ${fmt(r.meanUs)} | ${fmt(r.p50Us)} | ${fmt(r.p99Us)} | ${fmt(r.perSecond)} |`);
process.exit(0);
