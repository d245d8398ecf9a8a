import { lt, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { type TrafficMetric, trafficCounters } from "@/db/schema";
import { METRICS } from "./metrics";
import { processSingleton } from "./process-singleton";

/**
 * The counters behind the dashboard's Overview charts. The request pipeline
 * adds to hourly buckets in memory (a Map increment per request, no I/O) and
 * flushTraffic() writes them out every few seconds as additive upserts into
 * `traffic_counters`, so several processes on one database add up and the
 * Overview page reads a few hundred small rows instead of scanning the audit
 * log. A crash loses at most one flush interval of counts — acceptable for
 * charts; the audit log remains the record.
 *
 * Per-key metrics (principals, rejected IPs) keep at most MAX_KEYS_PER_FLUSH
 * keys per metric and hour per flush, the busiest; the rest are summed under
 * OTHER_KEY, so a flood from many addresses cannot grow the table without bound.
 */
export const HOUR_MS = 3_600_000;
export const OTHER_KEY = "(other)";
const MAX_KEYS_PER_FLUSH = 200;
/** Counters older than this are deleted by the flush (the Overview shows 7 days). */
export const TRAFFIC_RETENTION_MS = 8 * 24 * HOUR_MS;

const pending = processSingleton("traffic.pending", () => new Map<string, number>());
const SEP = "\u0000";

export function hourOf(at: Date | number): number {
  const ms = typeof at === "number" ? at : at.getTime();
  return ms - (ms % HOUR_MS);
}

function bump(metric: TrafficMetric, key: string, at: Date, by = 1): void {
  const id = `${metric}${SEP}${key}${SEP}${hourOf(at)}`;
  pending.set(id, (pending.get(id) ?? 0) + by);
}

export interface AnsweredRequest {
  at: Date;
  status: number;
  /** `usr_…` or `tok_…`; null when nobody was authenticated. */
  principalId: string | null;
  ip: string | null;
}

/** Called once per API request by the doors (server/http/observe.ts). */
export function countRequest(request: AnsweredRequest): void {
  const { at, status } = request;
  bump("requests", "", at);
  if (status >= 400 && status < 500) bump("client_errors", "", at);
  if (status >= 500) bump("server_errors", "", at);
  if (status === 429) bump("rate_limited", "", at);
  if (request.principalId) bump("principal", request.principalId, at);
  // What the Overview calls "rejected": refused for who the caller is or how often it called.
  if ((status === 401 || status === 403 || status === 429) && request.ip) bump("rejected_ip", request.ip, at);
}

/**
 * Called by recordAudit for every entry it writes, so that events recorded
 * outside the API doors (password sign-in goes through NextAuth) are counted
 * too. The count is taken as the entry is written; a transaction that then
 * rolls back leaves a count one too high, which charts can live with.
 */
export function noteAuditedEvent(action: string, at: Date): void {
  if (action === "session.login_failed") {
    bump("sign_in_failures", "", at);
    METRICS.signInFailures.inc();
  }
}

/** Keeps the busiest keys of each per-key metric and hour; sums the rest under OTHER_KEY. */
function capKeys(rows: Array<{ metric: TrafficMetric; key: string; bucket: number; count: number }>) {
  const groups = new Map<string, typeof rows>();
  for (const row of rows) {
    const group = `${row.metric}${SEP}${row.bucket}`;
    const list = groups.get(group) ?? [];
    list.push(row);
    groups.set(group, list);
  }
  const out: typeof rows = [];
  for (const list of groups.values()) {
    if (list.length <= MAX_KEYS_PER_FLUSH) {
      out.push(...list);
      continue;
    }
    list.sort((a, b) => b.count - a.count);
    const kept = list.slice(0, MAX_KEYS_PER_FLUSH);
    const rest = list.slice(MAX_KEYS_PER_FLUSH).reduce((sum, row) => sum + row.count, 0);
    const first = list[0] as (typeof rows)[number];
    out.push(...kept, { metric: first.metric, key: OTHER_KEY, bucket: first.bucket, count: rest });
  }
  return out;
}

/**
 * Writes the pending counts in one transaction (additive upserts) and drops
 * counters past TRAFFIC_RETENTION_MS. Returns the number of rows written.
 * On a database error the counts are put back for the next flush.
 */
export async function flushTraffic(db: Db, now: Date = new Date()): Promise<number> {
  if (pending.size === 0) return 0;
  const taken = [...pending.entries()];
  pending.clear();
  const rows = capKeys(
    taken.map(([id, count]) => {
      const [metric, key, bucket] = id.split(SEP) as [TrafficMetric, string, string];
      return { metric, key, bucket: Number(bucket), count };
    }),
  );
  try {
    await db.transaction(
      async (tx) => {
        for (const row of rows) {
          await tx
            .insert(trafficCounters)
            .values({ metric: row.metric, key: row.key, bucket: new Date(row.bucket), count: row.count })
            .onConflictDoUpdate({
              target: [trafficCounters.metric, trafficCounters.key, trafficCounters.bucket],
              set: { count: sql`${trafficCounters.count} + excluded.count` },
            })
            .run();
        }
        await tx
          .delete(trafficCounters)
          .where(lt(trafficCounters.bucket, new Date(now.getTime() - TRAFFIC_RETENTION_MS)))
          .run();
      },
      { behavior: "immediate" },
    );
  } catch (error) {
    for (const [id, count] of taken) pending.set(id, (pending.get(id) ?? 0) + count);
    throw error;
  }
  return rows.length;
}

/** Tests start from zero. */
export function resetTraffic(): void {
  pending.clear();
}
