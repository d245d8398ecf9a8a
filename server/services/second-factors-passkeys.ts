import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { and, eq, gt, isNotNull, lte } from "drizzle-orm";
import type { Executor } from "@/db";
import { pendingSignIns, secondFactors, webauthnChallenges } from "@/db/schema";
import type { Clock } from "../clock";
import { AppError } from "../errors";
import { newId } from "../ids";
import { recordAudit } from "./audit";
import type { ServiceContext } from "./context";
import { FACTOR_LABEL_MAX, hasSecondFactor, markSessionChecked } from "./second-factors";
import { replaceRecoveryCodes } from "./second-factors-recovery";

/**
 * Passkeys (WebAuthn) as a second factor. The relying party is APP_URL:
 * its hostname is the RP ID, its origin the only origin a response may come
 * from. Every challenge is issued by the server, stored, used once and
 * short-lived: a registration's in `webauthn_challenges` (bound to the
 * session and user that asked), a sign-in's on its pending sign-in row
 * (`pending_sign_ins.challenge`, bound to that half-done sign-in). A
 * challenge is taken (cleared) before the response is verified, so a
 * response can be tried once, right or wrong.
 */

export const RP_NAME = "Gatehouse";
/** Long enough to touch a key or use a fingerprint reader; the browser's prompt times out at the same point. */
export const WEBAUTHN_CHALLENGE_MS = 5 * 60_000;
/** A response is a small JSON object; anything this long is not one. */
export const PASSKEY_RESPONSE_MAX = 16_384;

export interface RelyingParty {
  rpId: string;
  origin: string;
}

export function relyingPartyOf(appUrl: URL): RelyingParty {
  return { rpId: appUrl.hostname, origin: appUrl.origin };
}

const invalidPasskey = (field: string, why: string) =>
  new AppError("BAD_REQUEST", `${field}: the passkey answer was not accepted (${why})`, "invalid_passkey");

function passkeysOf(db: Executor, userId: string) {
  return db
    .select({
      id: secondFactors.id,
      credentialId: secondFactors.credentialId,
      publicKey: secondFactors.publicKey,
      signCount: secondFactors.signCount,
      transports: secondFactors.transports,
    })
    .from(secondFactors)
    .where(
      and(eq(secondFactors.userId, userId), eq(secondFactors.kind, "passkey"), isNotNull(secondFactors.confirmedAt)),
    )
    .all();
}

// ---------------------------------------------------------------------------------------------- registration

/**
 * Options for navigator.credentials.create(): the user's existing passkeys are excluded (the same
 * authenticator cannot be added twice), user verification is preferred, no attestation is asked for.
 * The challenge replaces any earlier one of this session.
 */
export async function startPasskeyRegistration(
  svc: ServiceContext,
  rp: RelyingParty,
  user: { id: string; email: string },
  sessionId: string,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await passkeysOf(svc.db, user.id);
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: rp.rpId,
    userName: user.email,
    // The WebAuthn user handle: our user id, never the email (it is stored on the authenticator).
    userID: new TextEncoder().encode(user.id),
    attestationType: "none",
    timeout: WEBAUTHN_CHALLENGE_MS,
    excludeCredentials: existing.flatMap((row) =>
      row.credentialId ? [{ id: row.credentialId, transports: row.transports ?? undefined }] : [],
    ),
    authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
  });
  await svc.db.transaction(async (tx) => {
    await storeSessionChallenge(tx, svc.clock, sessionId, user.id, options.challenge);
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "second_factor.enrol_start",
      target: { type: "user", id: user.id },
      client: svc.client,
      detail: { kind: "passkey" },
    });
  });
  return options;
}

/** One live challenge per session: a new one replaces the earlier (and lapsed rows of anyone go). */
async function storeSessionChallenge(tx: Executor, clock: Clock, sessionId: string, userId: string, challenge: string) {
  const now = clock.now();
  await tx.delete(webauthnChallenges).where(lte(webauthnChallenges.expiresAt, now)).run();
  await tx.delete(webauthnChallenges).where(eq(webauthnChallenges.sessionId, sessionId)).run();
  await tx
    .insert(webauthnChallenges)
    .values({
      id: newId("webauthnChallenge"),
      sessionId,
      userId,
      challenge,
      createdAt: now,
      expiresAt: new Date(now.getTime() + WEBAUTHN_CHALLENGE_MS),
    })
    .run();
}

/**
 * Takes (deletes) the live challenge of this session and user — a registration's or a step-up's (the
 * library tells them apart by the client data's type, webauthn.create or .get): one try per challenge.
 */
async function takeSessionChallenge(
  db: Executor,
  clock: Clock,
  sessionId: string,
  userId: string,
): Promise<string | null> {
  const row = await db
    .delete(webauthnChallenges)
    .where(and(eq(webauthnChallenges.sessionId, sessionId), eq(webauthnChallenges.userId, userId)))
    .returning({ challenge: webauthnChallenges.challenge, expiresAt: webauthnChallenges.expiresAt })
    .get();
  if (!row || row.expiresAt.getTime() <= clock.now().getTime()) return null;
  return row.challenge;
}

function parseJson<T>(text: string, field: string): T {
  if (text.length > PASSKEY_RESPONSE_MAX) throw invalidPasskey(field, "too long");
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== "object") throw new Error("not an object");
    return value as T;
  } catch {
    throw invalidPasskey(field, "not a WebAuthn response");
  }
}

/**
 * Verifies the browser's answer to the registration options and stores the credential (confirmed at
 * once). The first factor comes with ten recovery codes, as with TOTP.
 */
export async function confirmPasskeyRegistration(
  svc: ServiceContext,
  rp: RelyingParty,
  userId: string,
  sessionId: string,
  input: { name: string; response: string },
): Promise<{ factorId: string; recoveryCodes: string[] | null }> {
  const response = parseJson<RegistrationResponseJSON>(input.response, "response");
  const challenge = await takeSessionChallenge(svc.db, svc.clock, sessionId, userId);
  if (!challenge) throw invalidPasskey("response", "no registration is under way, or it expired");
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: false,
    });
  } catch (error) {
    await auditFailure(svc, userId, "enrol", error);
    throw invalidPasskey("response", "it does not match the registration asked for");
  }
  if (!verified.verified) {
    await auditFailure(svc, userId, "enrol", null);
    throw invalidPasskey("response", "it does not match the registration asked for");
  }
  const { credential } = verified.registrationInfo;
  const factorId = newId("secondFactor");
  return await svc.db.transaction(async (tx) => {
    const taken = await tx
      .select({ id: secondFactors.id })
      .from(secondFactors)
      .where(eq(secondFactors.credentialId, credential.id))
      .get();
    if (taken) throw new AppError("CONFLICT", "response: this passkey is registered already", "passkey_exists");
    const first = !(await hasSecondFactor(tx, userId));
    const now = svc.clock.now();
    await tx
      .insert(secondFactors)
      .values({
        id: factorId,
        userId,
        kind: "passkey",
        label: input.name.slice(0, FACTOR_LABEL_MAX),
        createdAt: now,
        confirmedAt: now,
        lastUsedAt: now,
        credentialId: credential.id,
        publicKey: isoBase64URL.fromBuffer(credential.publicKey),
        signCount: credential.counter,
        transports: credential.transports ?? [],
      })
      .run();
    const codes = first ? await replaceRecoveryCodes(tx, svc.clock, userId) : null;
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "second_factor.enrol",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: { factorId, kind: "passkey", recoveryCodesIssued: codes !== null },
    });
    return { factorId, recoveryCodes: codes };
  });
}

async function auditFailure(svc: ServiceContext, userId: string, purpose: string, error: unknown) {
  await svc.db.transaction(async (tx) =>
    recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "second_factor.use_failed",
      target: { type: "user", id: userId },
      outcome: "failure",
      client: svc.client,
      // The library's message names what did not match (challenge, origin, RP ID); no key material.
      detail: {
        purpose,
        kind: "passkey",
        ...(error instanceof Error ? { why: error.message.slice(0, 200) } : {}),
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------------- sign-in

/**
 * Options for navigator.credentials.get() at the second step of a sign-in: the user's passkeys only,
 * and a new challenge stored on the pending sign-in (replacing an earlier one: the latest options
 * are the ones answered). Null when the user has no passkey.
 */
export async function startPasskeySignIn(
  db: Executor,
  clock: Clock,
  client: ServiceContext["client"],
  rp: RelyingParty,
  pending: { id: string; userId: string },
): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
  const keys = await passkeysOf(db, pending.userId);
  if (keys.length === 0) return null;
  const options = await generateAuthenticationOptions({
    rpID: rp.rpId,
    timeout: WEBAUTHN_CHALLENGE_MS,
    userVerification: "preferred",
    allowCredentials: keys.flatMap((row) =>
      row.credentialId ? [{ id: row.credentialId, transports: row.transports ?? undefined }] : [],
    ),
  });
  await db.transaction(async (tx) => {
    await tx
      .update(pendingSignIns)
      .set({ challenge: options.challenge })
      .where(eq(pendingSignIns.id, pending.id))
      .run();
    await recordAudit(tx, clock, {
      actor: { kind: "user", id: pending.userId },
      action: "second_factor.challenge",
      target: { type: "user", id: pending.userId },
      client,
      detail: { purpose: "sign_in", kind: "passkey", pendingSignInId: pending.id },
    });
  });
  return options;
}

/**
 * Takes the pending sign-in's challenge (clears it): a response is tried against it once. The clear
 * is conditional on the value read, so of two racing answers only one gets the challenge.
 */
export async function takeSignInChallenge(db: Executor, clock: Clock, pendingId: string): Promise<string | null> {
  const row = await db
    .select({ challenge: pendingSignIns.challenge })
    .from(pendingSignIns)
    .where(and(eq(pendingSignIns.id, pendingId), gt(pendingSignIns.expiresAt, clock.now())))
    .get();
  if (!row?.challenge) return null;
  const taken = (
    await db
      .update(pendingSignIns)
      .set({ challenge: null })
      .where(and(eq(pendingSignIns.id, pendingId), eq(pendingSignIns.challenge, row.challenge)))
      .run()
  ).changes;
  return taken === 1 ? row.challenge : null;
}

export type PasskeyCheck = { ok: true; factorId: string } | { ok: false; why: string };

/**
 * Checks a passkey answer against a challenge this server issued and the user's stored credential:
 * origin, RP ID, challenge, signature, and a signature counter that must move forward (when the
 * authenticator keeps one). The counter update is conditional on the value read, so two racing
 * answers cannot both pass. No audit here: the caller knows what the check was for.
 */
export async function checkPasskeyAnswer(
  db: Executor,
  clock: Clock,
  rp: RelyingParty,
  userId: string,
  challenge: string,
  responseText: string,
): Promise<PasskeyCheck> {
  let response: AuthenticationResponseJSON;
  try {
    response = parseJson<AuthenticationResponseJSON>(responseText, "passkey");
  } catch {
    return { ok: false, why: "malformed" };
  }
  if (typeof response.id !== "string") return { ok: false, why: "malformed" };
  const row = (await passkeysOf(db, userId)).find((key) => key.credentialId === response.id);
  if (!row?.credentialId || !row.publicKey) return { ok: false, why: "unknown_credential" };
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: false,
      credential: {
        id: row.credentialId,
        publicKey: isoBase64URL.toBuffer(row.publicKey),
        counter: row.signCount ?? 0,
        transports: row.transports ?? undefined,
      },
    });
  } catch (error) {
    return { ok: false, why: error instanceof Error ? error.message.slice(0, 200) : "not verified" };
  }
  if (!verified.verified) return { ok: false, why: "not verified" };
  const moved = (
    await db
      .update(secondFactors)
      .set({ signCount: verified.authenticationInfo.newCounter, lastUsedAt: clock.now() })
      .where(and(eq(secondFactors.id, row.id), eq(secondFactors.signCount, row.signCount ?? 0)))
      .run()
  ).changes;
  if (moved !== 1) return { ok: false, why: "counter raced" };
  return { ok: true, factorId: row.id };
}

// ---------------------------------------------------------------------------------------------- step-up

/** Options for a step-up with a passkey: the user's passkeys, a challenge bound to this session. Null: no passkey. */
export async function startPasskeyStepUp(
  svc: ServiceContext,
  rp: RelyingParty,
  userId: string,
  sessionId: string,
): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
  const keys = await passkeysOf(svc.db, userId);
  if (keys.length === 0) return null;
  const options = await generateAuthenticationOptions({
    rpID: rp.rpId,
    timeout: WEBAUTHN_CHALLENGE_MS,
    userVerification: "preferred",
    allowCredentials: keys.flatMap((row) =>
      row.credentialId ? [{ id: row.credentialId, transports: row.transports ?? undefined }] : [],
    ),
  });
  await svc.db.transaction(async (tx) => {
    await storeSessionChallenge(tx, svc.clock, sessionId, userId, options.challenge);
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "second_factor.challenge",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: { purpose: "step_up", kind: "passkey", sessionId },
    });
  });
  return options;
}

/**
 * Step-up with a passkey: the answer to this session's challenge (taken first). A refusal is audited
 * and answered 400 `invalid_passkey` naming the field `passkey`.
 */
export async function stepUpWithPasskey(
  svc: ServiceContext,
  rp: RelyingParty,
  userId: string,
  sessionId: string,
  answer: string,
): Promise<Date> {
  const challenge = await takeSessionChallenge(svc.db, svc.clock, sessionId, userId);
  const check = challenge
    ? await checkPasskeyAnswer(svc.db, svc.clock, rp, userId, challenge, answer)
    : ({ ok: false, why: "no challenge" } as const);
  if (!check.ok) {
    await auditFailure(svc, userId, "step_up", new Error(check.why));
    throw invalidPasskey("passkey", "it does not answer this session's challenge");
  }
  return svc.db.transaction(async (tx) => {
    await markSessionChecked(tx, svc.clock, sessionId);
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "second_factor.use",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: { purpose: "step_up", method: "passkey", factorId: check.factorId, sessionId },
    });
    return svc.clock.now();
  });
}
