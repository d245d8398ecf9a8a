import { z } from "zod";
import { SCOPES, type Scope } from "../../auth/scopes";
import { requireStepUpForScopes } from "../../auth/step-up";
import {
  createToken,
  getTokenSummary,
  listTokens,
  MAX_GRACE_MS,
  revokeAllForUser,
  revokeToken,
  rotateToken,
} from "../../services/tokens";
import { protectedProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import {
  createdTokenSchema,
  createTokenInput,
  listTokensInput,
  revokeAllInput,
  revokeAllOutput,
  rotatedTokenSchema,
  rotateTokenInput,
  tokenIdInput,
  tokenOptionsSchema,
  tokenPageSchema,
  tokenSummarySchema,
} from "./schemas";

const TAGS = ["tokens"];
/** Documented error statuses (trpc-to-openapi's defaults omit 404/409 on POST); bodies are problem+json. */
const TOKEN_ERRORS = {
  400: "Invalid input",
  401: "No valid credential",
  403: "Missing scope, or a scope beyond your role or your credential",
  404: "No such token of yours",
  500: "Internal server error",
};

/**
 * A user's own API tokens. Another user's token id is NOT_FOUND (the
 * services filter by owner). Creating and rotating pass the caller's scopes
 * as the grantor's, so a token can never mint a stronger one.
 */
export const tokensRouter = router({
  /** What the create form may offer: this server's expiry rules and the scopes the caller can grant. */
  options: protectedProcedure
    .meta({
      scopes: ["tokens:read"],
      openapi: {
        method: "GET",
        path: "/tokens/options",
        tags: TAGS,
        summary: "Expiry rules and the scopes you can put on a token",
      },
    })
    .input(z.strictObject({}))
    .output(tokenOptionsSchema)
    .query(({ ctx }) => ({
      defaultExpiresInSeconds: Math.floor(ctx.tokenPolicy.defaultTtlMs / 1000),
      maxExpiresInSeconds: Math.floor(ctx.tokenPolicy.maxTtlMs / 1000),
      allowNoExpiry: ctx.tokenPolicy.allowNoExpiry,
      maxGraceSeconds: MAX_GRACE_MS / 1000,
      scopes: (Object.entries(SCOPES) as Array<[Scope, string]>).map(([scope, description]) => ({
        scope,
        description,
        grantable: ctx.principal.scopes.includes(scope),
      })),
    })),

  list: protectedProcedure
    .meta({
      scopes: ["tokens:read"],
      openapi: { method: "GET", path: "/tokens", tags: TAGS, summary: "List your API tokens, newest first" },
    })
    .input(listTokensInput)
    .output(tokenPageSchema)
    .query(({ ctx, input }) => listTokens(ctx, { ...input, ownerId: ctx.principal.userId })),

  get: protectedProcedure
    .meta({
      scopes: ["tokens:read"],
      openapi: {
        method: "GET",
        path: "/tokens/{id}",
        tags: TAGS,
        summary: "Get one of your API tokens (never its secret)",
        errorResponses: TOKEN_ERRORS,
      },
    })
    .input(tokenIdInput)
    .output(tokenSummarySchema)
    .query(({ ctx, input }) => getTokenSummary(ctx, input.id, { ownerId: ctx.principal.userId })),

  create: protectedProcedure
    .meta({
      scopes: ["tokens:write"],
      created: { location: "/tokens/{id}" },
      openapi: {
        method: "POST",
        path: "/tokens",
        tags: TAGS,
        summary: "Create an API token",
        description: "The response carries the token itself, once. Only a hash is kept.",
        errorResponses: { ...TOKEN_ERRORS, 404: "The user no longer exists", 409: "Too many active tokens" },
      },
    })
    .input(createTokenInput)
    .output(createdTokenSchema)
    .mutation(async ({ ctx, input }) => {
      await requireStepUpForScopes(ctx, input.scopes); // an admin-scoped token (server/auth/step-up.ts)
      return createToken(
        serviceContext(ctx),
        ctx.principal.userId,
        {
          name: input.name,
          scopes: input.scopes,
          expiresInMs: input.expiresInSeconds == null ? input.expiresInSeconds : input.expiresInSeconds * 1000,
        },
        { policy: ctx.tokenPolicy, grantorScopes: ctx.principal.scopes },
      );
    }),

  revoke: protectedProcedure
    .meta({
      scopes: ["tokens:write"],
      openapi: {
        method: "POST",
        path: "/tokens/{id}/revoke",
        tags: TAGS,
        summary: "Revoke one of your tokens now",
        errorResponses: TOKEN_ERRORS,
      },
    })
    .input(tokenIdInput)
    .output(tokenSummarySchema)
    .mutation(({ ctx, input }) => revokeToken(serviceContext(ctx), input.id, { ownerId: ctx.principal.userId })),

  rotate: protectedProcedure
    .meta({
      scopes: ["tokens:write"],
      openapi: {
        method: "POST",
        path: "/tokens/{id}/rotate",
        tags: TAGS,
        summary: "Replace a token, keeping the old one valid for a grace period",
        errorResponses: { ...TOKEN_ERRORS, 409: "Already rotated, or no longer active" },
      },
    })
    .input(rotateTokenInput)
    .output(rotatedTokenSchema)
    .mutation(({ ctx, input }) =>
      rotateToken(
        serviceContext(ctx),
        ctx.principal.userId,
        input.id,
        { graceMs: input.graceSeconds * 1000 },
        { policy: ctx.tokenPolicy, grantorScopes: ctx.principal.scopes },
      ),
    ),

  /** "Sign out everywhere": every session and every token of the caller, in one transaction. */
  revokeAll: protectedProcedure
    .meta({
      scopes: ["tokens:write"],
      openapi: {
        method: "POST",
        path: "/tokens/revoke-all",
        tags: TAGS,
        summary: "Sign out everywhere: end all your sessions and revoke all your tokens",
      },
    })
    .input(revokeAllInput)
    .output(revokeAllOutput)
    .mutation(({ ctx }) => revokeAllForUser(serviceContext(ctx), ctx.principal.userId)),
});
