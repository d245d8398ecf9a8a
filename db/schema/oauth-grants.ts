import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Scope } from "@/server/auth/scopes";
import { createdAt, timestamp } from "./columns";
import { oauthClients } from "./oauth-clients";
import { OAUTH_GRANT_KINDS } from "./oauth-values";
import { users } from "./users";

export { OAUTH_GRANT_KINDS } from "./oauth-values";

export type OAuthGrantKind = (typeof OAUTH_GRANT_KINDS)[number];

export const OAUTH_GRANT_REVOKE_REASONS = [
  "revoked",
  "code_replay",
  "refresh_reuse",
  "consent_revoked",
  "client_disabled",
  "secret_rotated",
] as const;
export type OAuthGrantRevokeReason = (typeof OAUTH_GRANT_REVOKE_REASONS)[number];

/**
 * One authorization: everything issued from one authorization code (its
 * access tokens and its whole refresh-token family) or from one
 * client-credentials request. Revoking the grant ends all of them on the next
 * request, because every access token is checked against its grant.
 */
export const oauthGrants = sqliteTable(
  "oauth_grants",
  {
    id: text("id").primaryKey(), // ogr_…
    clientId: text("client_id")
      .notNull()
      .references(() => oauthClients.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: OAUTH_GRANT_KINDS }).notNull(),
    scopes: text("scopes", { mode: "json" }).notNull().$type<Scope[]>(),
    /**
     * The RFC 8707 resource granted (at authorize, or for client credentials at the token request); null:
     * the default audience, which covers every resource of ours. A refresh may ask for this one, never another.
     */
    resource: text("resource"),
    createdAt: createdAt(),
    /** Absolute end: no token of this grant lives past it, however often it is refreshed. */
    expiresAt: timestamp("expires_at").notNull(),
    revokedAt: timestamp("revoked_at"),
    revokedReason: text("revoked_reason", { enum: OAUTH_GRANT_REVOKE_REASONS }),
  },
  (t) => [
    index("oauth_grants_client_idx").on(t.clientId, t.createdAt),
    index("oauth_grants_user_client_idx").on(t.userId, t.clientId),
    index("oauth_grants_expires_idx").on(t.expiresAt),
  ],
);

export type OAuthGrantRow = typeof oauthGrants.$inferSelect;
