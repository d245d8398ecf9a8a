import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Scope } from "../auth/scopes";
import { attemptSignIn } from "../auth/sign-in";
import { handleRest } from "../http/rest-handler";
import { handleTrpc } from "../http/trpc-handler";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { DEFAULT_RATE_LIMIT_CONFIG } from "./config";
import { limiterFor } from "./runtime";
import { REQUIRE_SERVICES, startThrowawayRedis, type ThrowawayRedis } from "./testing/redis";

/**
 * Redis goes away in the middle of the run. This uses a private
 * redis-server on a free port (never the shared one), first working, then
 * paused (a Redis that hangs), then killed (a Redis that is down). The
 * written behaviour must hold every time, and nothing may take longer than
 * the timeout allows:
 *
 * - ordinary API calls fail OPEN: answered normally, without RateLimit fields;
 * - token creation fails CLOSED: 503 problem+json with Retry-After;
 * - password sign-in fails CLOSED: refused, no password checked;
 * - never a 500.
 */

const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;
if (!hasRedisServer) {
  if (REQUIRE_SERVICES) throw new Error("redis-server is not installed, and REQUIRE_SERVICES=1 makes that a failure");
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPED: Redis outage tests: no redis-server binary to start a throwaway one\n${bar}\n`);
}

const ORIGIN = "http://localhost:3000";
const TIMEOUT_MS = 200;
/** Timeout plus generous slack for a loaded CI machine; a hang would be seconds. */
const FAST_MS = 1_500;
const PASSWORD = "correct horse battery staple";
const SCOPES: Scope[] = ["contacts:read", "tokens:read", "tokens:write"];

describe.skipIf(!hasRedisServer)("Redis stopped mid-test", () => {
  let redis: ThrowawayRedis;
  let rt: TestRuntime;
  let token: string;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    rt = createTestRuntime({
      rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, timeoutMs: TIMEOUT_MS, store: { kind: "redis", url: redis.url } },
    });
    const { user } = await seedUser(rt, "alice@example.com", "member", PASSWORD);
    const svc = {
      db: rt.db,
      clock: rt.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "t" },
    };
    token = (await createToken(svc, user.id, { name: "t", scopes: SCOPES })).token;
  });

  afterAll(async () => {
    await limiterFor(rt).close();
    await redis.stop();
  });

  const read = () =>
    handleRest(new Request(`${ORIGIN}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } }), rt);
  const createTokenCall = () =>
    handleRest(
      new Request(`${ORIGIN}/api/v1/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "ci", scopes: ["contacts:read"] }),
      }),
      rt,
    );
  const trpcRead = () =>
    handleTrpc(
      new Request(`${ORIGIN}/api/trpc/tokens.list?input=${encodeURIComponent("{}")}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
      rt,
    );
  const signIn = () =>
    attemptSignIn(
      rt,
      { email: "alice@example.com", password: PASSWORD },
      { ip: "198.51.100.7", userAgent: null, requestId: "r" },
    );

  async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await fn();
    return { value, ms: performance.now() - started };
  }

  async function expectWrittenBehaviour() {
    const ordinary = await timed(read);
    expect(ordinary.value.status).toBe(200);
    expect(ordinary.value.headers.get("ratelimit")).toBeNull();
    expect(ordinary.ms).toBeLessThan(FAST_MS);

    const viaTrpc = await timed(trpcRead);
    expect(viaTrpc.value.status).toBe(200);
    expect(viaTrpc.ms).toBeLessThan(FAST_MS);

    const sensitive = await timed(createTokenCall);
    expect(sensitive.value.status).toBe(503);
    expect(sensitive.value.headers.get("retry-after")).toBe("5");
    expect(await sensitive.value.json()).toMatchObject({ type: "urn:gatehouse:problem:rate_limit_unavailable" });
    expect(sensitive.ms).toBeLessThan(FAST_MS);

    const login = await timed(signIn);
    expect(login.value).toEqual({ ok: false, reason: "unavailable" });
    expect(login.ms).toBeLessThan(FAST_MS);
  }

  it("while Redis works: limited answers with RateLimit fields, sign-in works", async () => {
    const res = await read();
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit")).toMatch(/^"api";r=\d+;t=\d+$/);
    expect((await createTokenCall()).status).toBe(201);
    expect(await signIn()).toMatchObject({ ok: true });
  });

  it("Redis hangs (SIGSTOP): ordinary calls go through, token creation and sign-in are refused, within the timeout", async () => {
    redis.pause();
    try {
      await expectWrittenBehaviour();
    } finally {
      redis.resume();
    }
  });

  it("Redis comes back: limiting resumes", async () => {
    let res = await read();
    for (let i = 0; i < 20 && res.headers.get("ratelimit") === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await read();
    }
    expect(res.headers.get("ratelimit")).not.toBeNull();
  });

  it("Redis is killed: the same written behaviour, and nothing hangs", async () => {
    await redis.stop();
    await expectWrittenBehaviour();
    // And again, once the client is reconnecting in the background.
    await new Promise((r) => setTimeout(r, 300));
    await expectWrittenBehaviour();
  });
});
