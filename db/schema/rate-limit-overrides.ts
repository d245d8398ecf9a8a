import { sql } from "drizzle-orm";
import { check, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { apiTokens } from "./api-tokens";
import { createdAt, timestamp, updatedAt } from "./columns";
import { users } from "./users";

/**
 * An administrator's exception to the per-principal API limit (RATE_LIMIT_API)
 * for one user (their sessions and their tokens) or one API token. At most one
 * per user and one per token; a token's own override wins over its owner's.
 * Expired rows are ignored by the limiter and listed as expired. Deleting the
 * user or the token deletes the override.
 */
export const rateLimitOverrides = sqliteTable(
  "rate_limit_overrides",
  {
    id: text("id").primaryKey(), // rlo_…
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    tokenId: text("token_id").references(() => apiTokens.id, { onDelete: "cascade" }),
    limit: integer("limit").notNull(),
    windowMs: integer("window_ms").notNull(),
    /** Null: until removed. */
    expiresAt: timestamp("expires_at"),
    /** Why, for the next administrator (optional, shown in the dashboard and the CLI). */
    note: text("note"),
    /** Who set it: a user id, a token id or `cli`. */
    setBy: text("set_by").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("rate_limit_overrides_user_unique").on(t.userId),
    uniqueIndex("rate_limit_overrides_token_unique").on(t.tokenId),
    check("rate_limit_overrides_one_subject", sql`(${t.userId} IS NULL) <> (${t.tokenId} IS NULL)`),
  ],
);

export type RateLimitOverrideRow = typeof rateLimitOverrides.$inferSelect;
