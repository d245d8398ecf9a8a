import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog } from "@/db/schema";
import type { Scope } from "../auth/scopes";
import { createContextInner } from "../context";
import { DEFAULT_RATE_LIMIT_CONFIG, type RateLimitConfig } from "../ratelimit/config";
import { RateLimiter } from "../ratelimit/limiter";
import { rateLimitMetrics } from "../ratelimit/metrics";
import { setLimiterFor } from "../ratelimit/runtime";
import { failingStore, hangingStore } from "../ratelimit/testing/stores";
import { createCaller } from "../root";
import { PEER_HEADER, PEER_STAMP_ENV, PEER_STAMP_HEADER, parseTrustedProxies } from "../security/client-ip";
import { SYSTEM_ACTOR } from "../services/audit";
import { setOverride } from "../services/rate-limit-overrides";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { QUOTA_EXCEEDED_TYPE } from "./rate-limit-headers";
import { handleRest } from "./rest-handler";
import { type Item, parseList } from "./testing/structured-fields";
import { handleTrpc } from "./trpc-handler";

/**
 * Rate limiting through the real HTTP doors (REST and tRPC), on the embedded
 * store over the test database: headers, 429 and 503 answers, batches,
 * concurrency, isolation, spoofed X-Forwarded-For, costs, overrides and the
 * fail-open / fail-closed decisions. The Redis store is held to the same
 * behaviour by the contract suite (server/ratelimit/store.contract.test.ts).
 */

const ORIGIN = "http://localhost:3000";
const MIN = 60_000;
// Windows are aligned to the epoch; start a second into one so no test crosses a boundary.
const T0 = Date.UTC(2031, 0, 1, 0, 0, 0) + 1_000;
const WINDOW_END = T0 - 1_000 + MIN;

const ALL_SCOPES: Scope[] = ["contacts:read", "contacts:write", "tokens:read", "tokens:write"];

function runtimeWith(limits: Partial<RateLimitConfig> = {}): TestRuntime {
  return createTestRuntime({ rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, ...limits } });
}

async function tokenFor(rt: TestRuntime, email: string, scopes: Scope[] = ALL_SCOPES) {
  const { user } = await seedUser(rt, email);
  const svc = {
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "t" },
  };
  const created = await createToken(svc, user.id, { name: "test", scopes });
  return { user, token: created.token, tokenId: created.id };
}

function rest(
  rt: TestRuntime,
  method: string,
  path: string,
  opts: { token?: string; headers?: Record<string, string>; body?: unknown } = {},
) {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
  if (opts.body !== undefined) headers.set("content-type", "application/json");
  return handleRest(
    new Request(`${ORIGIN}/api/v1${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    }),
    rt,
  );
}

/** tRPC GET of queries taking `{}` (e.g. tokens.list); several paths make one batch. */
function trpcGet(rt: TestRuntime, paths: string[], token: string) {
  const batch = paths.length > 1;
  const input = batch ? Object.fromEntries(paths.map((_, i) => [i, {}])) : {};
  const query = `?${batch ? "batch=1&" : ""}input=${encodeURIComponent(JSON.stringify(input))}`;
  return handleTrpc(
    new Request(`${ORIGIN}/api/trpc/${paths.join(",")}${query}`, { headers: { authorization: `Bearer ${token}` } }),
    rt,
  );
}

/** The RateLimit and RateLimit-Policy fields, parsed as RFC 8941 Lists (throws on bad syntax). */
function fieldsOf(res: Response) {
  const policy = res.headers.get("ratelimit-policy");
  const state = res.headers.get("ratelimit");
  if (policy === null || state === null) return null;
  const byName = (list: ReturnType<typeof parseList>) =>
    new Map(
      list.map((member) => {
        const item = member as Item;
        expect(typeof item.value).toBe("string"); // the policy name is an sf-string
        return [item.value as string, Object.fromEntries(item.params)];
      }),
    );
  return { policy: byName(parseList(policy)), state: byName(parseList(state)) };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("rate-limit headers and 429 answers", () => {
  it("REST: every limited answer carries RateLimit-Policy and RateLimit as Structured Fields, counting down", async () => {
    const rt = runtimeWith({ api: { limit: 3, windowMs: MIN } });
    const { token } = await tokenFor(rt, "alice@example.com");
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const res = await rest(rt, "GET", "/contacts", { token });
      expect(res.status).toBe(200);
      seen.push(fieldsOf(res));
    }
    for (const [i, fields] of seen.entries()) {
      expect(fields?.policy.get("api")).toEqual({ q: 3, w: 60 });
      expect(fields?.state.get("api")).toEqual({ r: 2 - i, t: 59 });
    }
  });

  it("REST: over the limit, 429 problem+json (IANA quota-exceeded) with Retry-After no earlier than the window ends", async () => {
    const rt = runtimeWith({ api: { limit: 2, windowMs: MIN } });
    const { token } = await tokenFor(rt, "alice@example.com");
    await rest(rt, "GET", "/contacts", { token });
    await rest(rt, "GET", "/contacts", { token });
    vi.setSystemTime(T0 + 10_500);
    const res = await rest(rt, "GET", "/contacts", { token });

    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const retryAfter = res.headers.get("retry-after") ?? "";
    expect(retryAfter).toMatch(/^\d+$/);
    // 48.5 s are left in the window: whole seconds, rounded up, never earlier.
    expect(Number(retryAfter)).toBe(49);
    expect(Number(retryAfter) * 1000).toBeGreaterThanOrEqual(WINDOW_END - Date.now());
    expect(fieldsOf(res)?.state.get("api")).toEqual({ r: 0, t: 49 });
    const body = await res.json();
    expect(body).toMatchObject({
      type: QUOTA_EXCEEDED_TYPE,
      status: 429,
      "violated-policies": ["api"],
      retryAfterSeconds: 49,
    });
    expect(body.detail).toContain("retry in 49s");
  });

  it("tRPC: TOO_MANY_REQUESTS with retryAfterSeconds in the error data, and the same headers", async () => {
    const rt = runtimeWith({ api: { limit: 1, windowMs: MIN } });
    const { token } = await tokenFor(rt, "alice@example.com");
    expect((await trpcGet(rt, ["tokens.list"], token)).status).toBe(200);
    const res = await trpcGet(rt, ["tokens.list"], token);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("59");
    expect(fieldsOf(res)?.policy.get("api")).toEqual({ q: 1, w: 60 });
    const body = await res.json();
    expect(body.error.data).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429, retryAfterSeconds: 59 });
  });

  it("a tRPC batch of N calls counts N", async () => {
    const rt = runtimeWith({ api: { limit: 10, windowMs: MIN } });
    const { token } = await tokenFor(rt, "alice@example.com");
    const three = await trpcGet(rt, ["tokens.list", "tokens.list", "tokens.list"], token);
    expect(three.status).toBe(200);
    expect(fieldsOf(three)?.state.get("api")).toMatchObject({ r: 7 });

    const ten = await trpcGet(rt, Array(10).fill("tokens.list"), token);
    const results = (await ten.json()) as Array<{ result?: unknown; error?: { data: { httpStatus: number } } }>;
    expect(results.filter((r) => r.result)).toHaveLength(7);
    expect(results.filter((r) => r.error?.data.httpStatus === 429)).toHaveLength(3);
    expect(ten.headers.get("retry-after")).toBe("59");
  });

  // The slowest test here (200 full REST requests); the store-level version is in the contract suite.
  it("200 concurrent requests against a limit of 50 admit exactly 50", { timeout: 60_000 }, async () => {
    const rt = runtimeWith({ api: { limit: 50, windowMs: MIN } });
    const { token } = await tokenFor(rt, "alice@example.com");
    const answers = await Promise.all(Array.from({ length: 200 }, () => rest(rt, "GET", "/contacts", { token })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(150);
  });

  it("one user's exhaustion does not affect another's", async () => {
    const rt = runtimeWith({ api: { limit: 2, windowMs: MIN } });
    const alice = await tokenFor(rt, "alice@example.com");
    const bob = await tokenFor(rt, "bob@example.com");
    for (let i = 0; i < 5; i++) await rest(rt, "GET", "/contacts", { token: alice.token });
    expect((await rest(rt, "GET", "/contacts", { token: alice.token })).status).toBe(429);
    const res = await rest(rt, "GET", "/contacts", { token: bob.token });
    expect(res.status).toBe(200);
    expect(fieldsOf(res)?.state.get("api")).toMatchObject({ r: 1 });
  });

  it("a throttled request is a 429, never a 401: an invalid credential counts against the client IP", async () => {
    const rt = runtimeWith({ anon: { limit: 2, windowMs: MIN } });
    const bogus = `gth_${"A".repeat(49)}`;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await rest(rt, "GET", "/contacts", { token: bogus })).status);
    expect(statuses).toEqual([401, 401, 429, 429]);
  });

  it("the window ends on time: the whole quota is back in the next one", async () => {
    const rt = runtimeWith({ api: { limit: 1, windowMs: MIN } });
    const { token } = await tokenFor(rt, "alice@example.com");
    await rest(rt, "GET", "/contacts", { token });
    expect((await rest(rt, "GET", "/contacts", { token })).status).toBe(429);
    vi.setSystemTime(WINDOW_END);
    expect((await rest(rt, "GET", "/contacts", { token })).status).toBe(200);
  });

  it("internal calls (server-rendered pages) are not limited", async () => {
    const rt = runtimeWith({ api: { limit: 1, windowMs: MIN } });
    const { principal } = await seedUser(rt, "alice@example.com");
    const limiter = new RateLimiter(failingStore(), rt.config.rateLimit as RateLimitConfig);
    const caller = createCaller(createContextInner({ db: rt.db, clock: rt.clock, principal, limiter }));
    for (let i = 0; i < 5; i++)
      await expect(caller.account.me()).resolves.toMatchObject({ email: "alice@example.com" });
  });
});

describe("client IPs: X-Forwarded-For is believed from trusted proxies only", () => {
  const STAMP = "test-peer-stamp-0123456789";
  const fromPeer = (peer: string, forwardedFor: string) => ({
    [PEER_HEADER]: peer,
    [PEER_STAMP_HEADER]: STAMP,
    "x-forwarded-for": forwardedFor,
  });

  it("a spoofed X-Forwarded-For from an untrusted peer does not reset the anonymous limit", async () => {
    vi.stubEnv(PEER_STAMP_ENV, STAMP);
    const rt = runtimeWith({ anon: { limit: 3, windowMs: MIN } });
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const res = await rest(rt, "GET", "/contacts", { headers: fromPeer("203.0.113.9", `198.51.100.${i + 1}`) });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
  });

  it("(control) behind a trusted proxy, each forwarded client has its own limit", async () => {
    vi.stubEnv(PEER_STAMP_ENV, STAMP);
    const base = runtimeWith({ anon: { limit: 1, windowMs: MIN } });
    const rt = { ...base, trustedProxies: parseTrustedProxies(["203.0.113.9"]) };
    const first = await rest(rt, "GET", "/contacts", { headers: fromPeer("203.0.113.9", "198.51.100.1") });
    const again = await rest(rt, "GET", "/contacts", { headers: fromPeer("203.0.113.9", "198.51.100.1") });
    const other = await rest(rt, "GET", "/contacts", { headers: fromPeer("203.0.113.9", "198.51.100.2") });
    expect([first.status, again.status, other.status]).toEqual([401, 429, 401]);
  });
});

describe("policies: sensitive calls, costs and overrides", () => {
  it("token creation answers to the stricter `sensitive` policy as well, and says which one refused", async () => {
    const rt = runtimeWith({ sensitive: { limit: 2, windowMs: 3_600_000 } });
    const { token } = await tokenFor(rt, "alice@example.com");
    const create = () => rest(rt, "POST", "/tokens", { token, body: { name: "ci", scopes: ["contacts:read"] } });
    const first = await create();
    expect(first.status).toBe(201);
    const fields = fieldsOf(first);
    expect(fields?.policy.get("api")).toEqual({ q: 600, w: 60 });
    expect(fields?.policy.get("sensitive")).toEqual({ q: 2, w: 3600 });
    expect(fields?.state.get("sensitive")).toMatchObject({ r: 1 });
    expect((await create()).status).toBe(201);
    const refused = await create();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ "violated-policies": ["sensitive"] });
    // Reads are not affected by the sensitive quota.
    expect((await rest(rt, "GET", "/tokens", { token })).status).toBe(200);
  });

  it("an expensive procedure costs more units (password change: 5)", async () => {
    const rt = runtimeWith({ api: { limit: 12, windowMs: MIN } });
    const { token } = await tokenFor(rt, "alice@example.com");
    const res = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/account.changePassword`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", origin: ORIGIN },
        body: JSON.stringify({ currentPassword: "not the password", newPassword: "a new passphrase here" }),
      }),
      rt,
    );
    expect(res.status).toBeLessThan(500);
    expect(fieldsOf(res)?.state.get("api")).toMatchObject({ r: 7 });
  });

  it("an override replaces the API limit: a token's own wins over its owner's, and an expired one no longer counts", async () => {
    const rt = runtimeWith({ api: { limit: 100, windowMs: MIN } });
    const { user, token, tokenId } = await tokenFor(rt, "alice@example.com");
    const svc = {
      db: rt.db,
      clock: rt.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "t" },
    };
    const quota = async () => fieldsOf(await rest(rt, "GET", "/contacts", { token }))?.policy.get("api");

    expect(await quota()).toEqual({ q: 100, w: 60 });
    await setOverride(svc, { type: "user", id: user.id }, { limit: 5, windowMs: 10_000, expiresInMs: 3_600_000 });
    expect(await quota()).toEqual({ q: 5, w: 10 });
    await setOverride(svc, { type: "token", id: tokenId }, { limit: 1000, windowMs: MIN });
    expect(await quota()).toEqual({ q: 1000, w: 60 });
    await setOverride(svc, { type: "token", id: tokenId }, { limit: 7, windowMs: MIN, expiresInMs: 1_000 });
    rt.clock.advance(2_000); // the token's override has ended: the owner's applies again
    expect(await quota()).toEqual({ q: 5, w: 10 });
  });

  it("refusals reach the audit log aggregated, not one row per request", async () => {
    const rt = runtimeWith({ api: { limit: 1, windowMs: MIN } });
    const { token } = await tokenFor(rt, "alice@example.com");
    for (let i = 0; i < 20; i++) await rest(rt, "GET", "/contacts", { token });
    const rows = await rt.db.select().from(auditLog).where(eq(auditLog.action, "ratelimit.rejected")).all();
    expect(rows.length).toBeLessThanOrEqual(1);
  });
});

describe("when the store fails: fail open for ordinary calls, closed for sensitive ones", () => {
  function runtimeOver(store: ReturnType<typeof failingStore>, timeoutMs = 300) {
    const rt = runtimeWith({ timeoutMs });
    setLimiterFor(rt, new RateLimiter(store, rt.config.rateLimit as RateLimitConfig));
    return rt;
  }

  it("an ordinary call goes through (no headers it could not know), and the failure is counted", async () => {
    const rt = runtimeOver(failingStore());
    const { token } = await tokenFor(rt, "alice@example.com");
    const before = rateLimitMetrics.storeFailures.open;
    const res = await rest(rt, "GET", "/contacts", { token });
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit")).toBeNull();
    expect(rateLimitMetrics.storeFailures.open).toBe(before + 1);
  });

  it("token creation is refused with 503 problem+json and Retry-After, never a 500", async () => {
    const rt = runtimeOver(failingStore());
    const { token } = await tokenFor(rt, "alice@example.com");
    const before = rateLimitMetrics.storeFailures.closed;
    const res = await rest(rt, "POST", "/tokens", { token, body: { name: "ci", scopes: ["contacts:read"] } });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toMatchObject({ type: "urn:gatehouse:problem:rate_limit_unavailable", status: 503 });
    expect(rateLimitMetrics.storeFailures.closed).toBe(before + 1);
  });

  it("tRPC gets SERVICE_UNAVAILABLE for a fail-closed call", async () => {
    const rt = runtimeOver(failingStore());
    const { token } = await tokenFor(rt, "alice@example.com");
    const res = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/tokens.create`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", origin: ORIGIN },
        body: JSON.stringify({ name: "ci", scopes: ["contacts:read"] }),
      }),
      rt,
    );
    expect(res.status).toBe(503);
    expect((await res.json()).error.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 5 });
  });

  it("a store that hangs costs at most the timeout: nothing hangs", async () => {
    vi.useRealTimers();
    const rt = runtimeOver(hangingStore(), 100);
    const { token } = await tokenFor(rt, "alice@example.com");
    const started = performance.now();
    const [read, create] = await Promise.all([
      rest(rt, "GET", "/contacts", { token }),
      rest(rt, "POST", "/tokens", { token, body: { name: "ci", scopes: ["contacts:read"] } }),
    ]);
    expect([read.status, create.status]).toEqual([200, 503]);
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});
