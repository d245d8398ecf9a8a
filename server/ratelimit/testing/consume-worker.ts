/**
 * One of the processes of the two-process exactness test
 * (server/ratelimit/two-process.test.ts): opens its own connection to the
 * shared store, says it is ready, waits for the test's go, makes COUNT consumes of KEY
 * against LIMIT in LANES concurrent lanes of back-to-back requests (so the
 * two processes' requests interleave for a while rather than arriving as two
 * bursts), and prints how many were admitted and when it started and ended.
 */
import { openSqlite } from "@/db";
import { redisTcpClient } from "../redis-client";
import type { LimitStore } from "../store";
import { EmbeddedStore } from "../store-embedded";
import { RedisStore } from "../store-redis";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`consume-worker: ${name} is required`);
  return value;
};

const store: LimitStore =
  env("STORE") === "redis"
    ? new RedisStore("redis", redisTcpClient(env("REDIS_URL"), { connectTimeoutMs: 2_000 }), env("PREFIX"))
    : new EmbeddedStore(openSqlite(env("DB_FILE")).$client);

// Connected and warmed up, then wait for the test's "go <instant>" on stdin, sent to both processes, and
// start at that wall-clock instant: a busy machine may deliver the line to one process well after the other.
await store.ping();
process.stdout.write("ready\n");
const startAt = await new Promise<number>((resolve) =>
  process.stdin.once("data", (chunk) => resolve(Number(String(chunk).trim().split(" ")[1] ?? 0))),
);
process.stdin.pause();
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));

// A week-long window (aligned to the epoch): the test cannot straddle a window boundary in practice.
const rule = { limit: Number(env("LIMIT")), windowMs: 7 * 86_400_000 };
const lanes = Number(process.env.LANES ?? 10);
const perLane = Math.ceil(Number(env("COUNT")) / lanes);
let allowed = 0;
const firstAt = Date.now();
await Promise.all(
  Array.from({ length: lanes }, async () => {
    for (let i = 0; i < perLane; i++) if ((await store.consume(env("KEY"), rule, 1)).allowed) allowed++;
  }),
);
process.stdout.write(`${JSON.stringify({ allowed, firstAt, lastAt: Date.now() })}\n`);
await store.close();
