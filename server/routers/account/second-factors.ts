import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { z } from "zod";
import { SECOND_FACTOR_KINDS } from "@/db/schema";
import { requireStepUp, STEP_UP_WINDOW_MS } from "../../auth/step-up";
import type { Context } from "../../context";
import { AppError } from "../../errors";
import { idPattern } from "../../id-pattern";
import {
  confirmTotpEnrolment,
  FACTOR_LABEL_MAX,
  hasSecondFactor,
  listSecondFactors,
  markSessionChecked,
  regenerateRecoveryCodes,
  removeSecondFactor,
  startTotpEnrolment,
  stepUpSession,
} from "../../services/second-factors";
import {
  confirmPasskeyRegistration,
  PASSKEY_RESPONSE_MAX,
  relyingPartyOf,
  startPasskeyRegistration,
  startPasskeyStepUp,
  stepUpWithPasskey,
} from "../../services/second-factors-passkeys";
import { protectedProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import { webauthnOptions } from "../webauthn-options";

/** The session making the call: these procedures declare no scope, so the pipeline admits sessions only. */
function sessionOf(principal: { kind: string; sessionId?: string }): string {
  if (principal.kind !== "session" || !principal.sessionId) {
    throw new AppError("FORBIDDEN", "Only a signed-in session can do this", "session_required").toTRPCError();
  }
  return principal.sessionId;
}

/** Six digits, or a recovery code as shown ("abcde-fghij") or typed (any case, spaces). */
const codeSchema = z.string().trim().min(6, "must be a 6-digit code or a recovery code").max(32);
const factorId = z.string().regex(idPattern("secondFactor"), "must be a second factor id (sfa_…)");
const recoveryCodesOutput = z.object({ recoveryCodes: z.array(z.string()) });

/** APP_URL is the relying party (its hostname the RP ID, its origin the only accepted origin). */
function relyingParty(ctx: Context) {
  if (!ctx.config) throw new AppError("INTERNAL", "No configuration", "no_config").toTRPCError();
  return relyingPartyOf(ctx.config.appUrl);
}

/**
 * One's own second factors, for the account page. All session-only (no
 * scope declared): a bearer credential must never add or remove the
 * factor that guards its owner's sign-in. The enrolment procedures stay
 * open to an admin the gate holds (ADMIN_2FA=required); adding a factor
 * beside an existing one, removing one and new recovery codes want a
 * recent check (step-up), so a borrowed session cannot swap the factor.
 */
export const secondFactorsRouter = router({
  list: protectedProcedure
    .meta({ allowWithoutSecondFactor: true })
    .input(z.void())
    .output(
      z.object({
        factors: z.array(
          z.object({
            id: z.string(),
            kind: z.enum(SECOND_FACTOR_KINDS),
            label: z.string(),
            createdAt: z.string(),
            lastUsedAt: z.string().nullable(),
          }),
        ),
        recoveryCodesLeft: z.number().int().nonnegative(),
        /** True while this admin must enrol before doing anything else (ADMIN_2FA=required). */
        required: z.boolean(),
      }),
    )
    .query(async ({ ctx }) => {
      const overview = await listSecondFactors(ctx.db, ctx.principal.userId);
      return {
        factors: overview.factors.map((f) => ({
          ...f,
          createdAt: f.createdAt.toISOString(),
          lastUsedAt: f.lastUsedAt?.toISOString() ?? null,
        })),
        recoveryCodesLeft: overview.recoveryCodesLeft,
        required: ctx.principal.kind === "session" && ctx.principal.mustEnrolSecondFactor,
      };
    }),

  /** A new TOTP secret, its otpauth URI and QR code (SVG); it counts once confirmed with a first code. */
  startTotp: protectedProcedure
    .meta({ allowWithoutSecondFactor: true })
    .input(z.strictObject({ label: z.string().trim().min(1).max(FACTOR_LABEL_MAX).optional() }))
    .output(z.object({ factorId: z.string(), secret: z.string(), uri: z.string(), qrSvg: z.string() }))
    .mutation(async ({ ctx, input }) => {
      sessionOf(ctx.principal);
      if (await hasSecondFactor(ctx.db, ctx.principal.userId)) await requireStepUp(ctx);
      const { userId, email } = ctx.principal;
      return startTotpEnrolment(serviceContext(ctx), { id: userId, email }, input.label);
    }),

  /** Confirms the enrolment; the first factor comes with ten recovery codes, shown this once. */
  confirmTotp: protectedProcedure
    .meta({ allowWithoutSecondFactor: true })
    .input(
      z.strictObject({
        factorId,
        code: z
          .string()
          .trim()
          .regex(/^\d{6}$/, "must be the 6-digit code"),
      }),
    )
    .output(z.object({ recoveryCodes: z.array(z.string()).nullable() }))
    .mutation(async ({ ctx, input }) => {
      const sessionId = sessionOf(ctx.principal);
      const result = await confirmTotpEnrolment(serviceContext(ctx), ctx.principal.userId, input.factorId, input.code);
      // The person just proved the factor in this session: that counts as a check (step-up).
      await ctx.db.transaction(async (tx) => markSessionChecked(tx, ctx.clock, sessionId));
      return result;
    }),

  /**
   * Options for navigator.credentials.create() (PublicKeyCredentialCreationOptionsJSON, for
   * @simplewebauthn/browser as is); the challenge is stored for this session, five minutes, used once.
   */
  startPasskey: protectedProcedure
    .meta({ allowWithoutSecondFactor: true })
    .input(z.void())
    .output(webauthnOptions<PublicKeyCredentialCreationOptionsJSON>())
    .mutation(async ({ ctx }) => {
      const sessionId = sessionOf(ctx.principal);
      if (await hasSecondFactor(ctx.db, ctx.principal.userId)) await requireStepUp(ctx);
      const { userId, email } = ctx.principal;
      return startPasskeyRegistration(serviceContext(ctx), relyingParty(ctx), { id: userId, email }, sessionId);
    }),

  /** The browser's answer (RegistrationResponseJSON as a JSON string) and a name; the first factor comes with recovery codes. */
  confirmPasskey: protectedProcedure
    .meta({ allowWithoutSecondFactor: true })
    .input(
      z.strictObject({
        name: z.string().trim().min(1, "must name the passkey").max(FACTOR_LABEL_MAX),
        response: z.string().min(2).max(PASSKEY_RESPONSE_MAX),
      }),
    )
    .output(z.object({ factorId: z.string(), recoveryCodes: z.array(z.string()).nullable() }))
    .mutation(async ({ ctx, input }) => {
      const sessionId = sessionOf(ctx.principal);
      const result = await confirmPasskeyRegistration(
        serviceContext(ctx),
        relyingParty(ctx),
        ctx.principal.userId,
        sessionId,
        input,
      );
      // The person just used the authenticator in this session: that counts as a check (step-up).
      await ctx.db.transaction(async (tx) => markSessionChecked(tx, ctx.clock, sessionId));
      return result;
    }),

  remove: protectedProcedure
    .input(z.strictObject({ id: factorId }))
    .output(z.object({ removed: z.literal(true), remaining: z.number().int().nonnegative() }))
    .mutation(async ({ ctx, input }) => {
      sessionOf(ctx.principal);
      await requireStepUp(ctx);
      return {
        removed: true as const,
        ...(await removeSecondFactor(serviceContext(ctx), ctx.principal.userId, input.id)),
      };
    }),

  regenerateRecoveryCodes: protectedProcedure
    .input(z.void())
    .output(recoveryCodesOutput)
    .mutation(async ({ ctx }) => {
      sessionOf(ctx.principal);
      await requireStepUp(ctx);
      return { recoveryCodes: await regenerateRecoveryCodes(serviceContext(ctx), ctx.principal.userId) };
    }),
});

/** account.stepUp: a TOTP or recovery code, recorded on the session row; good for STEP_UP_WINDOW_MS. */
export const stepUpProcedure = protectedProcedure
  .meta({ allowWithoutSecondFactor: true })
  .input(z.strictObject({ code: codeSchema }))
  .output(z.object({ checkedAt: z.string(), validUntil: z.string() }))
  .mutation(async ({ ctx, input }) => {
    const sessionId = sessionOf(ctx.principal);
    const at = await stepUpSession(serviceContext(ctx), ctx.principal.userId, sessionId, input.code);
    return { checkedAt: at.toISOString(), validUntil: new Date(at.getTime() + STEP_UP_WINDOW_MS).toISOString() };
  });

/** Options for account.stepUpWithPasskey: the user's passkeys and a challenge bound to this session (404 `no_passkey`). */
export const stepUpPasskeyOptionsProcedure = protectedProcedure
  .meta({ allowWithoutSecondFactor: true })
  .input(z.void())
  .output(webauthnOptions<PublicKeyCredentialRequestOptionsJSON>())
  .mutation(async ({ ctx }) => {
    const sessionId = sessionOf(ctx.principal);
    const options = await startPasskeyStepUp(serviceContext(ctx), relyingParty(ctx), ctx.principal.userId, sessionId);
    if (!options) throw new AppError("NOT_FOUND", "This account has no passkey", "no_passkey").toTRPCError();
    return options;
  });

/** account.stepUp with a passkey: the answer (AuthenticationResponseJSON as a JSON string) to this session's challenge. */
export const stepUpWithPasskeyProcedure = protectedProcedure
  .meta({ allowWithoutSecondFactor: true })
  .input(z.strictObject({ passkey: z.string().min(2).max(PASSKEY_RESPONSE_MAX) }))
  .output(z.object({ checkedAt: z.string(), validUntil: z.string() }))
  .mutation(async ({ ctx, input }) => {
    const sessionId = sessionOf(ctx.principal);
    const at = await stepUpWithPasskey(
      serviceContext(ctx),
      relyingParty(ctx),
      ctx.principal.userId,
      sessionId,
      input.passkey,
    );
    return { checkedAt: at.toISOString(), validUntil: new Date(at.getTime() + STEP_UP_WINDOW_MS).toISOString() };
  });
