import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./columns";
import { sealedText } from "./sealed-text";

/**
 * Keys that sign access tokens (ES256). The private JWK is sealed with the
 * data-encryption keyring (server/crypto), bound to this table, column and
 * kid; the public JWK is published at the JWKS endpoint until `remove_after`,
 * i.e. until the last token the key signed has expired.
 */
export const oauthSigningKeys = sqliteTable("oauth_signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(),
  publicJwk: text("public_jwk", { mode: "json" }).notNull().$type<Record<string, string>>(),
  privateJwk: sealedText("private_jwk").notNull(),
  createdAt: createdAt(),
  /** When it stopped signing (a newer key took over); null for the active key. */
  retiredAt: timestamp("retired_at"),
  /** After this, no token it signed can still be valid: it leaves the JWKS. */
  removeAfter: timestamp("remove_after"),
});

export type OAuthSigningKeyRow = typeof oauthSigningKeys.$inferSelect;
