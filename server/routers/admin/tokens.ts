import { z } from "zod";
import { requireStepUpForScopes } from "../../auth/step-up";
import { createToken, getTokenSummary, listTokens, revokeAllForUser, revokeToken } from "../../services/tokens";
import { getUserRow } from "../../services/users";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import {
  adminListTokensInput,
  createdTokenSchema,
  createTokenInput,
  listTokensFields,
  notBoth,
  revokeAllOutput,
  tokenIdInput,
  tokenPageSchema,
  tokenSummarySchema,
} from "../tokens/schemas";
import { userId } from "./users";

const TAGS = ["admin-tokens"];

/** Every user's tokens, for administrators: list with owners and filters, read and revoke any. */
export const adminTokensRouter = router({
  list: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/tokens",
        tags: TAGS,
        summary: "List every user's API tokens, newest first",
      },
    })
    .input(adminListTokensInput)
    .output(tokenPageSchema)
    .query(({ ctx, input }) => listTokens(ctx, input)),

  get: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/tokens/{id}",
        tags: TAGS,
        summary: "Get any API token (never its secret)",
      },
    })
    .input(tokenIdInput)
    .output(tokenSummarySchema)
    .query(({ ctx, input }) => getTokenSummary(ctx, input.id)),

  revoke: adminProcedure
    .meta({
      openapi: { method: "POST", path: "/admin/tokens/{id}/revoke", tags: TAGS, summary: "Revoke any API token now" },
    })
    .input(tokenIdInput)
    .output(tokenSummarySchema)
    .mutation(({ ctx, input }) => revokeToken(serviceContext(ctx), input.id)),
});

/**
 * Mounted into admin.users: "revoke everything" for one user — all sessions and all tokens, one
 * transaction — and the user's tokens as a sub-resource, where an admin creates one for the user
 * (what `gatehouse token create --email` does, through the same service and audit entry).
 */
export const adminUserTokensRouter = router({
  revokeAll: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/users/{id}/revoke-all",
        tags: ["admin-users"],
        summary: "End all of a user's sessions and revoke all their tokens and OAuth grants",
      },
    })
    .input(z.strictObject({ id: userId }))
    .output(revokeAllOutput)
    .mutation(({ ctx, input }) => revokeAllForUser(serviceContext(ctx), input.id)),

  tokens: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/users/{id}/tokens",
        tags: TAGS,
        summary: "A user's API tokens, newest first",
      },
    })
    .input(z.strictObject({ id: userId, ...listTokensFields }).refine(notBoth.check, notBoth.params))
    .output(tokenPageSchema)
    .query(async ({ ctx, input: { id, ...query } }) => {
      // An unknown user is a 404, not an empty list.
      await getUserRow(ctx.db, id);
      return listTokens(ctx, { ...query, ownerId: id });
    }),

  createToken: adminProcedure
    .meta({
      created: { location: "/admin/tokens/{id}" },
      openapi: {
        method: "POST",
        path: "/admin/users/{id}/tokens",
        tags: TAGS,
        summary: "Create an API token for a user",
        description:
          "The response carries the token itself, once; only a hash is kept. The scopes must be allowed to the user's role. Audited with the admin as actor.",
      },
    })
    .input(z.strictObject({ id: userId, ...createTokenInput.shape }))
    .output(createdTokenSchema)
    .mutation(async ({ ctx, input }) => {
      await requireStepUpForScopes(ctx, input.scopes); // an admin-scoped token (server/auth/step-up.ts)
      return createToken(
        serviceContext(ctx),
        input.id,
        {
          name: input.name,
          scopes: input.scopes,
          expiresInMs: input.expiresInSeconds == null ? input.expiresInSeconds : input.expiresInSeconds * 1000,
        },
        // For another user the owner's role bounds the scopes (as on the CLI); for oneself the caller's
        // credential does too, as on POST /tokens, so an admin-scoped token cannot mint itself contacts:*.
        {
          policy: ctx.tokenPolicy,
          grantorScopes: input.id === ctx.principal.userId ? ctx.principal.scopes : undefined,
        },
      );
    }),
});
