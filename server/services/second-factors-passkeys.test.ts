import { and, eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog, pendingSignIns, secondFactors, sessions } from "@/db/schema";
import type { SessionPrincipal } from "../auth/principal";
import { attemptSecondStep, attemptSignIn, type SignInResult } from "../auth/sign-in";
import { createContextInner } from "../context";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../ratelimit/config";
import { createCaller } from "../root";
import { createTestRuntime, failureOf, seedUser, type TestRuntime } from "../testing/harness";
import { type SoftwareAuthenticator, softwareAuthenticator } from "../testing/software-authenticator";
import { hasSecondFactor, usersWithoutSecondFactor } from "./second-factors";
import { WEBAUTHN_CHALLENGE_MS } from "./second-factors-passkeys";

/**
 * Passkeys end to end on the server: options from the procedures, answers from a software
 * authenticator (real P-256 signatures, verified by @simplewebauthn/server as a browser's would
 * be), the credential stored, then used at the second step of a sign-in. Attacked: wrong, replayed,
 * expired and other people's challenges, a wrong origin and RP ID, a counter that does not move,
 * a removed passkey.
 */
const MIN = 60_000;
const PASSWORD = "correct horse battery staple";
const ORIGIN = "http://localhost:3000";
const RP_ID = "localhost";
const client = { ip: "198.51.100.30", userAgent: "vitest", requestId: "req_passkeys" };

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.UTC(2031, 0, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

function callerOf(rt: TestRuntime, principal: SessionPrincipal | null, pendingSignInHandle: string | null = null) {
  return createCaller(
    createContextInner({
      db: rt.db,
      clock: rt.clock,
      principal,
      keyring: rt.keyring,
      config: rt.config,
      pendingSignInHandle,
      client,
    }),
  );
}

function handleOf(result: SignInResult): string {
  if (result.ok || result.reason !== "second_factor")
    throw new Error(`expected a second step: ${JSON.stringify(result)}`);
  return result.handle;
}

describe("passkeys", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let bob: Awaited<ReturnType<typeof seedUser>>;
  let key: SoftwareAuthenticator;

  beforeEach(async () => {
    // A lockout far away, so each refusal below is the passkey's own; the lockout has its own test.
    rt = createTestRuntime({ rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, signin: { limit: 100, windowMs: 15 * MIN } } });
    alice = await seedUser(rt, "alice@example.com", "member", PASSWORD);
    bob = await seedUser(rt, "bob@example.com", "member", PASSWORD);
    key = softwareAuthenticator();
  });

  async function register(who = alice, authenticator = key, name = "Laptop") {
    const api = callerOf(rt, who.principal);
    const options = await api.account.secondFactors.startPasskey();
    const response = authenticator.register({ challenge: options.challenge, origin: ORIGIN, rpId: RP_ID });
    return api.account.secondFactors.confirmPasskey({ name, response: JSON.stringify(response) });
  }

  it("registers: RP from APP_URL, UV preferred, stored credential, audited enrolment, recovery codes with the first factor", async () => {
    const options = await callerOf(rt, alice.principal).account.secondFactors.startPasskey();
    expect(options.rp).toEqual({ name: "Gatehouse", id: RP_ID });
    expect(options.authenticatorSelection?.userVerification).toBe("preferred");
    expect(options.excludeCredentials).toEqual([]);
    const response = key.register({ challenge: options.challenge, origin: ORIGIN, rpId: RP_ID });
    const result = await callerOf(rt, alice.principal).account.secondFactors.confirmPasskey({
      name: "Laptop",
      response: JSON.stringify(response),
    });
    expect(result.recoveryCodes).toHaveLength(10);

    const row = await rt.db.select().from(secondFactors).where(eq(secondFactors.id, result.factorId)).get();
    expect(row).toMatchObject({ kind: "passkey", label: "Laptop", credentialId: key.credentialId, signCount: 0 });
    expect(row?.transports).toEqual(["internal"]);
    expect(row?.confirmedAt).not.toBeNull();
    expect(await hasSecondFactor(rt.db, alice.user.id)).toBe(true);
    expect((await usersWithoutSecondFactor(rt.db, { role: "member" })).map((u) => u.email)).toEqual([
      "bob@example.com",
    ]);
    const enrol = await rt.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "second_factor.enrol"), eq(auditLog.targetId, alice.user.id)))
      .get();
    expect(enrol?.detail).toMatchObject({ factorId: result.factorId, kind: "passkey", recoveryCodesIssued: true });

    // The second passkey's options exclude the first; the same authenticator cannot be stored twice.
    const again = await callerOf(rt, alice.principal).account.secondFactors.startPasskey();
    expect(again.excludeCredentials?.map((c) => c.id)).toEqual([key.credentialId]);
    const twice = key.register({ challenge: again.challenge, origin: ORIGIN, rpId: RP_ID });
    expect(
      await failureOf(
        callerOf(rt, alice.principal).account.secondFactors.confirmPasskey({
          name: "Again",
          response: JSON.stringify(twice),
        }),
      ),
    ).toBe("CONFLICT:passkey_exists");
  });

  it("refuses registration answers to a wrong, replayed, expired or another user's challenge, or from a wrong origin or RP ID", async () => {
    const api = callerOf(rt, alice.principal);
    const confirm = (response: unknown) =>
      failureOf(api.account.secondFactors.confirmPasskey({ name: "Key", response: JSON.stringify(response) }));

    // Wrong challenge (one the server never issued).
    await api.account.secondFactors.startPasskey();
    expect(await confirm(key.register({ challenge: "bm90LWlzc3VlZA", origin: ORIGIN, rpId: RP_ID }))).toBe(
      "BAD_REQUEST:invalid_passkey",
    );
    // That try used the challenge up: the right answer to it now fails too (replay / single use).
    const options = await api.account.secondFactors.startPasskey();
    const good = key.register({ challenge: options.challenge, origin: ORIGIN, rpId: RP_ID });
    expect(
      await confirm(key.register({ challenge: options.challenge, origin: "https://evil.example", rpId: RP_ID })),
    ).toBe("BAD_REQUEST:invalid_passkey");
    expect(await confirm(good)).toBe("BAD_REQUEST:invalid_passkey");

    // Wrong RP ID.
    const forRp = await api.account.secondFactors.startPasskey();
    expect(await confirm(key.register({ challenge: forRp.challenge, origin: ORIGIN, rpId: "evil.example" }))).toBe(
      "BAD_REQUEST:invalid_passkey",
    );

    // Expired.
    const late = await api.account.secondFactors.startPasskey();
    rt.clock.advance(WEBAUTHN_CHALLENGE_MS + 1);
    expect(await confirm(key.register({ challenge: late.challenge, origin: ORIGIN, rpId: RP_ID }))).toBe(
      "BAD_REQUEST:invalid_passkey",
    );

    // Another user's challenge: Bob's options, answered in Alice's session.
    const bobs = await callerOf(rt, bob.principal).account.secondFactors.startPasskey();
    expect(await confirm(key.register({ challenge: bobs.challenge, origin: ORIGIN, rpId: RP_ID }))).toBe(
      "BAD_REQUEST:invalid_passkey",
    );
    // Malformed input is a 400 naming the field, never a 500.
    expect(await failureOf(api.account.secondFactors.confirmPasskey({ name: "Key", response: "{not json" }))).toBe(
      "BAD_REQUEST:invalid_passkey",
    );

    expect(await rt.db.select().from(secondFactors).where(eq(secondFactors.userId, alice.user.id)).all()).toEqual([]);
    const failures = await rt.db.select().from(auditLog).where(eq(auditLog.action, "second_factor.use_failed")).all();
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(failures)).not.toContain(good.response.attestationObject);
  });

  describe("at sign-in", () => {
    beforeEach(async () => {
      await register();
    });

    const signInHandle = async () =>
      handleOf(await attemptSignIn(rt, { email: "alice@example.com", password: PASSWORD }, client));
    const optionsFor = (handle: string | null) => callerOf(rt, null, handle).signIn.passkeyOptions();
    const answer = (handle: string, response: unknown) =>
      attemptSecondStep(rt, handle, { email: "alice@example.com", passkey: JSON.stringify(response) }, client);

    it("a right answer to the pending sign-in's challenge redeems it once, into a checked session", async () => {
      const handle = await signInHandle();
      const options = await optionsFor(handle);
      expect(options.rpId).toBe(RP_ID);
      expect(options.allowCredentials?.map((c) => c.id)).toEqual([key.credentialId]);
      const result = await answer(handle, key.assert({ challenge: options.challenge, origin: ORIGIN, rpId: RP_ID }));
      expect(result).toMatchObject({ ok: true, userId: alice.user.id });
      if (!result.ok) throw new Error("unreachable");
      expect(
        (await rt.db.select().from(sessions).where(eq(sessions.id, result.sessionId)).get())?.secondFactorAt,
      ).not.toBeNull();
      const login = await rt.db.select().from(auditLog).where(eq(auditLog.targetId, result.sessionId)).get();
      expect(login?.detail).toMatchObject({ secondFactor: "passkey" });
      expect(
        (await rt.db.select().from(secondFactors).where(eq(secondFactors.userId, alice.user.id)).get())?.signCount,
      ).toBe(1);
      // Redeemed: the handle is gone.
      expect(await answer(handle, key.assert({ challenge: options.challenge, origin: ORIGIN, rpId: RP_ID }))).toEqual({
        ok: false,
        reason: "expired",
      });
    });

    it("options need a live pending sign-in of a user with a passkey", async () => {
      expect(await failureOf(optionsFor(null))).toBe("NOT_FOUND:sign_in_expired");
      expect(await failureOf(optionsFor("A".repeat(43)))).toBe("NOT_FOUND:sign_in_expired");
      const handle = await signInHandle();
      rt.clock.advance(6 * 60_000);
      expect(await failureOf(optionsFor(handle))).toBe("NOT_FOUND:sign_in_expired");
    });

    it("refuses a wrong or replayed challenge, another sign-in's challenge, a wrong origin or RP ID, and a counter that does not move; each counts as a failure", async () => {
      const handle = await signInHandle();
      const failuresOf = async () => (await rt.db.select().from(pendingSignIns).all())[0]?.failures;

      // No options asked for: nothing to answer.
      expect(await answer(handle, key.assert({ challenge: "bm90LWlzc3VlZA", origin: ORIGIN, rpId: RP_ID }))).toEqual({
        ok: false,
        reason: "invalid",
      });
      // Wrong challenge.
      await optionsFor(handle);
      expect(await answer(handle, key.assert({ challenge: "bm90LWlzc3VlZA", origin: ORIGIN, rpId: RP_ID }))).toEqual({
        ok: false,
        reason: "invalid",
      });
      // Replayed: a challenge is tried once, so after a wrong-origin try the right answer to it fails too.
      const once = await optionsFor(handle);
      const right = key.assert({ challenge: once.challenge, origin: ORIGIN, rpId: RP_ID });
      expect(
        await answer(handle, key.assert({ challenge: once.challenge, origin: "https://evil.example", rpId: RP_ID })),
      ).toMatchObject({ ok: false, reason: "invalid" });
      expect(await answer(handle, right)).toMatchObject({ ok: false, reason: "invalid" });
      expect(await failuresOf()).toBe(4);

      // Another pending sign-in's challenge (Alice's second tab): not this handle's. The fifth wrong
      // answer kills the handle (PENDING_SIGN_IN_MAX_FAILURES), as five wrong codes do.
      const other = await signInHandle();
      const others = await optionsFor(other);
      expect(
        await answer(handle, key.assert({ challenge: others.challenge, origin: ORIGIN, rpId: RP_ID })),
      ).toMatchObject({ ok: false, reason: "invalid" });
      expect(await rt.db.select().from(pendingSignIns).all()).toHaveLength(1);
      expect(await answer(handle, key.assert({ challenge: others.challenge, origin: ORIGIN, rpId: RP_ID }))).toEqual({
        ok: false,
        reason: "expired",
      });

      // Wrong RP ID, on the other handle.
      const rp = await optionsFor(other);
      expect(
        await answer(other, key.assert({ challenge: rp.challenge, origin: ORIGIN, rpId: "evil.example" })),
      ).toMatchObject({ ok: false, reason: "invalid" });
      // A counter that does not move (a cloned authenticator) is refused, once the authenticator has counted.
      const fine = await optionsFor(other);
      expect(await answer(other, key.assert({ challenge: fine.challenge, origin: ORIGIN, rpId: RP_ID }))).toMatchObject(
        {
          ok: true,
        },
      );
      const stored = (await rt.db.select().from(secondFactors).where(eq(secondFactors.userId, alice.user.id)).get())
        ?.signCount;
      expect(stored).toBeGreaterThan(0);
      const third = await signInHandle();
      const cloned = await optionsFor(third);
      expect(
        await answer(
          third,
          key.assert({ challenge: cloned.challenge, origin: ORIGIN, rpId: RP_ID, counter: stored ?? 0 }),
        ),
      ).toMatchObject({ ok: false, reason: "invalid" });
      const refused = await rt.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "session.login_failed"), eq(auditLog.targetId, alice.user.id)))
        .all();
      expect(refused.every((row) => (row.detail as { reason?: string }).reason === "wrong_second_factor")).toBe(true);
      expect(refused.length).toBeGreaterThanOrEqual(6);
    });

    it("wrong passkey answers count toward the account's sign-in lockout, like wrong codes and passwords", async () => {
      rt.config.rateLimit = { ...DEFAULT_RATE_LIMIT_CONFIG, signin: { limit: 3, windowMs: 15 * MIN } };
      const handle = await signInHandle();
      for (let i = 0; i < 3; i++) {
        const options = await optionsFor(handle);
        const wrong = key.assert({ challenge: options.challenge, origin: "https://evil.example", rpId: RP_ID });
        expect(await answer(handle, wrong)).toMatchObject({ ok: false, reason: "invalid" });
      }
      // Limit 3: three wrong answers lock the account; now even the right answer is not checked.
      const options = await optionsFor(handle);
      const result = await answer(handle, key.assert({ challenge: options.challenge, origin: ORIGIN, rpId: RP_ID }));
      expect(result).toMatchObject({ ok: false, reason: "locked" });
    });

    it("Bob's passkey cannot finish Alice's sign-in, and a removed passkey no longer works", async () => {
      const bobsKey = softwareAuthenticator();
      await register(bob, bobsKey, "Bob's key");
      const handle = await signInHandle();
      const options = await optionsFor(handle);
      expect(
        await answer(handle, bobsKey.assert({ challenge: options.challenge, origin: ORIGIN, rpId: RP_ID })),
      ).toMatchObject({ ok: false, reason: "invalid" });

      const factor = await rt.db.select().from(secondFactors).where(eq(secondFactors.userId, alice.user.id)).get();
      await callerOf(rt, alice.principal).account.secondFactors.remove({ id: factor?.id ?? "" });
      // No factor left: the password alone signs in now, and the old passkey has nothing to redeem.
      const after = await attemptSignIn(rt, { email: "alice@example.com", password: PASSWORD }, client);
      expect(after.ok).toBe(true);
      const remove = await rt.db.select().from(auditLog).where(eq(auditLog.action, "second_factor.remove")).get();
      expect(remove?.detail).toMatchObject({ kind: "passkey", remaining: 0 });
    });
  });

  describe("step-up", () => {
    it("a right answer to this session's challenge records a check; wrong origin, replayed, another session's challenge and no passkey are refused", async () => {
      await register();
      const checkedAt = async () =>
        (await rt.db.select().from(sessions).where(eq(sessions.id, alice.session.id)).get())?.secondFactorAt;
      const before = await checkedAt();
      rt.clock.advance(11 * MIN);
      const api = callerOf(rt, alice.principal);

      const options = await api.account.stepUpPasskeyOptions();
      expect(options.allowCredentials?.map((c) => c.id)).toEqual([key.credentialId]);
      const right = key.assert({ challenge: options.challenge, origin: ORIGIN, rpId: RP_ID });
      const wrong = key.assert({ challenge: options.challenge, origin: "https://evil.example", rpId: RP_ID });
      expect(await failureOf(api.account.stepUpWithPasskey({ passkey: JSON.stringify(wrong) }))).toBe(
        "BAD_REQUEST:invalid_passkey",
      );
      // The challenge was used by the wrong try: the right answer to it is refused too.
      expect(await failureOf(api.account.stepUpWithPasskey({ passkey: JSON.stringify(right) }))).toBe(
        "BAD_REQUEST:invalid_passkey",
      );
      expect(await checkedAt()).toEqual(before);

      // Another session's challenge (Alice's second session) does not serve this one.
      const second = await seedUser(rt, "alice-2@example.com", "member", PASSWORD);
      const otherSession = { ...alice.principal, sessionId: second.session.id };
      const others = await callerOf(rt, otherSession).account.stepUpPasskeyOptions();
      const forOther = key.assert({ challenge: others.challenge, origin: ORIGIN, rpId: RP_ID });
      expect(await failureOf(api.account.stepUpWithPasskey({ passkey: JSON.stringify(forOther) }))).toBe(
        "BAD_REQUEST:invalid_passkey",
      );

      const fresh = await api.account.stepUpPasskeyOptions();
      const ok = await api.account.stepUpWithPasskey({
        passkey: JSON.stringify(key.assert({ challenge: fresh.challenge, origin: ORIGIN, rpId: RP_ID })),
      });
      expect(ok.checkedAt).toBe(rt.clock.now().toISOString());
      expect((await checkedAt())?.getTime()).toBe(rt.clock.now().getTime());

      expect(await failureOf(callerOf(rt, bob.principal).account.stepUpPasskeyOptions())).toBe("NOT_FOUND:no_passkey");
    });
  });
});
