import { z } from "zod";
import { ROLES } from "@/db/schema";
import { passwordSchema } from "../../auth/password";
import { AppError } from "../../errors";
import { endOwnOtherSessions, endOwnSession, listOwnSessions } from "../../services/sessions";
import { changeOwnPassword, getUserRow } from "../../services/users";
import { protectedProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import { changePasswordForm } from "./schemas";
import {
  secondFactorsRouter,
  stepUpPasskeyOptionsProcedure,
  stepUpProcedure,
  stepUpWithPasskeyProcedure,
} from "./second-factors";

const ownSession = z.object({
  id: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
  current: z.boolean(),
});

/** The session making the call: these procedures declare no scope, so the pipeline admits sessions only. */
function currentSessionId(principal: { kind: string; sessionId?: string }): string {
  if (principal.kind !== "session" || !principal.sessionId) {
    throw new AppError("FORBIDDEN", "Only a signed-in session can do this", "session_required").toTRPCError();
  }
  return principal.sessionId;
}

export const accountRouter = router({
  /** One's own second factors (TOTP, passkeys, recovery codes): server/routers/account/second-factors.ts. */
  secondFactors: secondFactorsRouter,

  /** A second-factor check for this session (step-up), good for ten minutes of dangerous actions. */
  stepUp: stepUpProcedure,
  stepUpPasskeyOptions: stepUpPasskeyOptionsProcedure,
  stepUpWithPasskey: stepUpWithPasskeyProcedure,

  /** Who am I: enough for the frontend to draw its navigation. */
  me: protectedProcedure
    .meta({ allowDuringPasswordChange: true, allowWithoutSecondFactor: true })
    .input(z.void())
    .output(
      z.object({
        id: z.string(),
        email: z.string(),
        name: z.string().nullable(),
        role: z.enum(ROLES),
        mustChangePassword: z.boolean(),
      }),
    )
    .query(async ({ ctx }) => {
      const row = await getUserRow(ctx.db, ctx.principal.userId);
      return {
        id: row.id,
        email: row.email,
        name: row.name,
        role: row.role,
        mustChangePassword: row.mustChangePassword,
      };
    }),

  /** Change one's own password; also how a one-time bootstrap password is replaced. */
  changePassword: protectedProcedure
    .meta({ allowDuringPasswordChange: true, allowWithoutSecondFactor: true })
    .input(changePasswordForm.extend({ newPassword: passwordSchema }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      const sessionId = ctx.principal.kind === "session" ? ctx.principal.sessionId : null;
      await changeOwnPassword(
        serviceContext(ctx),
        ctx.principal.userId,
        sessionId,
        input.currentPassword,
        input.newPassword,
      );
      return { ok: true as const };
    }),

  /** The caller's own live sessions (device, IP, when), most recently used first; the current one is marked. */
  sessions: protectedProcedure
    .meta({ allowWithoutSecondFactor: true })
    .input(z.void())
    .output(z.array(ownSession))
    .query(async ({ ctx }) =>
      (await listOwnSessions(ctx.db, ctx.clock, ctx.principal.userId, currentSessionId(ctx.principal))).map((s) => ({
        ...s,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
      })),
    ),

  /** End one of one's own sessions; the current one too (that signs this browser out). Another user's: 404. */
  endSession: protectedProcedure
    .meta({ allowWithoutSecondFactor: true })
    .input(z.strictObject({ id: z.string().min(1).max(64) }))
    .output(z.object({ ended: z.literal(true), current: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const current = currentSessionId(ctx.principal);
      return {
        ended: true as const,
        ...(await endOwnSession(serviceContext(ctx), ctx.principal.userId, input.id, current)),
      };
    }),

  /** End every session of one's own but this one ("sign out everywhere else"). */
  endOtherSessions: protectedProcedure
    .meta({ allowWithoutSecondFactor: true })
    .input(z.void())
    .output(z.object({ ended: z.number().int().nonnegative() }))
    .mutation(async ({ ctx }) => ({
      ended: await endOwnOtherSessions(serviceContext(ctx), ctx.principal.userId, currentSessionId(ctx.principal)),
    })),
});
