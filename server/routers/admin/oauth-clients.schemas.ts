import { z } from "zod";
import { OAUTH_CLIENT_TYPES, OAUTH_GRANT_KINDS, OAUTH_GRANT_TYPES, SIGNING_ALGS } from "@/db/schema/oauth-values";
import { idPattern } from "../../id-pattern";
import { MAX_REDIRECT_URI_LENGTH, MAX_REDIRECT_URIS } from "../../oauth/redirect-uri";
import {
  MAX_ACCESS_TOKEN_TTL_S,
  MAX_REFRESH_TOKEN_TTL_S,
  MAX_SECRET_GRACE_S,
  MIN_ACCESS_TOKEN_TTL_S,
  MIN_REFRESH_TOKEN_TTL_S,
} from "../../services/oauth-client-limits";
import { listPageFields } from "../../services/page-cursor-input";
import { NO_CONTROL_CHARACTERS, NO_CONTROLS_MESSAGE } from "../text-rules";
import { scopeSchema } from "../tokens/schemas";
import { SORT_DIRECTIONS } from "./users.form.schemas";

/**
 * Request and response schemas of admin.oauthClients. The registration rules
 * themselves (redirect URIs, grant combinations, lifetimes) live in
 * services/oauth-clients.ts, shared with the CLI, and say why a client is
 * refused; the limits here only keep absurd input from reaching them.
 */

export const oauthClientId = z.string().regex(idPattern("oauthClient"), "must be an OAuth client id (ocl_…)");
export const oauthGrantId = z.string().regex(idPattern("oauthGrant"), "must be a grant id (ogr_…)");

export const oauthClientSchema = z
  .object({
    id: z.string().describe("The client_id"),
    name: z.string(),
    type: z.enum(OAUTH_CLIENT_TYPES),
    redirectUris: z.array(z.string()),
    grantTypes: z.array(z.enum(OAUTH_GRANT_TYPES)),
    scopes: z.array(scopeSchema).describe("The most any token of this client may carry"),
    accessTokenTtlSeconds: z.number().int(),
    refreshTokenTtlSeconds: z.number().int(),
    accessTokenSigningAlg: z.enum(SIGNING_ALGS).describe("The JWS algorithm its access tokens are signed with"),
    secretDisplay: z
      .string()
      .nullable()
      .describe("The prefix and last four characters of the current secret; null for public clients"),
    secretRotatedAt: z.iso.datetime().nullable(),
    previousSecretExpiresAt: z.iso
      .datetime()
      .nullable()
      .describe("While the secret replaced by the last rotation still works: until when"),
    serviceUserId: z.string().nullable(),
    createdAt: z.iso.datetime(),
    disabledAt: z.iso.datetime().nullable(),
    activeGrants: z.number().int(),
  })
  .meta({ id: "OAuthClient" });

/** A client with its secret in plaintext: only ever the answer to create and rotateSecret. */
export const clientWithSecretSchema = z.object({
  client: oauthClientSchema,
  clientSecret: z
    .string()
    .nullable()
    .describe("The client secret, shown this once (only its hash is kept); null for public clients"),
});

export const oauthGrantSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  kind: z.enum(OAUTH_GRANT_KINDS),
  userId: z.string(),
  userEmail: z.string(),
  scopes: z.array(scopeSchema),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});

export const signingKeySchema = z.object({
  kid: z.string(),
  alg: z.enum(SIGNING_ALGS).describe("ES256 (an EC P-256 key) or RS256 (an RSA key)"),
  createdAt: z.iso.datetime(),
  retiredAt: z.iso.datetime().nullable().describe("When it stopped signing; null for the active key"),
  removeAfter: z.iso.datetime().nullable().describe("When it leaves the JWKS (no token it signed is valid after)"),
});

export const createClientInput = z.strictObject({
  name: z
    .string()
    .trim()
    .normalize("NFC")
    .min(1, "must not be empty")
    .max(100, "must be at most 100 characters")
    .regex(NO_CONTROL_CHARACTERS, NO_CONTROLS_MESSAGE),
  type: z.enum(OAUTH_CLIENT_TYPES),
  // Room for duplicates (the service removes them, then applies MAX_REDIRECT_URIS and says why a URI is refused).
  redirectUris: z.array(z.string().max(MAX_REDIRECT_URI_LENGTH + 50)).max(MAX_REDIRECT_URIS * 2),
  grantTypes: z
    .array(z.enum(OAUTH_GRANT_TYPES))
    .min(1, "allow at least one grant type")
    .max(OAUTH_GRANT_TYPES.length * 2),
  scopes: z.array(scopeSchema).min(1, "allow at least one scope").max(20),
  accessTokenTtlSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(MIN_ACCESS_TOKEN_TTL_S, `must be at least ${MIN_ACCESS_TOKEN_TTL_S} seconds`)
    .max(MAX_ACCESS_TOKEN_TTL_S, `must be at most ${MAX_ACCESS_TOKEN_TTL_S} seconds`)
    .optional(),
  refreshTokenTtlSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(MIN_REFRESH_TOKEN_TTL_S, `must be at least ${MIN_REFRESH_TOKEN_TTL_S} seconds`)
    .max(MAX_REFRESH_TOKEN_TTL_S, `must be at most ${MAX_REFRESH_TOKEN_TTL_S} seconds`)
    .optional(),
  accessTokenSigningAlg: z
    .enum(SIGNING_ALGS, { error: `must be one of ${SIGNING_ALGS.join(", ")}` })
    .optional()
    .describe("The JWS algorithm of its access tokens (default ES256; RS256 for clients that only verify RSA)"),
});

export const clientIdInput = z.strictObject({ id: oauthClientId });

/** Any registration field but the type; what is not given stays as it is. */
export const updateClientInput = z.strictObject({
  id: oauthClientId,
  ...createClientInput.omit({ type: true }).partial().shape,
});

export const rotateSecretInput = z.strictObject({
  id: oauthClientId,
  graceSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(0)
    .max(MAX_SECRET_GRACE_S, "must be at most 7 days")
    .describe("How long the old secret keeps working (0 ends it now)"),
});

export const rotateSigningKeyInput = z.strictObject({
  alg: z
    .enum(SIGNING_ALGS, { error: `must be one of ${SIGNING_ALGS.join(", ")}` })
    .optional()
    .describe("Replace only this algorithm's key; every algorithm's when absent"),
});

export const signingKeyRotationSchema = z.object({
  rotated: z.array(
    z.object({
      alg: z.enum(SIGNING_ALGS),
      kid: z.string().describe("The key that signs from now on"),
      retired: z.string().nullable().describe("The key it replaced (still published until its tokens expire)"),
    }),
  ),
});

export const setDisabledInput = z.strictObject({ id: oauthClientId, disabled: z.boolean() });

export const revokeGrantInput = z.strictObject({ grantId: oauthGrantId });

/** The orders of admin.oauthClients.list: when registered (default, newest first) or the name (A to Z by default). */
export const OAUTH_CLIENT_SORTS = ["createdAt", "name"] as const;
export type OAuthClientSort = (typeof OAUTH_CLIENT_SORTS)[number];

/** admin.oauthClients.list: one page of the registered clients, sorted on the server. A cursor is only good for its own order. */
export const listClientsInput = z.strictObject({
  ...listPageFields,
  sort: z
    .enum(OAUTH_CLIENT_SORTS, { error: `must be one of ${OAUTH_CLIENT_SORTS.join(", ")}` })
    .optional()
    .describe("createdAt (default) or name (case-insensitive)"),
  direction: z
    .enum(SORT_DIRECTIONS, { error: "must be asc or desc" })
    .optional()
    .describe("Default: desc (newest first) for createdAt, asc (A to Z) for name"),
});
