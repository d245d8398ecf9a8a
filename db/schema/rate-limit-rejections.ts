import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The embedded store's count of rate-limited answers per subject
 * (`user:…`, `token:…`, `ip:…`, `account:…`) and minute, for the dashboard's
 * "who is being limited now". Kept for about two hours. Used only when no
 * Redis is configured (there: one sorted set per minute).
 */
export const rateLimitRejections = sqliteTable(
  "rate_limit_rejections",
  {
    /** Minutes since the epoch. */
    minute: integer("minute").notNull(),
    subject: text("subject").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.minute, t.subject] })],
);
