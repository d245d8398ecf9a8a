import { eq } from "drizzle-orm";
import { z } from "zod";
import { users } from "@/db/schema";
import { appErrorOf } from "../errors";
import { getLogger } from "../logger";
import { accountKeyOf } from "../ratelimit/limiter";
import { limiterFor } from "../ratelimit/runtime";
import type { Lock } from "../ratelimit/store";
import type { Runtime } from "../runtime";
import { recordAudit } from "../services/audit";
import {
  checkSecondFactorCode,
  type FactorCheck,
  hasSecondFactor,
  markSessionChecked,
} from "../services/second-factors";
import {
  checkPasskeyAnswer,
  PASSKEY_RESPONSE_MAX,
  relyingPartyOf,
  takeSignInChallenge,
} from "../services/second-factors-passkeys";
import {
  createPendingSignIn,
  findPendingSignIn,
  notePendingFailure,
  redeemPendingSignIn,
} from "../services/second-factors-pending";
import { createSession, endSession } from "../services/sessions";
import { findUserByEmail } from "../services/users";
import { verifyPassword } from "./password";
import type { ClientInfo } from "./principal";
import { reportSignInRefusal } from "./sign-in-outcome";

const credentialsSchema = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(256),
});

export type SignInResult =
  | { ok: true; userId: string; sessionId: string }
  /** Unknown email, wrong password, disabled account: one answer for all three. */
  | { ok: false; reason: "invalid" }
  /** The account or the client IP is locked out (brute-force protection); no password was checked. */
  | { ok: false; reason: "locked"; retryAfterSeconds: number }
  /** The rate-limit store cannot answer: sign-in fails closed, no password was checked. */
  | { ok: false; reason: "unavailable" }
  /** The database cannot be used (a full disk, a read-only file …): no session was created. */
  | { ok: false; reason: "unavailable"; dependency: "database" }
  /**
   * The password was right and the account has a second factor: no session yet. The handle (for an
   * HttpOnly cookie, never shown to script) is redeemed with a code by attemptSecondStep.
   */
  | { ok: false; reason: "second_factor"; handle: string; expiresAt: Date }
  /** Second step only: the pending sign-in is unknown, forged, expired, used, or died of wrong codes. */
  | { ok: false; reason: "expired" };

/**
 * Password sign-in. Unknown email, wrong password and disabled account give
 * the same answer ("invalid") after the same work, so the response tells an
 * attacker nothing about which accounts exist. Success creates the server-side
 * session row the cookie will point to. Both outcomes are audited.
 *
 * Brute-force protection (server/ratelimit, policies signin-account and
 * signin-ip): each attempt takes a place with the account and the client IP
 * *before* the password is verified, so parallel guesses cannot outrun the
 * limit; only a password checked and found wrong counts as a failure, never
 * an attempt refused before that (locked, or the store unavailable — not
 * even when a hung store runs the refused attempt's command later, see
 * LimitStore.reserveAttempt). RATE_LIMIT_SIGNIN failures lock the
 * account (15 minutes by default, doubling for each further lock within a
 * day), RATE_LIMIT_SIGNIN_IP failures lock the IP. While locked, every
 * attempt is refused without checking the password — the right one too —
 * and an unknown email is locked exactly like a real account, so a lockout
 * reveals nothing either. If the store cannot answer, sign-in is refused
 * (fail closed).
 */
export async function attemptSignIn(runtime: Runtime, credentials: unknown, client: ClientInfo): Promise<SignInResult> {
  return storageSafe(client, () => attempt(runtime, credentials, client));
}

async function storageSafe(client: ClientInfo, run: () => Promise<SignInResult>): Promise<SignInResult> {
  try {
    return await run();
  } catch (error) {
    // The one mapping (appErrorOf) tells a storage failure from a bug: the former is a 503 for the
    // sign-in form too (server/http/sign-in-throttle.ts), never NextAuth's "Configuration" error.
    if (appErrorOf(error)?.reason !== "storage_unavailable") throw error;
    getLogger().error(
      { requestId: client.requestId, err: { name: (error as Error).name, code: (error as { code?: unknown }).code } },
      "sign-in: storage unavailable",
    );
    reportSignInRefusal({ kind: "unavailable", dependency: "database" });
    return { ok: false, reason: "unavailable", dependency: "database" };
  }
}

async function attempt(runtime: Runtime, credentials: unknown, client: ClientInfo): Promise<SignInResult> {
  const { db, clock, config } = runtime;
  const limiter = limiterFor(runtime);
  const parsed = credentialsSchema.safeParse(credentials);
  const email = parsed.success ? parsed.data.email.toLowerCase() : null;
  const user = await (email ? findUserByEmail(db, email) : undefined);
  // Only what looks like an email: people do type passwords into the email field.
  const shownEmail = email && /^[^\s@]{1,64}@[^\s@]{1,190}$/.test(email) ? email : "[not an email]";

  const gate = await limiter.reserveSignIn(email ? accountKeyOf(email, user?.id) : null, client.ip);
  if (gate.kind === "unavailable") return { ok: false, reason: "unavailable" };
  if (gate.kind === "locked") {
    await auditLockouts(runtime, gate.newlyLocked, user?.id ?? null, shownEmail, client);
    return { ok: false, reason: "locked", retryAfterSeconds: gate.retryAfterSeconds };
  }

  const passwordOk = await verifyPassword(user?.passwordHash ?? null, parsed.success ? parsed.data.password : "");

  if (!user || !passwordOk || user.disabledAt) {
    // The one place a failure is counted: this password was checked and is wrong. Counted before anything
    // is written here, so a database that cannot be written (503) does not make the guess free.
    const locked = await limiter.settleSignIn(gate, "failure");
    await db.transaction(async (tx) =>
      recordAudit(tx, clock, {
        actor: user ? { kind: "user", id: user.id } : { kind: "anonymous", id: null },
        action: "session.login_failed",
        target: user ? { type: "user", id: user.id } : undefined,
        outcome: "failure",
        client,
        detail: {
          email: shownEmail,
          reason: !user ? "unknown_user" : !passwordOk ? "wrong_password" : "disabled",
        },
      }),
    );
    await auditLockouts(runtime, locked, user?.id ?? null, shownEmail, client);
    return { ok: false, reason: "invalid" };
  }

  // "success" counts nothing (it does not forgive earlier failures): a right password followed by wrong codes
  // keeps counting toward the same lock as wrong passwords (second step below).
  await limiter.settleSignIn(gate, "success");
  if (await hasSecondFactor(db, user.id)) {
    const pending = await db.transaction((tx) => createPendingSignIn(tx, clock, user.id));
    return { ok: false, reason: "second_factor", ...pending };
  }
  return db.transaction(async (tx) => {
    const session = await createSession(tx, clock, config.session, user.id, client);
    await recordAudit(tx, clock, {
      actor: { kind: "user", id: user.id },
      action: "session.login",
      target: { type: "session", id: session.id },
      client,
    });
    return { ok: true as const, userId: user.id, sessionId: session.id };
  });
}

const secondStepSchema = z.object({
  // Six digits or a recovery code ("abcde-fghij"); anything longer is not worth looking at.
  code: z.string().trim().min(1).max(32).optional(),
  // Or a passkey's answer (the browser's AuthenticationResponseJSON, as a JSON string) to signIn.passkeyOptions.
  passkey: z.string().min(1).max(PASSKEY_RESPONSE_MAX).optional(),
  // The email the person typed in the first step, when the form sends it again: it must be the handle's.
  email: z.string().trim().max(254).optional(),
});

/**
 * The second step of a sign-in: the pending handle (from its cookie) and a
 * TOTP or recovery code, or a passkey's answer to the challenge stored on
 * that pending sign-in (taken before it is checked: one try per challenge). It runs under the same per-account and per-IP
 * lockout as the password (a wrong code is a failure like a wrong password;
 * while locked, no code is checked), and each handle takes only a few wrong
 * codes (second-factors-pending.ts). A right code redeems the handle once
 * and creates the session, marked as checked (step-up counts it).
 */
export async function attemptSecondStep(
  runtime: Runtime,
  handle: unknown,
  input: unknown,
  client: ClientInfo,
): Promise<SignInResult> {
  return storageSafe(client, () => secondStep(runtime, handle, input, client));
}

async function secondStep(
  runtime: Runtime,
  handle: unknown,
  input: unknown,
  client: ClientInfo,
): Promise<SignInResult> {
  const { db, clock, config, keyring } = runtime;
  const pending = await findPendingSignIn(db, clock, handle);
  const user = await (pending ? db.select().from(users).where(eq(users.id, pending.userId)).get() : undefined);
  const parsed = secondStepSchema.safeParse(input);
  if (!pending || !user || user.disabledAt) return { ok: false, reason: "expired" };
  // A handle is its user's only: a form that says another email is not finishing this sign-in.
  if (parsed.success && parsed.data.email && parsed.data.email.toLowerCase() !== user.email) {
    return { ok: false, reason: "expired" };
  }

  const limiter = limiterFor(runtime);
  const gate = await limiter.reserveSignIn(accountKeyOf(user.email, user.id), client.ip);
  if (gate.kind === "unavailable") return { ok: false, reason: "unavailable" };
  if (gate.kind === "locked") {
    await auditLockouts(runtime, gate.newlyLocked, user.id, user.email, client);
    return { ok: false, reason: "locked", retryAfterSeconds: gate.retryAfterSeconds };
  }

  const passkey = parsed.success ? parsed.data.passkey : undefined;
  const code = parsed.success ? (parsed.data.code ?? "") : "";
  const check: FactorCheck = await (passkey
    ? await checkPendingPasskey(runtime, pending.id, user.id, passkey)
    : db.transaction(async (tx) => checkSecondFactorCode(tx, clock, keyring, user.id, code)));
  if (!check.ok) {
    const locked = await limiter.settleSignIn(gate, "failure");
    await db.transaction(async (tx) => {
      await notePendingFailure(tx, pending.id);
      await recordAudit(tx, clock, {
        actor: { kind: "user", id: user.id },
        action: "session.login_failed",
        target: { type: "user", id: user.id },
        outcome: "failure",
        client,
        detail: { email: user.email, reason: "wrong_second_factor", ...(passkey ? { method: "passkey" } : {}) },
      });
    });
    await auditLockouts(runtime, locked, user.id, user.email, client);
    return { ok: false, reason: "invalid" };
  }

  await limiter.settleSignIn(gate, "success");
  return db.transaction(async (tx) => {
    if (!(await redeemPendingSignIn(tx, pending.id))) return { ok: false as const, reason: "expired" as const };
    const session = await createSession(tx, clock, config.session, user.id, client);
    await markSessionChecked(tx, clock, session.id);
    await recordAudit(tx, clock, {
      actor: { kind: "user", id: user.id },
      action: "session.login",
      target: { type: "session", id: session.id },
      client,
      detail: { secondFactor: check.method, ...(check.factorId ? { factorId: check.factorId } : {}) },
    });
    return { ok: true as const, userId: user.id, sessionId: session.id };
  });
}

/** A passkey answer at the second step: against the pending sign-in's own challenge, taken first. */
async function checkPendingPasskey(
  runtime: Runtime,
  pendingId: string,
  userId: string,
  answer: string,
): Promise<FactorCheck> {
  const { db, clock, config } = runtime;
  const challenge = await db.transaction(async (tx) => takeSignInChallenge(tx, clock, pendingId));
  if (!challenge) return { ok: false };
  const result = await checkPasskeyAnswer(db, clock, relyingPartyOf(config.appUrl), userId, challenge, answer);
  return result.ok ? { ok: true, method: "passkey", factorId: result.factorId } : { ok: false };
}

/** attemptSignIn for callers that only need success or not (a lockout is a refusal like any other). */
export async function signInWithPassword(
  runtime: Runtime,
  credentials: unknown,
  client: ClientInfo,
): Promise<{ userId: string; sessionId: string } | null> {
  const result = await attemptSignIn(runtime, credentials, client);
  return result.ok ? { userId: result.userId, sessionId: result.sessionId } : null;
}

/** A lock starting is rare and worth an entry: who (account or IP), for how long, at which level. */
async function auditLockouts(
  runtime: Runtime,
  locks: readonly Lock[],
  userId: string | null,
  shownEmail: string,
  client: ClientInfo,
): Promise<void> {
  if (locks.length === 0) return;
  await runtime.db.transaction(async (tx) => {
    for (const lock of locks) {
      const account = lock.subject.startsWith("account:");
      await recordAudit(tx, runtime.clock, {
        actor: { kind: "anonymous", id: null },
        action: "ratelimit.lockout",
        target: account ? { type: "user", id: userId } : { type: "ip", id: client.ip },
        outcome: "failure",
        client,
        detail: {
          policy: account ? "signin-account" : "signin-ip",
          ...(account ? { email: shownEmail } : {}),
          level: lock.level,
          lockedUntil: new Date(lock.lockedUntil).toISOString(),
        },
      });
    }
  });
}

/** Sign-out: the session row goes, so the cookie is dead even if a copy of it survives. */
export async function signOutSession(
  runtime: Runtime,
  sessionId: string,
  userId: string | null,
  client: ClientInfo,
): Promise<void> {
  const { db, clock } = runtime;
  await db.transaction(async (tx) => {
    if (!(await endSession(tx, sessionId))) return;
    await recordAudit(tx, clock, {
      actor: userId ? { kind: "user", id: userId } : { kind: "anonymous", id: null },
      action: "session.logout",
      target: { type: "session", id: sessionId },
      client,
    });
  });
}
