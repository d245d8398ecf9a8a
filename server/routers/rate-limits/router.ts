import { z } from "zod";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../../ratelimit/config";
import { effectiveTokenLimits } from "../../services/rate-limit-overrides";
import { protectedProcedure, router } from "../../trpc";
import { tokenLimitsSchema, toTokenLimitView } from "./schemas";

/**
 * rateLimits: what the caller may see of their own limits. `tokens` is the
 * effective API limit of each of the caller's tokens (the API tokens page
 * shows it next to each token); the same numbers every response reports in
 * its RateLimit-Policy field.
 */
export const rateLimitsRouter = router({
  tokens: protectedProcedure
    .meta({
      scopes: ["tokens:read"],
      openapi: {
        method: "GET",
        path: "/rate-limits/tokens",
        tags: ["tokens"],
        summary: "The effective rate limit of each of your API tokens",
      },
    })
    .input(z.strictObject({}))
    .output(tokenLimitsSchema)
    .query(async ({ ctx }) => {
      const fallback = (ctx.limiter?.config ?? DEFAULT_RATE_LIMIT_CONFIG).api;
      return {
        default: { limit: fallback.limit, windowSeconds: fallback.windowMs / 1000 },
        items: (await effectiveTokenLimits(ctx.db, ctx.principal.userId, ctx.clock.now(), fallback)).map(
          toTokenLimitView,
        ),
      };
    }),
});
