import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sqliteOf } from "@/db";

/**
 * The sign-in lockout as a browser meets it: the real NextAuth route
 * (app/api/auth/[...nextauth]/route.ts) with its CSRF dance, on a fresh data
 * folder. A locked account's answer must be NextAuth's wrong-password answer
 * byte for byte, except for the 429 status and Retry-After; a store outage
 * must be a 503, never a 500 and never a sign-in.
 */

const ORIGIN = "http://localhost:3000";
const PASSWORD = "correct horse battery staple";
let dataDir: string;
let POST: (req: NextRequest) => Promise<Response>;
let GET: (req: NextRequest) => Promise<Response>;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-signin-"));
  // The route builds its runtime from the environment on first use.
  vi.stubEnv("DATA_DIR", dataDir);
  vi.stubEnv("APP_URL", ORIGIN);
  vi.stubEnv("AUTH_SECRET", "test-secret-test-secret-test-secret-0123456789");
  vi.stubEnv("ADMIN_EMAIL", "");
  vi.stubEnv("ADMIN_PASSWORD", "");
  vi.stubEnv("REDIS_URL", "");
  vi.stubEnv("UPSTASH_REDIS_REST_URL", "");
  vi.stubEnv("UPSTASH_REDIS_REST_TOKEN", "");
  vi.stubEnv("RATE_LIMIT_SIGNIN", "3/15m");
  const route = await import("@/app/api/auth/[...nextauth]/route");
  POST = route.POST;
  GET = route.GET as unknown as typeof GET;
  const { getRuntime } = await import("../runtime");
  const { createUser } = await import("../services/users");
  const { SYSTEM_ACTOR } = await import("../services/audit");
  const runtime = getRuntime();
  const svc = {
    db: runtime.db,
    clock: runtime.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "seed" },
  };
  await createUser(svc, { email: "alice@example.com", role: "member", password: PASSWORD });
  await createUser(svc, { email: "bob@example.com", role: "member", password: PASSWORD });
});

afterAll(() => {
  vi.unstubAllEnvs();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** What next-auth/react's signIn("credentials", { redirect: false }) sends, CSRF token and cookie included. */
async function signIn(email: string, password: string) {
  const csrf = await GET(new NextRequest(`${ORIGIN}/api/auth/csrf`));
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookie = (csrf.headers.getSetCookie?.() ?? []).map((c) => c.split(";")[0]).join("; ");
  return POST(
    new NextRequest(`${ORIGIN}/api/auth/callback/credentials`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-auth-return-redirect": "1",
        origin: ORIGIN,
        cookie,
      },
      body: new URLSearchParams({ email, password, csrfToken, callbackUrl: `${ORIGIN}/contacts` }),
    }),
  );
}

describe("the NextAuth credentials callback under brute force", () => {
  it("answers a locked account exactly like a wrong password, except for 429 and Retry-After", async () => {
    const wrong = await signIn("alice@example.com", "wrong password one");
    expect(wrong.status).toBe(200);
    const wrongBody = await wrong.text();
    expect(JSON.parse(wrongBody).url).toContain("error=CredentialsSignin");
    await signIn("alice@example.com", "wrong password two");
    await signIn("alice@example.com", "wrong password three");

    const locked = await signIn("alice@example.com", PASSWORD); // the right password
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBe(15 * 60);
    expect(locked.headers.get("cache-control")).toBe("no-store");
    expect(await locked.text()).toBe(wrongBody);
    expect(locked.headers.get("content-type")).toBe(wrong.headers.get("content-type"));
    // No session cookie: the right password got nowhere.
    expect((locked.headers.getSetCookie?.() ?? []).some((c) => c.startsWith("gatehouse.session"))).toBe(false);
  });

  it("leaves other accounts alone", async () => {
    const ok = await signIn("bob@example.com", PASSWORD);
    expect(ok.status).toBe(200);
    expect(JSON.parse(await ok.text()).url).not.toContain("error=");
  });

  it("answers 503 problem+json storage_unavailable when the database cannot be written, never NextAuth's Configuration error", async () => {
    const { getRuntime } = await import("../runtime");
    const { openSqlite } = await import("@/db");
    const { RateLimiter } = await import("../ratelimit/limiter");
    const { limiterFor, setLimiterFor } = await import("../ratelimit/runtime");
    const { EmbeddedStore } = await import("../ratelimit/store-embedded");
    const runtime = getRuntime();
    const before = limiterFor(runtime);
    // The lockout store elsewhere (as with Redis), so that it is the database that fails.
    setLimiterFor(
      runtime,
      new RateLimiter(new EmbeddedStore(openSqlite(":memory:").$client), runtime.config.rateLimit as never),
    );
    sqliteOf(runtime.db).pragma("query_only = ON");
    try {
      // The right password (the session cannot be written) and a wrong one (its audit entry cannot be).
      for (const password of [PASSWORD, "wrong password"]) {
        const res = await signIn("bob@example.com", password);
        expect(res.status).toBe(503);
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        expect(res.headers.get("retry-after")).toBe("5");
        const body = await res.json();
        expect(body).toMatchObject({ type: "urn:gatehouse:problem:storage_unavailable", status: 503 });
        expect(typeof body.url).toBe("string");
        expect(JSON.stringify(body)).not.toMatch(/SQLITE|Configuration/);
        expect((res.headers.getSetCookie?.() ?? []).some((c) => c.startsWith("gatehouse.session"))).toBe(false);
      }
    } finally {
      sqliteOf(runtime.db).pragma("query_only = OFF");
      setLimiterFor(runtime, before);
    }
    expect((await signIn("bob@example.com", PASSWORD)).status).toBe(200);
  });

  it("fails closed with 503 problem+json when the store cannot answer, keeping the url signIn() reads", async () => {
    const { getRuntime } = await import("../runtime");
    const { RateLimiter } = await import("../ratelimit/limiter");
    const { setLimiterFor } = await import("../ratelimit/runtime");
    const { failingStore } = await import("../ratelimit/testing/stores");
    const runtime = getRuntime();
    setLimiterFor(runtime, new RateLimiter(failingStore(), runtime.config.rateLimit as never));

    const res = await signIn("bob@example.com", PASSWORD);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("5");
    const body = await res.json();
    expect(body).toMatchObject({ type: "urn:gatehouse:problem:rate_limit_unavailable", status: 503 });
    expect(typeof body.url).toBe("string");
    expect((res.headers.getSetCookie?.() ?? []).some((c) => c.startsWith("gatehouse.session"))).toBe(false);
  });
});
