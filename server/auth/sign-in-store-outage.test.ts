import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { auditLog } from "@/db/schema";
import { DEFAULT_RATE_LIMIT_CONFIG, type RateLimitConfig } from "../ratelimit/config";
import { closeLimiterFor, limiterFor } from "../ratelimit/runtime";
import { REQUIRE_SERVICES, startThrowawayRedis, type ThrowawayRedis } from "../ratelimit/testing/redis";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { attemptSignIn } from "./sign-in";

/**
 * A sign-in refused because the rate-limit store could not answer (503) was
 * never checked against its password, so it must never count as a failure —
 * not at the time, and not later, when a Redis that hung resumes and runs
 * every command that was waiting in its socket. (It used to: the attempts a
 * user retried during the freeze were counted once Redis woke up, and the
 * user was locked out for 15 minutes, with the right password.)
 *
 * Real stores, real faults: a private redis-server frozen with SIGSTOP and
 * resumed with SIGCONT; for the embedded store, the SQLite write lock held
 * by another connection for longer than the store waits.
 */

const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;
if (!hasRedisServer) {
  if (REQUIRE_SERVICES) throw new Error("redis-server is not installed, and REQUIRE_SERVICES=1 makes that a failure");
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPED: sign-in under a frozen Redis: no redis-server binary\n${bar}\n`);
}

const MIN = 60_000;
const PASSWORD = "correct horse battery staple";
const WRONG = "wrong horse battery staple";
const LIMITS: Partial<RateLimitConfig> = {
  signin: { limit: 3, windowMs: 15 * MIN },
  signinIp: { limit: 5, windowMs: 15 * MIN },
  timeoutMs: 150,
};

const from = (ip: string) => ({ ip, userAgent: "vitest", requestId: "req_store_outage" });
const signIn = (rt: TestRuntime, email: string, password: string, ip = "198.51.100.7") =>
  attemptSignIn(rt, { email, password }, from(ip));
const failures = async (rt: TestRuntime) =>
  (await rt.db.select().from(auditLog).where(eq(auditLog.action, "session.login_failed")).all()).length;

/** What every variant must show once the store answers again. */
async function expectNothingCounted(rt: TestRuntime) {
  // Not locked: the right password signs in, from the address that retried.
  expect(await signIn(rt, "alice@example.com", PASSWORD)).toMatchObject({ ok: true });
  expect(await limiterFor(rt).lockouts()).toEqual([]);
  expect(await failures(rt)).toBe(0);
  // And real failures still count: RATE_LIMIT_SIGNIN wrong passwords lock the account.
  for (let i = 0; i < 3; i++)
    expect(await signIn(rt, "alice@example.com", WRONG)).toEqual({ ok: false, reason: "invalid" });
  expect(await signIn(rt, "alice@example.com", PASSWORD)).toMatchObject({ ok: false, reason: "locked" });
}

/** Retries during the outage: the right password, wrong ones, another account, from the same address. */
async function retryDuringOutage(rt: TestRuntime) {
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await signIn(rt, "alice@example.com", PASSWORD));
  for (let i = 0; i < 4; i++) answers.push(await signIn(rt, "alice@example.com", WRONG));
  answers.push(...(await Promise.all(Array.from({ length: 4 }, () => signIn(rt, "alice@example.com", PASSWORD)))));
  answers.push(await signIn(rt, "bob@example.com", PASSWORD));
  for (const answer of answers) expect(answer).toEqual({ ok: false, reason: "unavailable" });
}

describe.skipIf(!hasRedisServer)("Redis frozen (SIGSTOP) and resumed (SIGCONT)", () => {
  let redis: ThrowawayRedis;
  let rt: TestRuntime;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    rt = createTestRuntime({
      rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, ...LIMITS, store: { kind: "redis", url: redis.url } },
    });
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    await seedUser(rt, "bob@example.com", "member", PASSWORD);
  });
  afterAll(async () => {
    await closeLimiterFor(rt);
    await redis?.stop();
  });

  it("sign-ins refused while it hung are not counted once it runs their commands", async () => {
    // Connected and working first: the commands sent during the freeze go down a live socket.
    expect(await signIn(rt, "bob@example.com", PASSWORD)).toMatchObject({ ok: true });

    redis.pause();
    try {
      await retryDuringOutage(rt);
    } finally {
      redis.resume();
    }
    // Redis runs what waited in its socket, in order; wait until it has answered everything.
    for (let i = 0; i < 50 && !(await limiterFor(rt).health()).ok; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await limiterFor(rt).health()).ok).toBe(true);

    await expectNothingCounted(rt);
  });
});

describe("embedded store: the SQLite write lock held elsewhere beyond the store's wait", () => {
  let dir: string;
  let rt: TestRuntime;
  let other: Database.Database;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-signin-outage-"));
    const file = path.join(dir, "gatehouse.db");
    rt = createTestRuntime({ rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, ...LIMITS } });
    rt.db = openDatabase(file);
    // The application's connection waits 5 s for the lock in production; here briefly, to keep the test fast.
    sqliteOf(rt.db).pragma("busy_timeout = 20");
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    await seedUser(rt, "bob@example.com", "member", PASSWORD);
    other = new Database(file);
  });
  afterEach(() => {
    if (other.inTransaction) other.exec("ROLLBACK");
  });
  afterAll(async () => {
    try {
      other?.close();
      await closeLimiterFor(rt);
      if (rt) sqliteOf(rt.db).close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sign-ins refused while another process held the lock are not counted afterwards", async () => {
    other.exec("BEGIN IMMEDIATE");
    try {
      await retryDuringOutage(rt);
    } finally {
      other.exec("ROLLBACK");
    }
    await expectNothingCounted(rt);
  });
});
