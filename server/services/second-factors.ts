import { and, asc, eq, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { pendingSignIns, type Role, type SecondFactorKind, secondFactors, sessions, users } from "@/db/schema";
import type { Clock } from "../clock";
import type { Keyring } from "../crypto/keyring";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import { type Actor, recordAudit } from "./audit";
import { requireKeyring } from "./contact-codec";
import type { ServiceContext } from "./context";
import {
  consumeRecoveryCode,
  deleteRecoveryCodes,
  looksLikeRecoveryCode,
  recoveryCodesLeft,
  replaceRecoveryCodes,
} from "./second-factors-recovery";
import {
  matchTotpStep,
  newTotpSecret,
  openTotpSecret,
  sealTotpSecret,
  totpQrSvg,
  totpStepAt,
  totpUri,
} from "./second-factors-totp";

/**
 * Second factors: TOTP (authenticator apps), passkeys (second-factors-passkeys.ts)
 * and one-time recovery codes. Every enrolment, use, failure, removal and
 * reset is audited (`second_factor.*`), ids and kinds only, never a code or
 * a secret. What counts as "has a second factor" is a confirmed TOTP or a
 * passkey; recovery codes alone never do (they only stand in for one).
 */

/** Bounded like the other labels: shown on the account page. */
export const FACTOR_LABEL_MAX = 64;

export interface SecondFactorSummary {
  id: string;
  kind: SecondFactorKind;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface SecondFactorOverview {
  factors: SecondFactorSummary[];
  recoveryCodesLeft: number;
}

const confirmed = isNotNull(secondFactors.confirmedAt);

export async function hasSecondFactor(db: Executor, userId: string): Promise<boolean> {
  return !!(await db
    .select({ id: secondFactors.id })
    .from(secondFactors)
    .where(and(eq(secondFactors.userId, userId), confirmed))
    .limit(1)
    .get());
}

export async function listSecondFactors(db: Executor, userId: string): Promise<SecondFactorOverview> {
  const factors = (
    await db
      .select()
      .from(secondFactors)
      .where(and(eq(secondFactors.userId, userId), confirmed))
      .orderBy(asc(secondFactors.createdAt), asc(secondFactors.id))
      .all()
  ).map((row) => ({
    id: row.id,
    kind: row.kind,
    label: row.label,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  }));
  return { factors, recoveryCodesLeft: await (factors.length > 0 ? recoveryCodesLeft(db, userId) : 0) };
}

/**
 * Active (not disabled) users of a role without any confirmed second
 * factor, by email: the admin gate's subjects, and the posture check's
 * "admins without a second factor" rule (server/posture).
 */
export async function usersWithoutSecondFactor(
  db: Executor,
  filter: { role?: Role } = {},
): Promise<Array<{ id: string; email: string; role: Role }>> {
  return await db
    .select({ id: users.id, email: users.email, role: users.role })
    .from(users)
    .where(
      and(
        isNull(users.disabledAt),
        filter.role ? eq(users.role, filter.role) : undefined,
        sql`not exists (select 1 from ${secondFactors} where ${secondFactors.userId} = ${users.id} and ${secondFactors.confirmedAt} is not null)`,
      ),
    )
    .orderBy(asc(users.email))
    .all();
}

async function audit(
  tx: Executor,
  svc: Pick<ServiceContext, "clock" | "actor" | "client">,
  action: `second_factor.${string}` | `session.${string}`,
  userId: string,
  detail: Record<string, unknown>,
  outcome: "success" | "failure" = "success",
) {
  await recordAudit(tx, svc.clock, {
    actor: svc.actor,
    action,
    target: { type: "user", id: userId },
    outcome,
    client: svc.client,
    detail,
  });
}

export interface TotpEnrolment {
  factorId: string;
  /** Base32, for typing into an app by hand. Shown during enrolment only. */
  secret: string;
  uri: string;
  qrSvg: string;
}

/**
 * Starts a TOTP enrolment: a new secret, sealed into an unconfirmed row
 * (replacing any earlier unconfirmed one), and what the person needs to put
 * it in their app. It counts for nothing until confirmed with a first code.
 */
export async function startTotpEnrolment(
  svc: ServiceContext,
  user: { id: string; email: string },
  label = "Authenticator app",
): Promise<TotpEnrolment> {
  const keyring = requireKeyring(svc);
  const secret = newTotpSecret();
  const factorId = newId("secondFactor");
  const uri = totpUri(secret, user.email);
  const qrSvg = await totpQrSvg(uri);
  await svc.db.transaction(async (tx) => {
    await tx
      .delete(secondFactors)
      .where(and(eq(secondFactors.userId, user.id), eq(secondFactors.kind, "totp"), isNull(secondFactors.confirmedAt)))
      .run();
    await tx
      .insert(secondFactors)
      .values({
        id: factorId,
        userId: user.id,
        kind: "totp",
        label: label.slice(0, FACTOR_LABEL_MAX),
        createdAt: svc.clock.now(),
        totpSecret: sealTotpSecret(keyring, factorId, secret),
      })
      .run();
    await audit(tx, svc, "second_factor.enrol_start", user.id, { factorId, kind: "totp" });
  });
  return { factorId, secret, uri, qrSvg };
}

const invalidCode = (field: string) =>
  new AppError("BAD_REQUEST", `${field}: the code is not right (or was used already)`, "invalid_code");

/**
 * Confirms an enrolment with a first code from the app. When this is the
 * user's first factor, a set of recovery codes comes with it (returned once).
 */
export async function confirmTotpEnrolment(
  svc: ServiceContext,
  userId: string,
  factorId: string,
  code: string,
): Promise<{ recoveryCodes: string[] | null }> {
  const keyring = requireKeyring(svc);
  return await svc.db.transaction(async (tx) => {
    const row = await tx
      .select()
      .from(secondFactors)
      .where(and(eq(secondFactors.id, factorId), eq(secondFactors.userId, userId), eq(secondFactors.kind, "totp")))
      .get();
    if (!row || row.confirmedAt || !row.totpSecret) throw notFound("Pending enrolment");
    const step = matchTotpStep(openTotpSecret(keyring, row.id, row.totpSecret), code.trim(), svc.clock.now().getTime());
    if (step === null) throw invalidCode("code");
    const first = !(await hasSecondFactor(tx, userId));
    await tx
      .update(secondFactors)
      .set({ confirmedAt: svc.clock.now(), totpLastStep: step, lastUsedAt: svc.clock.now() })
      .where(eq(secondFactors.id, row.id))
      .run();
    const codes = first ? await replaceRecoveryCodes(tx, svc.clock, userId) : null;
    await audit(tx, svc, "second_factor.enrol", userId, {
      factorId,
      kind: "totp",
      recoveryCodesIssued: codes !== null,
    });
    return { recoveryCodes: codes };
  });
}

export type FactorCheck =
  | { ok: true; method: "totp" | "recovery_code" | "passkey"; factorId: string | null }
  | { ok: false };

/**
 * Accepts a TOTP code (six digits) or a recovery code, inside the caller's
 * transaction; no audit here (the caller knows what the check was for).
 *
 * A TOTP code is accepted for a step only if that step is later than the
 * last accepted one, and the update is the check, so the same code — or an
 * older one of the window — is refused the second time, even when two
 * requests race in different processes.
 */
export async function checkSecondFactorCode(
  tx: Executor,
  clock: Clock,
  keyring: Keyring,
  userId: string,
  code: string,
): Promise<FactorCheck> {
  const given = code.trim();
  const now = clock.now().getTime();
  if (/^\d{6}$/.test(given)) {
    const rows = await tx
      .select()
      .from(secondFactors)
      .where(and(eq(secondFactors.userId, userId), eq(secondFactors.kind, "totp"), confirmed))
      .all();
    for (const row of rows) {
      if (!row.totpSecret) continue;
      const step = matchTotpStep(openTotpSecret(keyring, row.id, row.totpSecret), given, now);
      if (step === null) continue;
      const accepted = (
        await tx
          .update(secondFactors)
          .set({ totpLastStep: step, lastUsedAt: clock.now() })
          .where(
            and(
              eq(secondFactors.id, row.id),
              or(isNull(secondFactors.totpLastStep), lt(secondFactors.totpLastStep, step)),
            ),
          )
          .run()
      ).changes;
      if (accepted === 1) return { ok: true, method: "totp", factorId: row.id };
    }
    return { ok: false };
  }
  if (
    looksLikeRecoveryCode(given) &&
    (await hasSecondFactor(tx, userId)) &&
    (await consumeRecoveryCode(tx, clock, userId, given))
  ) {
    return { ok: true, method: "recovery_code", factorId: null };
  }
  return { ok: false };
}

/** Records a passed check on a session row: sign-in's second step and step-up both count for step-up. */
export async function markSessionChecked(tx: Executor, clock: Clock, sessionId: string): Promise<void> {
  await tx.update(sessions).set({ secondFactorAt: clock.now() }).where(eq(sessions.id, sessionId)).run();
}

/**
 * Step-up: the signed-in user proves their second factor again; the session
 * row records when. A wrong code is audited as a failure and answered 400
 * naming the field `code`.
 */
export async function stepUpSession(
  svc: ServiceContext,
  userId: string,
  sessionId: string,
  code: string,
): Promise<Date> {
  const keyring = requireKeyring(svc);
  const outcome = await svc.db.transaction(async (tx) => {
    const check = await checkSecondFactorCode(tx, svc.clock, keyring, userId, code);
    if (!check.ok) {
      await audit(tx, svc, "second_factor.use_failed", userId, { purpose: "step_up" }, "failure");
      return null;
    }
    await markSessionChecked(tx, svc.clock, sessionId);
    await audit(tx, svc, "second_factor.use", userId, {
      purpose: "step_up",
      method: check.method,
      factorId: check.factorId,
      sessionId,
    });
    return svc.clock.now();
  });
  if (!outcome) throw invalidCode("code");
  return outcome;
}

/** A new set of ten recovery codes (the old set stops working); only for a user with a factor. */
export async function regenerateRecoveryCodes(svc: ServiceContext, userId: string): Promise<string[]> {
  return await svc.db.transaction(async (tx) => {
    if (!(await hasSecondFactor(tx, userId))) {
      throw new AppError("CONFLICT", "Set up a second factor before recovery codes", "no_second_factor");
    }
    const codes = await replaceRecoveryCodes(tx, svc.clock, userId);
    await audit(tx, svc, "second_factor.recovery_codes", userId, { issued: codes.length });
    return codes;
  });
}

/** Removes one of the user's own factors (another user's, or an unknown id: 404). The last one takes the recovery codes with it. */
export async function removeSecondFactor(
  svc: ServiceContext,
  userId: string,
  factorId: string,
): Promise<{ remaining: number }> {
  return await svc.db.transaction(async (tx) => {
    const row = await tx
      .select({ id: secondFactors.id, kind: secondFactors.kind })
      .from(secondFactors)
      .where(and(eq(secondFactors.id, factorId), eq(secondFactors.userId, userId), confirmed))
      .get();
    if (!row) throw notFound("Second factor");
    await tx.delete(secondFactors).where(eq(secondFactors.id, row.id)).run();
    const remaining = (await listSecondFactors(tx, userId)).factors.length;
    if (remaining === 0) await deleteRecoveryCodes(tx, userId);
    await audit(tx, svc, "second_factor.remove", userId, { factorId, kind: row.kind, remaining });
    return { remaining };
  });
}

/**
 * For a locked-out user (the CLI's `user 2fa reset`): every factor, every
 * recovery code and every half-done sign-in of theirs goes. Sessions are
 * left alone (the person is locked out, so has none that matter; an admin
 * can end them separately).
 */
export async function resetSecondFactors(
  svc: Pick<ServiceContext, "db" | "clock" | "client"> & { actor: Actor },
  userId: string,
): Promise<{ factorsRemoved: number; recoveryCodesRemoved: number }> {
  return await svc.db.transaction(async (tx) => {
    const factorsRemoved = (await tx.delete(secondFactors).where(eq(secondFactors.userId, userId)).run()).changes;
    const recoveryCodesRemoved = await deleteRecoveryCodes(tx, userId);
    await deletePendingSignInsOf(tx, userId);
    await audit(tx, svc, "second_factor.reset", userId, { factorsRemoved, recoveryCodesRemoved });
    return { factorsRemoved, recoveryCodesRemoved };
  });
}

async function deletePendingSignInsOf(tx: Executor, userId: string) {
  await tx.delete(pendingSignIns).where(eq(pendingSignIns.userId, userId)).run();
}

export { totpStepAt };
