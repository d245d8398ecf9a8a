import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Scope } from "@/server/auth/scopes";
import { createdAt, timestamp } from "./columns";
import { users } from "./users";

export const TOKEN_REVOKE_REASONS = ["revoked", "rotated", "revoke_all"] as const;
export type TokenRevokeReason = (typeof TOKEN_REVOKE_REASONS)[number];

/**
 * API tokens. The plaintext is shown once at creation and never stored: only
 * its SHA-256 (`token_hash`, looked up through a unique index) and a display
 * part a person can recognise (`gth_…wxyz`). Whether a token works is decided
 * on every request from this row and its owner's row, so a revocation, an
 * expiry, a disabled owner or a demotion counts on the very next request.
 */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(), // tok_…
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Lower-case hex SHA-256 of the whole token string. */
    tokenHash: text("token_hash").notNull(),
    /** Prefix and last four characters, e.g. `gth_…Xy9Z`: enough to tell tokens apart, useless to an attacker. */
    display: text("display").notNull(),
    /** As granted; the effective scopes are these ∩ the owner's current role (server/auth/token-principal.ts). */
    scopes: text("scopes", { mode: "json" }).notNull().$type<Scope[]>(),
    createdAt: createdAt(),
    /** Null: never expires (only when TOKEN_ALLOW_NO_EXPIRY allows it). */
    expiresAt: timestamp("expires_at"),
    lastUsedAt: timestamp("last_used_at"),
    lastUsedIp: text("last_used_ip"),
    revokedAt: timestamp("revoked_at"),
    /** Who revoked it: a user id, a token id (`tok_…`), or `cli` / `system`. */
    revokedBy: text("revoked_by"),
    revokedReason: text("revoked_reason", { enum: TOKEN_REVOKE_REASONS }),
    /** Rotation: the token this one replaced … */
    rotatedFromId: text("rotated_from_id"),
    /** … and, on the old token, its replacement and the end of its grace period. */
    replacedById: text("replaced_by_id"),
    graceUntil: timestamp("grace_until"),
  },
  (t) => [
    uniqueIndex("api_tokens_hash_unique").on(t.tokenHash),
    index("api_tokens_user_created_idx").on(t.userId, t.createdAt),
  ],
);

export type ApiTokenRow = typeof apiTokens.$inferSelect;
