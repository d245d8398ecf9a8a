import { and, desc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { type TrafficMetric, trafficCounters } from "@/db/schema";
import { HOUR_MS, hourOf } from "./traffic";

/** The charted series (key "" in traffic_counters). */
export const SERIES_METRICS = [
  "requests",
  "client_errors",
  "server_errors",
  "rate_limited",
  "sign_in_failures",
] as const satisfies readonly TrafficMetric[];
export type SeriesMetric = (typeof SERIES_METRICS)[number];

export interface TrafficSeries {
  /** Start of each hour, oldest first; the last one is the current hour. */
  hours: string[];
  series: Record<SeriesMetric, number[]>;
  totals: Record<SeriesMetric, number>;
}

/** Hourly counts for the last `hours` hours (including the current one), zero-filled. */
export async function trafficSeries(db: Executor, now: Date, hours: number): Promise<TrafficSeries> {
  const last = hourOf(now);
  const first = last - (hours - 1) * HOUR_MS;
  const rows = await db
    .select({ metric: trafficCounters.metric, bucket: trafficCounters.bucket, count: trafficCounters.count })
    .from(trafficCounters)
    .where(
      and(
        inArray(trafficCounters.metric, [...SERIES_METRICS]),
        eq(trafficCounters.key, ""),
        gte(trafficCounters.bucket, new Date(first)),
        lt(trafficCounters.bucket, new Date(last + HOUR_MS)),
      ),
    )
    .all();
  const empty = () => Array.from({ length: hours }, () => 0);
  const series = Object.fromEntries(SERIES_METRICS.map((m) => [m, empty()])) as Record<SeriesMetric, number[]>;
  for (const row of rows) {
    const index = Math.round((row.bucket.getTime() - first) / HOUR_MS);
    const list = series[row.metric as SeriesMetric];
    if (list && index >= 0 && index < hours) list[index] = (list[index] ?? 0) + row.count;
  }
  const totals = Object.fromEntries(SERIES_METRICS.map((m) => [m, series[m].reduce((a, b) => a + b, 0)])) as Record<
    SeriesMetric,
    number
  >;
  const labels = Array.from({ length: hours }, (_, i) => new Date(first + i * HOUR_MS).toISOString());
  return { hours: labels, series, totals };
}

/** The keys with the highest counts of a per-key metric since `since`. */
export async function topKeys(
  db: Executor,
  metric: "principal" | "rejected_ip",
  since: Date,
  limit: number,
): Promise<Array<{ key: string; count: number }>> {
  const total = sql<number>`sum(${trafficCounters.count})`;
  return await db
    .select({ key: trafficCounters.key, count: total })
    .from(trafficCounters)
    .where(and(eq(trafficCounters.metric, metric), gte(trafficCounters.bucket, new Date(hourOf(since)))))
    .groupBy(trafficCounters.key)
    .orderBy(desc(total))
    .limit(limit)
    .all();
}
