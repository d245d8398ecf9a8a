import { z } from "zod";
import { idPattern } from "../../ids";
import { listAuthorizedApps, revokeAuthorizedApp } from "../../services/oauth-consent";
import { protectedProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import { scopeSchema } from "../tokens/schemas";

const authorizedAppSchema = z.object({
  clientId: z.string(),
  clientName: z.string(),
  scopes: z.array(scopeSchema).describe("What the user has agreed the application may do"),
  consentedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  activeGrants: z.number().int(),
});

/**
 * oauthApps: the applications the signed-in user has authorised, on their
 * settings page. No scopes in meta on purpose: these are for the person at
 * the dashboard, so a bearer credential (an API token, or an OAuth access
 * token — the very thing being revoked) is refused with session_required.
 * The service filters by the caller: another user's application is NOT_FOUND.
 */
export const oauthAppsRouter = router({
  list: protectedProcedure
    .input(z.strictObject({}).optional())
    .output(z.array(authorizedAppSchema))
    .query(({ ctx }) => listAuthorizedApps(ctx.db, ctx.principal.userId, ctx.clock.now())),

  revoke: protectedProcedure
    .input(
      z.strictObject({
        clientId: z.string().regex(idPattern("oauthClient"), "must be an OAuth client id (ocl_…)"),
      }),
    )
    .output(z.object({ grantsRevoked: z.number().int() }))
    .mutation(({ ctx, input }) => revokeAuthorizedApp(serviceContext(ctx), ctx.principal.userId, input.clientId)),
});
