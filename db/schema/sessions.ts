import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./columns";
import { users } from "./users";

/**
 * Server-side session records. The session cookie carries only the id of a row
 * here, so deleting the row (sign-out, disabled user, password change, an
 * admin's "end sessions") ends the session on the very next request.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(), // ses_…
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at").notNull(),
    expiresAt: timestamp("expires_at").notNull(), // absolute timeout
    ip: text("ip"),
    userAgent: text("user_agent"),
    /**
     * When this session last passed a second-factor check (at sign-in, or a
     * step-up on the account page or a confirmation dialog): dangerous
     * actions want one within the last few minutes (server/auth/step-up.ts).
     */
    secondFactorAt: timestamp("second_factor_at"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export type SessionRow = typeof sessions.$inferSelect;
