import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The embedded rate-limit store's window counters (used only when no Redis is
 * configured): `key`, `points`, `expire` in epoch milliseconds (the shape
 * rate-limiter-flexible's RateLimiterSQLite uses, which it replaced); rows are
 * short-lived and swept once expired (server/ratelimit/store-embedded.ts).
 * The places held by sign-in attempts in flight live here too, as keys
 * `hold:<subject>|<attempt>` expiring after a few seconds (never failures).
 * Not application data: nothing else reads it.
 */
export const rateLimitCounters = sqliteTable(
  "rate_limit_counters",
  {
    key: text("key").primaryKey(),
    points: integer("points").notNull().default(0),
    expire: integer("expire"),
  },
  (t) => [index("rate_limit_counters_expire_idx").on(t.expire)],
);
