import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns";

/**
 * What the request pipeline counts for the dashboard's Overview charts
 * (server/observability/traffic.ts). Counted in memory per hour and flushed
 * here every few seconds as additive upserts, so several server processes
 * sharing one database add up, and a page load reads at most a few hundred
 * small rows instead of scanning the audit log.
 *
 * - requests, client_errors (4xx), server_errors (5xx), rate_limited (429),
 *   sign_in_failures: `key` is "";
 * - principal: requests per principal id (`usr_…`, `tok_…`);
 * - rejected_ip: 401/403/429 answers per client IP.
 */
export const TRAFFIC_METRICS = [
  "requests",
  "client_errors",
  "server_errors",
  "rate_limited",
  "sign_in_failures",
  "principal",
  "rejected_ip",
] as const;
export type TrafficMetric = (typeof TRAFFIC_METRICS)[number];

export const trafficCounters = sqliteTable(
  "traffic_counters",
  {
    metric: text("metric", { enum: TRAFFIC_METRICS }).notNull(),
    key: text("key").notNull().default(""),
    /** Start of the UTC hour the count belongs to. */
    bucket: timestamp("bucket").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [
    // Series reads are (metric, key = "", bucket range): a prefix of the key.
    primaryKey({ columns: [t.metric, t.key, t.bucket] }),
    // Top-N reads sum one metric over a bucket range across keys; pruning is by bucket.
    index("traffic_bucket_idx").on(t.bucket),
  ],
);

export type TrafficCounterRow = typeof trafficCounters.$inferSelect;
