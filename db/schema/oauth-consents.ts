import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Scope } from "@/server/auth/scopes";
import { createdAt, timestamp, updatedAt } from "./columns";
import { oauthClients } from "./oauth-clients";
import { users } from "./users";

/**
 * What a user has agreed a client may do. An authorization request whose
 * scopes are all inside the remembered set is answered without asking again;
 * anything more asks. Revoking it (the user's settings page) also revokes
 * every grant the user gave that client.
 */
export const oauthConsents = sqliteTable(
  "oauth_consents",
  {
    id: text("id").primaryKey(), // ocn_…
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientId: text("client_id")
      .notNull()
      .references(() => oauthClients.id, { onDelete: "cascade" }),
    scopes: text("scopes", { mode: "json" }).notNull().$type<Scope[]>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("oauth_consents_user_client_unique").on(t.userId, t.clientId)],
);

/**
 * An authorization request waiting for the user's answer on the consent
 * page: the validated parameters, kept server-side so that the page and its
 * POST cannot be fed different ones, bound to the user and to a CSRF token
 * (stored hashed). Lives ten minutes.
 */
export const oauthPendingAuthorizations = sqliteTable(
  "oauth_pending_authorizations",
  {
    id: text("id").primaryKey(), // oar_…
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientId: text("client_id")
      .notNull()
      .references(() => oauthClients.id, { onDelete: "cascade" }),
    redirectUri: text("redirect_uri").notNull(),
    scopes: text("scopes", { mode: "json" }).notNull().$type<Scope[]>(),
    state: text("state"),
    codeChallenge: text("code_challenge").notNull(),
    /** The RFC 8707 resource asked for (one of ours, server/oauth/resource.ts); null: the default audience. */
    resource: text("resource"),
    csrfHash: text("csrf_hash").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
  },
  (t) => [index("oauth_pending_expires_idx").on(t.expiresAt)],
);

export type OAuthConsentRow = typeof oauthConsents.$inferSelect;
export type OAuthPendingRow = typeof oauthPendingAuthorizations.$inferSelect;
