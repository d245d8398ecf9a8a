import { z } from "zod";
import type { EffectiveLimit } from "../../services/rate-limit-overrides";

/** One API token's effective limit under the `api` policy (RATE_LIMIT_API, or an administrator's override). */
export const effectiveLimitSchema = z
  .object({
    tokenId: z.string(),
    limit: z.number().int().describe("Requests (cost units) allowed per window"),
    windowSeconds: z.number().int(),
    source: z
      .enum(["default", "user", "token"])
      .describe("default: RATE_LIMIT_API; user: an override for the owner; token: an override for this token"),
    overrideExpiresAt: z.iso.datetime().nullable().describe("When the override ends (null: no override, or no end)"),
  })
  .meta({ id: "TokenRateLimit" });

export const tokenLimitsSchema = z.object({
  default: z.object({ limit: z.number().int(), windowSeconds: z.number().int() }),
  items: z.array(effectiveLimitSchema),
});

export function toTokenLimitView(e: EffectiveLimit & { tokenId: string }): z.output<typeof effectiveLimitSchema> {
  return {
    tokenId: e.tokenId,
    limit: e.limit,
    windowSeconds: e.windowMs / 1000,
    source: e.source,
    overrideExpiresAt: e.expiresAt ? e.expiresAt.toISOString() : null,
  };
}
