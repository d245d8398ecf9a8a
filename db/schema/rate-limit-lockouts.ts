import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The embedded store's sign-in lockout state, one row per subject
 * (`account:<email>` or `signin-ip:<ip>`): failures in the current window,
 * the escalation level and the end of the current lock. Times are epoch
 * milliseconds. Used only when no Redis is configured (there the same state
 * is a Redis hash); see server/ratelimit/store-embedded.ts.
 */
export const rateLimitLockouts = sqliteTable(
  "rate_limit_lockouts",
  {
    subject: text("subject").primaryKey(),
    failures: integer("failures").notNull().default(0),
    failuresUntil: integer("failures_until").notNull().default(0),
    level: integer("level").notNull().default(0),
    levelUntil: integer("level_until").notNull().default(0),
    lockedUntil: integer("locked_until").notNull().default(0),
  },
  (t) => [index("rate_limit_lockouts_locked_idx").on(t.lockedUntil)],
);
