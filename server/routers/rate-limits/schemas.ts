import { z } from "zod";
import { LIMITS } from "@/db/schema/columns";
import { accountEmail } from "../../auth/account-email";
import { idPattern } from "../../id-pattern";
import { MAX_LIMIT, MAX_WINDOW_MS } from "../../ratelimit/rule";
import { listPageFields } from "../../services/page-cursor-input";
import { OVERRIDE_MAX_EXPIRY_MS, OVERRIDE_NOTE_MAX } from "../../services/rate-limit-override-limits";
import type { EffectiveLimit } from "../../services/rate-limit-overrides";

/**
 * An administrator's override of the api policy (admin.rateLimits.setOverride);
 * `limits override` on the command line parses its flags with these fields too.
 */
export const setOverrideInput = z.strictObject({
  target: z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("user"), email: accountEmail }),
    z.strictObject({
      type: z.literal("token"),
      id: z.string().regex(idPattern("token"), "must be a token id (tok_…)"),
    }),
  ]),
  limit: z
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`),
  windowSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(1)
    .max(MAX_WINDOW_MS / 1000),
  expiresInSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(1)
    .max(OVERRIDE_MAX_EXPIRY_MS / 1000)
    .nullable()
    .optional(),
  note: z.string().trim().max(OVERRIDE_NOTE_MAX, `must be at most ${OVERRIDE_NOTE_MAX} characters`).optional(),
});

/**
 * admin.rateLimits.unlock: one object with exactly one of the two (REST needs an object input; the
 * union it replaces said the same). The dashboard's "clear by email" form validates with it too.
 */
export const unlockInput = z
  .strictObject({
    email: accountEmail.optional(),
    subject: z
      .string()
      .trim()
      .min(1)
      .max(LIMITS.email + 20)
      .optional(),
  })
  .refine((v) => (v.email === undefined) !== (v.subject === undefined), {
    message: "give either email or subject",
    path: ["email"],
  });

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

/**
 * admin.rateLimits.overrides' orders: when it was set (default, newest first), who it is for (the
 * account's email or the token's name, A to Z), or when it ends (soonest first; "never" last).
 */
export const OVERRIDE_SORTS = ["createdAt", "subject", "expiresAt"] as const;
export type OverrideSort = (typeof OVERRIDE_SORTS)[number];

/** One page of the overrides (every one is loaded and sorted on the server); a cursor is only good for its own order. */
export const listOverridesInput = z.strictObject({
  ...listPageFields,
  sort: z
    .enum(OVERRIDE_SORTS, { error: `must be one of ${OVERRIDE_SORTS.join(", ")}` })
    .optional()
    .describe("createdAt (default), subject (who it is for) or expiresAt (never last)"),
  direction: z
    .enum(["asc", "desc"], { error: "must be asc or desc" })
    .optional()
    .describe("Default: desc (newest first) for createdAt, asc for subject and expiresAt"),
});
