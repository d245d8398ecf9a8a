import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog, rateLimitLockouts, sessions } from "@/db/schema";
import { DEFAULT_RATE_LIMIT_CONFIG, type RateLimitConfig } from "../ratelimit/config";
import { RateLimiter } from "../ratelimit/limiter";
import { limiterFor, setLimiterFor } from "../ratelimit/runtime";
import { failingStore } from "../ratelimit/testing/stores";
import { SYSTEM_ACTOR } from "../services/audit";
import { clearLockout } from "../services/rate-limit-activity";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { attemptSignIn } from "./sign-in";

/**
 * Brute-force protection of password sign-in, per account and per client IP
 * (policies signin-account and signin-ip), through attemptSignIn — the
 * function NextAuth's authorize() calls. The HTTP answer (429 identical to
 * the wrong-password answer) is tested in server/http/sign-in-throttle.test.ts.
 */

const MIN = 60_000;
const T0 = Date.UTC(2031, 0, 1, 0, 0, 0) + 1_000;
const PASSWORD = "correct horse battery staple";
const WRONG = "wrong horse battery staple";

function runtime(limits: Partial<RateLimitConfig> = {}): TestRuntime {
  return createTestRuntime({
    rateLimit: {
      ...DEFAULT_RATE_LIMIT_CONFIG,
      signin: { limit: 3, windowMs: 15 * MIN },
      signinIp: { limit: 50, windowMs: 15 * MIN },
      ...limits,
    },
  });
}

const from = (ip: string) => ({ ip, userAgent: "vitest", requestId: "req_lockout_test" });
const signIn = (rt: TestRuntime, email: string, password: string, ip = "198.51.100.7") =>
  attemptSignIn(rt, { email, password }, from(ip));

const audit = (rt: TestRuntime, action: string) =>
  rt.db.select().from(auditLog).where(eq(auditLog.action, action)).all();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("per account", () => {
  it("locks the account after RATE_LIMIT_SIGNIN failures; the lock holds even for the right password", async () => {
    const rt = runtime();
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    for (let i = 0; i < 3; i++)
      expect(await signIn(rt, "alice@example.com", WRONG)).toEqual({ ok: false, reason: "invalid" });

    expect(await signIn(rt, "alice@example.com", PASSWORD)).toEqual({
      ok: false,
      reason: "locked",
      retryAfterSeconds: 15 * 60,
    });
    // The lock is on the account, whatever the address: another IP is refused too.
    expect(await signIn(rt, "Alice@Example.com", PASSWORD, "203.0.113.50")).toMatchObject({ reason: "locked" });
    // While locked the password is not even checked: still exactly three failures on record.
    expect(await audit(rt, "session.login_failed")).toHaveLength(3);
    const [lockout, ...more] = await audit(rt, "ratelimit.lockout");
    expect(more).toHaveLength(0);
    expect(lockout?.detail).toMatchObject({ policy: "signin-account", email: "alice@example.com", level: 1 });
  });

  it("other accounts are unaffected", async () => {
    const rt = runtime();
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    await seedUser(rt, "bob@example.com", "member", PASSWORD);
    for (let i = 0; i < 4; i++) await signIn(rt, "alice@example.com", WRONG);
    expect(await signIn(rt, "bob@example.com", PASSWORD)).toMatchObject({ ok: true });
  });

  it("an unknown email is locked exactly like a real account (a lockout reveals nothing)", async () => {
    const rt = runtime();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await signIn(rt, "nobody@example.com", WRONG));
    expect(answers.map((a) => (a.ok ? "ok" : a.reason))).toEqual(["invalid", "invalid", "invalid", "locked"]);
  });

  it("the lock ends on time, and the next one lasts twice as long", async () => {
    const rt = runtime();
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    for (let i = 0; i < 3; i++) await signIn(rt, "alice@example.com", WRONG);
    vi.setSystemTime(T0 + 15 * MIN - 1_000);
    expect(await signIn(rt, "alice@example.com", PASSWORD)).toMatchObject({ reason: "locked", retryAfterSeconds: 1 });
    vi.setSystemTime(T0 + 15 * MIN);
    for (let i = 0; i < 3; i++) await signIn(rt, "alice@example.com", WRONG);
    expect(await signIn(rt, "alice@example.com", PASSWORD)).toMatchObject({
      reason: "locked",
      retryAfterSeconds: 30 * 60,
    });
    vi.setSystemTime(T0 + 45 * MIN);
    expect(await signIn(rt, "alice@example.com", PASSWORD)).toMatchObject({ ok: true });
  });

  it("parallel guesses cannot outrun the count: only RATE_LIMIT_SIGNIN passwords are ever checked", async () => {
    const rt = runtime();
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    const answers = await Promise.all(Array.from({ length: 20 }, () => signIn(rt, "alice@example.com", WRONG)));
    expect(answers.filter((a) => !a.ok && a.reason === "invalid")).toHaveLength(3);
    expect(answers.filter((a) => !a.ok && a.reason === "locked")).toHaveLength(17);
    expect(await audit(rt, "session.login_failed")).toHaveLength(3);
  });

  it("a successful sign-in gives its count back: only failures lead to a lock", async () => {
    const rt = runtime();
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    await signIn(rt, "alice@example.com", WRONG);
    await signIn(rt, "alice@example.com", WRONG);
    for (let i = 0; i < 5; i++) expect(await signIn(rt, "alice@example.com", PASSWORD)).toMatchObject({ ok: true });
    expect(await signIn(rt, "alice@example.com", WRONG)).toMatchObject({ reason: "invalid" });
    expect(await signIn(rt, "alice@example.com", PASSWORD)).toMatchObject({ reason: "locked" });
  });

  it("never keeps what was typed into the email field: unknown accounts are stored as a hash", async () => {
    const rt = runtime();
    await signIn(rt, "my-secret-password@oops", WRONG);
    await signIn(rt, "not even an email", WRONG);
    const subjects = JSON.stringify(await rt.db.select().from(rateLimitLockouts).all());
    expect(subjects).not.toContain("my-secret-password");
    expect(subjects).not.toContain("not even an email");
    expect(subjects).toMatch(/account:unknown:[0-9a-f]{32}/);
  });

  it("an administrator's unlock clears the lock and is audited", async () => {
    const rt = runtime();
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    for (let i = 0; i < 3; i++) await signIn(rt, "alice@example.com", WRONG);
    const svc = { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: from("192.0.2.1") };
    expect(await clearLockout(svc, limiterFor(rt), { email: "ALICE@example.com" })).toMatchObject({ cleared: true });
    expect(await signIn(rt, "alice@example.com", PASSWORD)).toMatchObject({ ok: true });
    expect((await audit(rt, "ratelimit.unlock"))[0]?.detail).toMatchObject({
      cleared: true,
      email: "alice@example.com",
    });
  });
});

describe("per client IP", () => {
  it("locks an IP that fails RATE_LIMIT_SIGNIN_IP times across accounts, even for a right password; other IPs are unaffected", async () => {
    const rt = runtime({ signinIp: { limit: 4, windowMs: 15 * MIN } });
    await seedUser(rt, "victim@example.com", "member", PASSWORD);
    for (let i = 0; i < 4; i++) {
      expect(await signIn(rt, `user${i}@example.com`, WRONG, "203.0.113.66")).toMatchObject({ reason: "invalid" });
    }
    expect(await signIn(rt, "victim@example.com", PASSWORD, "203.0.113.66")).toMatchObject({
      reason: "locked",
      retryAfterSeconds: 15 * 60,
    });
    expect(await signIn(rt, "victim@example.com", PASSWORD, "203.0.113.67")).toMatchObject({ ok: true });
    expect((await audit(rt, "ratelimit.lockout"))[0]?.detail).toMatchObject({ policy: "signin-ip", level: 1 });
  });

  it("a locked IP's attempts do not count against the accounts it tries", async () => {
    const rt = runtime({ signinIp: { limit: 2, windowMs: 15 * MIN } });
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    await signIn(rt, "x@example.com", WRONG, "203.0.113.66");
    await signIn(rt, "y@example.com", WRONG, "203.0.113.66");
    for (let i = 0; i < 10; i++) await signIn(rt, "alice@example.com", WRONG, "203.0.113.66");
    expect(await signIn(rt, "alice@example.com", PASSWORD, "198.51.100.1")).toMatchObject({ ok: true });
  });
});

describe("when the store cannot answer", () => {
  it("sign-in fails closed: refused, no password checked, no session", async () => {
    const rt = runtime();
    await seedUser(rt, "alice@example.com", "member", PASSWORD);
    setLimiterFor(rt, new RateLimiter(failingStore(), rt.config.rateLimit as RateLimitConfig));
    const before = (await rt.db.select().from(sessions).all()).length;
    expect(await signIn(rt, "alice@example.com", PASSWORD)).toEqual({ ok: false, reason: "unavailable" });
    expect(await rt.db.select().from(sessions).all()).toHaveLength(before);
    expect(await audit(rt, "session.login_failed")).toHaveLength(0);
  });
});
