import { sql } from "drizzle-orm";
import { sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./columns";
import { SIGNING_ALGS } from "./oauth-values";
import { sealedText } from "./sealed-text";

export { SIGNING_ALGS } from "./oauth-values";

/**
 * The JWS algorithms access tokens are signed with (RFC 9068 §2.1 requires
 * RS256; ES256 is the default: smaller and faster). Each has keys of its own
 * type: ES256 an EC P-256 key, RS256 an RSA key.
 */
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/**
 * Keys that sign access tokens, of every algorithm in SIGNING_ALGS side by
 * side: one active key per algorithm (the unique index says so to the
 * database too), plus retired ones still published. The private JWK is sealed with the
 * data-encryption keyring (server/crypto), bound to this table, column and
 * kid; the public JWK is published at the JWKS endpoint until `remove_after`,
 * i.e. until the last token the key signed has expired.
 */
export const oauthSigningKeys = sqliteTable(
  "oauth_signing_keys",
  {
    kid: text("kid").primaryKey(),
    alg: text("alg", { enum: SIGNING_ALGS }).notNull(),
    publicJwk: text("public_jwk", { mode: "json" }).notNull().$type<Record<string, string>>(),
    privateJwk: sealedText("private_jwk").notNull(),
    createdAt: createdAt(),
    /** When it stopped signing (a newer key took over); null for the active key. */
    retiredAt: timestamp("retired_at"),
    /** After this, no token it signed can still be valid: it leaves the JWKS. */
    removeAfter: timestamp("remove_after"),
  },
  (t) => [uniqueIndex("oauth_signing_keys_active_idx").on(t.alg).where(sql`retired_at is null`)],
);

export type OAuthSigningKeyRow = typeof oauthSigningKeys.$inferSelect;
