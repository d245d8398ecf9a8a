import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog, pendingSignIns, sessions } from "@/db/schema";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../ratelimit/config";
import { PENDING_SIGN_IN_MAX_FAILURES, PENDING_SIGN_IN_MS } from "../services/second-factors-pending";
import { totpCodeAt } from "../services/second-factors-totp";
import { createTestRuntime, nextTotpCode, seedUser, type TestRuntime } from "../testing/harness";
import { attemptSecondStep, attemptSignIn, type SignInResult } from "./sign-in";

/**
 * The sign-in's second step (server/auth/sign-in.ts): after a right password an account with a
 * factor gets a pending handle, not a session; the handle plus a TOTP or recovery code makes the
 * session. Attacked here: forged, expired, used and another user's handles, wrong and replayed
 * codes, and the lockout that wrong codes share with wrong passwords.
 */
const MIN = 60_000;
const PASSWORD = "correct horse battery staple";
const client = { ip: "198.51.100.20", userAgent: "vitest", requestId: "req_second_step" };

function runtime(): TestRuntime {
  return createTestRuntime({
    rateLimit: {
      ...DEFAULT_RATE_LIMIT_CONFIG,
      signin: { limit: 4, windowMs: 15 * MIN },
      signinIp: { limit: 100, windowMs: 15 * MIN },
    },
  });
}

function handleOf(result: SignInResult): string {
  if (result.ok || result.reason !== "second_factor")
    throw new Error(`expected the second step, got ${JSON.stringify(result)}`);
  return result.handle;
}

const password = (rt: TestRuntime, email: string, pw = PASSWORD, ip = client.ip) =>
  attemptSignIn(rt, { email, password: pw }, { ...client, ip });
const sessionCount = async (rt: TestRuntime) => (await rt.db.select().from(sessions).all()).length;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.UTC(2031, 0, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("second step of sign-in", () => {
  let rt: TestRuntime;
  let admin: Awaited<ReturnType<typeof seedUser>>;
  let secret: string;

  beforeEach(async () => {
    rt = runtime();
    admin = await seedUser(rt, "root@example.com", "admin", PASSWORD);
    secret = admin.totpSecret as string;
  });

  it("a right password gives a handle and no session; a right code redeems it once, into a checked session", async () => {
    const before = await sessionCount(rt);
    const first = await password(rt, "root@example.com");
    const handle = handleOf(first);
    expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await sessionCount(rt)).toBe(before);
    // Only the hash is stored.
    expect(JSON.stringify(await rt.db.select().from(pendingSignIns).all())).not.toContain(handle);

    const code = nextTotpCode(rt, secret);
    const second = await attemptSecondStep(rt, handle, { code, email: "Root@Example.com" }, client);
    expect(second).toMatchObject({ ok: true, userId: admin.user.id });
    if (!second.ok) throw new Error("unreachable");
    const row = await rt.db.select().from(sessions).where(eq(sessions.id, second.sessionId)).get();
    expect(row?.secondFactorAt?.getTime()).toBe(rt.clock.now().getTime());
    const login = await rt.db.select().from(auditLog).where(eq(auditLog.targetId, second.sessionId)).get();
    expect(login?.action).toBe("session.login");
    expect(login?.detail).toMatchObject({ secondFactor: "totp" });

    // Used: the handle is gone, whatever code comes with it.
    expect(await attemptSecondStep(rt, handle, { code: nextTotpCode(rt, secret) }, client)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("a member without a factor still signs in with the password alone", async () => {
    await seedUser(rt, "mia@example.com", "member", PASSWORD);
    expect(await password(rt, "mia@example.com")).toMatchObject({ ok: true });
  });

  it("forged, malformed, missing and expired handles are refused without checking a code", async () => {
    const code = nextTotpCode(rt, secret);
    for (const forged of [null, "", "x", "A".repeat(43), "A".repeat(44), 42, { handle: "x" }]) {
      expect(await attemptSecondStep(rt, forged, { code }, client)).toEqual({ ok: false, reason: "expired" });
    }
    const handle = handleOf(await password(rt, "root@example.com"));
    rt.clock.advance(PENDING_SIGN_IN_MS);
    expect(await attemptSecondStep(rt, handle, { code: totpCodeAt(secret, rt.clock.now().getTime()) }, client)).toEqual(
      {
        ok: false,
        reason: "expired",
      },
    );
    // Nothing was counted against the account: the right password and code still work.
    const fresh = handleOf(await password(rt, "root@example.com"));
    expect(await attemptSecondStep(rt, fresh, { code: nextTotpCode(rt, secret) }, client)).toMatchObject({ ok: true });
  });

  it("another user's handle: the code is checked against the handle's user, and a different email is refused", async () => {
    const bob = await seedUser(rt, "bob@example.com", "admin", PASSWORD);
    const rootHandle = handleOf(await password(rt, "root@example.com"));
    // Bob's own code does not finish root's sign-in …
    const bobCode = nextTotpCode(rt, bob.totpSecret as string);
    expect(await attemptSecondStep(rt, rootHandle, { code: bobCode }, client)).toEqual({
      ok: false,
      reason: "invalid",
    });
    // … and a form naming bob's email with root's handle is not root's sign-in either.
    expect(
      await attemptSecondStep(rt, rootHandle, { code: nextTotpCode(rt, secret), email: "bob@example.com" }, client),
    ).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("a replayed code is refused; a recovery code works once", async () => {
    const code = nextTotpCode(rt, secret);
    expect(
      await attemptSecondStep(rt, handleOf(await password(rt, "root@example.com")), { code }, client),
    ).toMatchObject({
      ok: true,
    });
    const again = handleOf(await password(rt, "root@example.com"));
    expect(await attemptSecondStep(rt, again, { code }, client)).toEqual({ ok: false, reason: "invalid" });
    const recovery = admin.recoveryCodes[0] as string;
    expect(await attemptSecondStep(rt, again, { code: recovery }, client)).toMatchObject({ ok: true });
    const third = handleOf(await password(rt, "root@example.com"));
    expect(await attemptSecondStep(rt, third, { code: recovery }, client)).toEqual({ ok: false, reason: "invalid" });
  });

  it("wrong codes count toward the account's lockout, like wrong passwords; while locked no code is checked", async () => {
    // Limit 4: one wrong password and three wrong codes lock the account.
    expect(await password(rt, "root@example.com", "wrong wrong wrong")).toEqual({ ok: false, reason: "invalid" });
    const handle = handleOf(await password(rt, "root@example.com"));
    for (let i = 0; i < 2; i++) {
      expect(await attemptSecondStep(rt, handle, { code: "000000" }, client)).toEqual({ ok: false, reason: "invalid" });
    }
    expect(await attemptSecondStep(rt, handle, { code: "000001" }, client)).toEqual({ ok: false, reason: "invalid" });
    const locked = await attemptSecondStep(rt, handle, { code: nextTotpCode(rt, secret) }, client);
    expect(locked).toMatchObject({ ok: false, reason: "locked" });
    expect(await password(rt, "root@example.com")).toMatchObject({ ok: false, reason: "locked" });
    const failures = await rt.db.select().from(auditLog).where(eq(auditLog.action, "session.login_failed")).all();
    expect(failures.filter((f) => (f.detail as { reason?: string }).reason === "wrong_second_factor")).toHaveLength(3);
    expect(await rt.db.select().from(auditLog).where(eq(auditLog.action, "ratelimit.lockout")).all()).toHaveLength(1);
  });

  it("a handle dies after a few wrong codes, even below the account's limit", async () => {
    rt = createTestRuntime(); // the default, generous limits
    admin = await seedUser(rt, "root@example.com", "admin", PASSWORD);
    const handle = handleOf(await password(rt, "root@example.com"));
    for (let i = 0; i < PENDING_SIGN_IN_MAX_FAILURES; i++) {
      expect(await attemptSecondStep(rt, handle, { code: "123456" }, client)).toEqual({ ok: false, reason: "invalid" });
    }
    const code = nextTotpCode(rt, admin.totpSecret as string);
    expect(await attemptSecondStep(rt, handle, { code }, client)).toEqual({ ok: false, reason: "expired" });
  });

  it("malformed codes are wrong codes, never errors", async () => {
    rt = createTestRuntime();
    admin = await seedUser(rt, "root@example.com", "admin", PASSWORD);
    const handle = handleOf(await password(rt, "root@example.com"));
    for (const input of [{}, { code: "" }, { code: "x".repeat(5000) }, { code: 123456 }, null]) {
      expect(await attemptSecondStep(rt, handle, input, client)).toEqual({ ok: false, reason: "invalid" });
    }
  });

  it("a disabled account's pending sign-in is dead", async () => {
    const handle = handleOf(await password(rt, "root@example.com"));
    const { users } = await import("@/db/schema");
    await rt.db.update(users).set({ disabledAt: rt.clock.now() }).where(eq(users.id, admin.user.id)).run();
    expect(await attemptSecondStep(rt, handle, { code: nextTotpCode(rt, secret) }, client)).toEqual({
      ok: false,
      reason: "expired",
    });
  });
});
