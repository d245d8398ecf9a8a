import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { deleteKeys, REDIS_URL, redisForTests, uniquePrefix } from "./testing/redis";

/**
 * Exactness across processes: two real Node processes (tsx), each with its
 * own connection, fire concurrent requests at the same key of the same store
 * at the same moment. The limit must hold exactly across both — for Redis
 * (what several Gatehouse instances share) and for the embedded SQLite store
 * (which claims to be correct across processes on one machine).
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const LIMIT = 100;
const PER_PROCESS = 400;

const redis = await redisForTests("two-process exactness on real Redis");

interface Run {
  allowed: number;
  firstAt: number;
  lastAt: number;
}

/** Spawns a worker; resolves `ready` once it is connected, and `done` with its result. */
function worker(env: Record<string, string>) {
  const child = spawn(TSX, ["server/ratelimit/testing/consume-worker.ts"], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
  });
  let out = "";
  let err = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("ready\n")) markReady();
    });
    child.stderr.on("data", (chunk) => {
      err += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`worker exited ${code}: ${err.slice(0, 500)}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Run);
    });
  });
  return { ready, done, go: (startAt: number) => child.stdin.end(`go ${startAt}\n`) };
}

/**
 * Both workers boot (tsx takes seconds), connect, and only then get "go"
 * together; their requests must really have overlapped in time.
 */
async function race(env: Record<string, string>): Promise<number> {
  const common = { KEY: `race-${randomBytes(6).toString("hex")}`, LIMIT: String(LIMIT), COUNT: String(PER_PROCESS) };
  const workers = [worker({ ...env, ...common }), worker({ ...env, ...common })];
  await Promise.all(workers.map((w) => w.ready));
  // Both start at the same instant, a moment from now.
  const startAt = Date.now() + 250;
  for (const w of workers) w.go(startAt);
  const runs = await Promise.all(workers.map((w) => w.done));
  expect(Math.max(...runs.map((r) => r.firstAt))).toBeLessThan(Math.min(...runs.map((r) => r.lastAt)));
  return runs.reduce((sum, r) => sum + r.allowed, 0);
}

describe.skipIf(!redis.available)("two processes, one Redis", () => {
  const prefix = uniquePrefix("two-process");
  afterAll(() => deleteKeys(prefix));

  it(`admit exactly ${LIMIT} of ${2 * PER_PROCESS} concurrent requests`, { timeout: 60_000 }, async () => {
    expect(await race({ STORE: "redis", REDIS_URL, PREFIX: prefix })).toBe(LIMIT);
  });
});

describe("two processes, one embedded SQLite store", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-race-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`admit exactly ${LIMIT} of ${2 * PER_PROCESS} concurrent requests`, { timeout: 60_000 }, async () => {
    const file = path.join(dir, "gatehouse.db");
    sqliteOf(openDatabase(file)).close(); // migrated once, before the race
    expect(await race({ STORE: "embedded", DB_FILE: file })).toBe(LIMIT);
  });
});
