import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Scope } from "@/server/auth/scopes";
import { createdAt, timestamp, updatedAt } from "./columns";
import { SIGNING_ALGS } from "./oauth-signing-keys";
import { OAUTH_CLIENT_TYPES, type OAUTH_GRANT_TYPES } from "./oauth-values";
import { users } from "./users";

export { OAUTH_CLIENT_TYPES, OAUTH_GRANT_TYPES } from "./oauth-values";

export type OAuthClientType = (typeof OAUTH_CLIENT_TYPES)[number];

export type OAuthGrantType = (typeof OAUTH_GRANT_TYPES)[number];

/**
 * Registered OAuth 2.0 clients. The id is the public `client_id`. A
 * confidential client's secret is stored only as its SHA-256 (256 random
 * bits: nothing to brute-force); after a rotation the previous hash stays
 * valid until `previous_secret_expires_at` (the grace period), then never.
 *
 * A client allowed `client_credentials` acts, with its own tokens, as its
 * service account (`service_user_id`, a user that cannot sign in), like
 * Keycloak's service-account users: every token then acts for a user whose
 * role bounds its scopes, and disabling that user stops the client.
 */
export const oauthClients = sqliteTable(
  "oauth_clients",
  {
    id: text("id").primaryKey(), // ocl_…, the client_id
    name: text("name").notNull(),
    type: text("type", { enum: OAUTH_CLIENT_TYPES }).notNull(),
    /** Exact strings; an authorization request must name one of them character for character. */
    redirectUris: text("redirect_uris", { mode: "json" }).notNull().$type<string[]>(),
    grantTypes: text("grant_types", { mode: "json" }).notNull().$type<OAuthGrantType[]>(),
    /** The most any token of this client may carry (further bounded by the user's role). */
    scopes: text("scopes", { mode: "json" }).notNull().$type<Scope[]>(),
    accessTokenTtlSeconds: integer("access_token_ttl_seconds").notNull(),
    /** Absolute lifetime of a refresh-token family, counted from the authorization. */
    refreshTokenTtlSeconds: integer("refresh_token_ttl_seconds").notNull(),
    /** The JWS algorithm its access tokens are signed with (RFC 9068 §2.1: RS256 for clients that need it). */
    accessTokenSigningAlg: text("access_token_signing_alg", { enum: SIGNING_ALGS }).notNull().default("ES256"),
    secretHash: text("secret_hash"),
    /** `ghs_…` and the last four characters: enough to recognise a secret, useless to an attacker. */
    secretDisplay: text("secret_display"),
    previousSecretHash: text("previous_secret_hash"),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at"),
    secretRotatedAt: timestamp("secret_rotated_at"),
    serviceUserId: text("service_user_id").references(() => users.id, { onDelete: "set null" }),
    createdBy: text("created_by"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    disabledAt: timestamp("disabled_at"),
  },
  (t) => [index("oauth_clients_created_idx").on(t.createdAt)],
);

export type OAuthClientRow = typeof oauthClients.$inferSelect;
