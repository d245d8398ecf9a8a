import { z } from "zod";
import { TOKEN_REVOKE_REASONS } from "@/db/schema/api-tokens";
import { LIMITS } from "@/db/schema/columns";
import { SCOPES, type Scope } from "../../auth/scopes";
import { idPattern } from "../../id-pattern";
import { cursorInput, pageSchema } from "../../services/page-cursor-input";
import { MAX_GRACE_MS, TOKEN_NAME_MAX, TOKEN_SORTS, TOKEN_STATUSES } from "../../services/token-limits";
import { NO_CONTROL_CHARACTERS, NO_CONTROLS_MESSAGE } from "../text-rules";

/** Request and response schemas of the API token procedures (user and admin). */

const DAY_SECONDS = 86_400;

export const scopeSchema = z.enum(Object.keys(SCOPES) as [Scope, ...Scope[]]).describe(
  Object.entries(SCOPES)
    .map(([scope, text]) => `${scope}: ${text}`)
    .join("; "),
);

export const tokenId = z.string().regex(idPattern("token"), "must be a token id (tok_…)");

export const tokenSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    display: z.string().describe("The prefix and last four characters, e.g. gth_…Xy9Z"),
    scopes: z.array(scopeSchema).describe("As granted"),
    effectiveScopes: z.array(scopeSchema).describe("What the token can do now: its scopes within the owner's role"),
    status: z.enum(TOKEN_STATUSES),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable().describe("Recorded at most once a minute"),
    lastUsedIp: z.string().nullable(),
    revokedAt: z.iso.datetime().nullable(),
    revokedBy: z.string().nullable(),
    revokedReason: z.enum(TOKEN_REVOKE_REASONS).nullable(),
    rotatedFromId: z.string().nullable(),
    replacedById: z.string().nullable(),
    graceUntil: z.iso.datetime().nullable().describe("After a rotation: when this token stops working"),
    owner: z.object({ id: z.string(), email: z.string(), disabled: z.boolean() }),
  })
  .meta({ id: "ApiToken" });

export const createdTokenSchema = tokenSummarySchema
  .extend({
    token: z.string().describe("The token itself. It is shown this once and cannot be retrieved again."),
  })
  .meta({ id: "CreatedApiToken" });

export const rotatedTokenSchema = createdTokenSchema
  .extend({ previous: tokenSummarySchema.describe("The old token, valid until its graceUntil") })
  .meta({ id: "RotatedApiToken" });

export const tokenPageSchema = pageSchema(tokenSummarySchema).extend({
  total: z.number().int().describe("Tokens matching the filters"),
});

/** The one page scheme (services/page-cursor.ts); offset stays for the dashboard's numbered pager. */
const pageFields = {
  cursor: cursorInput,
  limit: z.coerce.number().int().min(1).max(100).default(50).describe("Page size; default 50, at most 100"),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .optional()
    .describe("For the dashboard's numbered pager only; API clients page with `cursor`. Not with `cursor`."),
};
/** The order of a token list; a cursor is only good for the order it was returned in. */
const sortFields = {
  sort: z
    .enum(TOKEN_SORTS, { error: `must be one of ${TOKEN_SORTS.join(", ")}` })
    .default("createdAt")
    .describe("createdAt (default), lastUsedAt (never-used last when descending) or name"),
  direction: z
    .enum(["asc", "desc"], { error: "must be asc or desc" })
    .optional()
    .describe("Default: desc (newest first) for the dates, asc for name"),
};

export const notBoth = {
  check: (v: { cursor?: string; offset?: number }) => v.cursor === undefined || v.offset === undefined,
  params: { message: "give either cursor or offset, not both", path: ["offset"] },
};

export const listTokensFields = { status: z.enum(TOKEN_STATUSES).optional(), ...sortFields, ...pageFields };
export const listTokensInput = z.strictObject(listTokensFields).refine(notBoth.check, notBoth.params);

export const createTokenInput = z.strictObject({
  name: z
    .string()
    .trim()
    .normalize("NFC")
    .min(1, "must not be empty")
    .max(TOKEN_NAME_MAX, `must be at most ${TOKEN_NAME_MAX} characters`)
    .regex(NO_CONTROL_CHARACTERS, NO_CONTROLS_MESSAGE),
  // The catalogue has a handful of scopes; a longer list is a mistake, not a request.
  scopes: z.array(scopeSchema).min(1, "give at least one scope").max(20),
  expiresInSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(60, "must be at least 60 seconds")
    .max(10 * 365 * DAY_SECONDS, "must be at most 10 years")
    .nullable()
    .optional()
    .describe(
      "Lifetime in seconds. Omit for the server's default (90 days unless configured); null for a token that never expires, where the server allows it. The server's maximum applies (TOKEN_MAX_TTL).",
    ),
});

export const tokenIdInput = z.strictObject({ id: tokenId });

export const rotateTokenInput = z.strictObject({
  id: tokenId,
  graceSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(0)
    .max(MAX_GRACE_MS / 1000, "must be at most 7 days")
    .default(DAY_SECONDS)
    .describe("How long the old token keeps working (0 to 604800 seconds; default one day; 0 revokes it now)"),
});

export const revokeAllInput = z.strictObject({});

export const revokeAllOutput = z.object({
  sessionsEnded: z.number().int(),
  tokensRevoked: z.number().int(),
  /** OAuth authorizations the user had given; their apps must ask again. */
  oauthGrantsRevoked: z.number().int(),
});

export const adminListTokensInput = z
  .strictObject({
    ownerEmail: z.string().trim().max(LIMITS.email).optional().describe("Exact owner email"),
    search: z.string().trim().max(LIMITS.email).optional().describe("Part of the owner's email or the token's name"),
    status: z.enum(TOKEN_STATUSES).optional(),
    ...sortFields,
    ...pageFields,
  })
  .refine(notBoth.check, notBoth.params);

export const tokenOptionsSchema = z
  .object({
    defaultExpiresInSeconds: z.number().int(),
    maxExpiresInSeconds: z.number().int(),
    allowNoExpiry: z.boolean(),
    maxGraceSeconds: z.number().int(),
    scopes: z.array(
      z.object({
        scope: scopeSchema,
        description: z.string(),
        grantable: z.boolean().describe("Whether your credential may put this scope on a new token"),
      }),
    ),
  })
  .meta({ id: "ApiTokenOptions" });
