import { z } from "zod";
import { ROLES } from "@/db/schema";
import { passwordSchema } from "../../auth/password";
import { changeOwnPassword, getUserRow } from "../../services/users";
import { protectedProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";

export const accountRouter = router({
  /** Who am I: enough for the frontend to draw its navigation. */
  me: protectedProcedure
    .meta({ allowDuringPasswordChange: true })
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
    .query(({ ctx }) => {
      const row = getUserRow(ctx.db, ctx.principal.userId);
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
    .meta({ allowDuringPasswordChange: true })
    .input(z.strictObject({ currentPassword: z.string().min(1).max(256), newPassword: passwordSchema }))
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
});
