import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Scope } from "@/server/auth/scopes";
import { createdAt, timestamp } from "./columns";
import { oauthClients } from "./oauth-clients";
import { oauthGrants } from "./oauth-grants";
import { users } from "./users";

/**
 * Authorization codes: single use, at most 60 seconds, bound to the client,
 * the redirect URI and the PKCE challenge. Only the SHA-256 of the code is
 * kept. A redeemed code keeps its row (with `grant_id`), so that a second
 * redemption can be recognised and the grant it produced revoked.
 */
export const oauthAuthorizationCodes = sqliteTable(
  "oauth_authorization_codes",
  {
    id: text("id").primaryKey(), // oac_…
    codeHash: text("code_hash").notNull(),
    clientId: text("client_id")
      .notNull()
      .references(() => oauthClients.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    redirectUri: text("redirect_uri").notNull(),
    scopes: text("scopes", { mode: "json" }).notNull().$type<Scope[]>(),
    /** BASE64URL(SHA-256(code_verifier)); S256 is the only method accepted. */
    codeChallenge: text("code_challenge").notNull(),
    /** The RFC 8707 resource of the authorization request; null: the default audience. */
    resource: text("resource"),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
    usedAt: timestamp("used_at"),
    grantId: text("grant_id"),
  },
  (t) => [uniqueIndex("oauth_codes_hash_unique").on(t.codeHash), index("oauth_codes_expires_idx").on(t.expiresAt)],
);

/**
 * Refresh tokens, one family per grant. Each use rotates: the presented token
 * is marked used and a new one issued. A used token presented again means two
 * parties hold the family, so the whole grant is revoked (RFC 9700 §4.14).
 */
export const oauthRefreshTokens = sqliteTable(
  "oauth_refresh_tokens",
  {
    id: text("id").primaryKey(), // ort_…
    tokenHash: text("token_hash").notNull(),
    grantId: text("grant_id")
      .notNull()
      .references(() => oauthGrants.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
    usedAt: timestamp("used_at"),
    revokedAt: timestamp("revoked_at"),
  },
  (t) => [uniqueIndex("oauth_refresh_hash_unique").on(t.tokenHash), index("oauth_refresh_grant_idx").on(t.grantId)],
);

/**
 * Every access token issued, by its `jti`. The JWT itself is never stored;
 * this row is what makes it revocable: the API checks it (one primary-key
 * lookup joined to its grant, client and user) on every request. Rows are
 * purged a while after they expire.
 */
export const oauthAccessTokens = sqliteTable(
  "oauth_access_tokens",
  {
    jti: text("jti").primaryKey(), // oat_…
    grantId: text("grant_id")
      .notNull()
      .references(() => oauthGrants.id, { onDelete: "cascade" }),
    scopes: text("scopes", { mode: "json" }).notNull().$type<Scope[]>(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
    revokedAt: timestamp("revoked_at"),
  },
  (t) => [index("oauth_access_grant_idx").on(t.grantId), index("oauth_access_expires_idx").on(t.expiresAt)],
);

export type OAuthCodeRow = typeof oauthAuthorizationCodes.$inferSelect;
export type OAuthRefreshTokenRow = typeof oauthRefreshTokens.$inferSelect;
export type OAuthAccessTokenRow = typeof oauthAccessTokens.$inferSelect;
