import { z } from "zod";
import { idPattern } from "../../ids";
import { listTokens, revokeAllForUser, revokeToken } from "../../services/tokens";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import {
  adminListTokensInput,
  revokeAllOutput,
  tokenIdInput,
  tokenPageSchema,
  tokenSummarySchema,
} from "../tokens/schemas";

/** Every user's tokens, for administrators: list with owners and filters, revoke any. */
export const adminTokensRouter = router({
  list: adminProcedure
    .input(adminListTokensInput)
    .output(tokenPageSchema)
    .query(({ ctx, input }) => listTokens(ctx, input)),

  revoke: adminProcedure
    .input(tokenIdInput)
    .output(tokenSummarySchema)
    .mutation(({ ctx, input }) => revokeToken(serviceContext(ctx), input.id)),
});

/** Mounted into admin.users: "revoke everything" for one user — all sessions and all tokens, one transaction. */
export const adminUserRevocationRouter = router({
  revokeAll: adminProcedure
    .input(z.strictObject({ id: z.string().regex(idPattern("user"), "must be a user id (usr_…)") }))
    .output(revokeAllOutput)
    .mutation(({ ctx, input }) => revokeAllForUser(serviceContext(ctx), input.id)),
});
