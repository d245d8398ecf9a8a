import { getLogger } from "../logger";
import { processSingleton } from "../observability/process-singleton";
import type { PolicyName } from "./policies";

/**
 * Process-wide counters of the limiter, shown on the dashboard's Rate limits
 * page (and easy to export to a metrics system later). `storeFailures.open`
 * counts calls let through because the store could not answer: it should be
 * zero, and anything else deserves an alert.
 */
export const rateLimitMetrics = processSingleton("ratelimit.metrics", () => ({
  checks: 0,
  rejected: 0,
  storeFailures: { open: 0, closed: 0 },
  lastStoreFailureAt: null as number | null,
}));

export type RateLimitMetrics = typeof rateLimitMetrics;

export function metricsSnapshot(): RateLimitMetrics {
  return { ...rateLimitMetrics, storeFailures: { ...rateLimitMetrics.storeFailures } };
}

/** Several processes' counters as one (the workers of one server, see observability/cluster-channel.ts). */
export function sumMetrics(all: readonly RateLimitMetrics[]): RateLimitMetrics {
  const sum = metricsSnapshot();
  if (all.length === 0) return sum;
  sum.checks = 0;
  sum.rejected = 0;
  sum.storeFailures = { open: 0, closed: 0 };
  sum.lastStoreFailureAt = null;
  for (const m of all) {
    sum.checks += m.checks;
    sum.rejected += m.rejected;
    sum.storeFailures.open += m.storeFailures.open;
    sum.storeFailures.closed += m.storeFailures.closed;
    if (m.lastStoreFailureAt !== null)
      sum.lastStoreFailureAt = Math.max(sum.lastStoreFailureAt ?? 0, m.lastStoreFailureAt);
  }
  return sum;
}

let lastWarning = 0;
let suppressed = 0;

/**
 * A store failure: counted every time, logged at most every 10 s (an outage
 * at 1,000 requests a second must not become 1,000 log lines a second). The
 * error's message is cut short: an @upstash/redis error repeats the whole
 * command, keys and arguments included.
 */
/** A store error as a log line carries it: its name and the start of its message (never a stack, never a key). */
export function briefError(error: unknown): { name: string; message?: string } {
  return error instanceof Error ? { name: error.name, message: error.message.slice(0, 120) } : { name: "unknown" };
}

export function noteStoreFailure(policy: PolicyName, mode: "open" | "closed", error: unknown): void {
  rateLimitMetrics.storeFailures[mode]++;
  const now = Date.now();
  rateLimitMetrics.lastStoreFailureAt = now;
  if (now - lastWarning < 10_000) {
    suppressed++;
    return;
  }
  lastWarning = now;
  const err = briefError(error);
  getLogger().warn(
    { policy, failing: mode, err, suppressedSinceLast: suppressed },
    mode === "open"
      ? "rate-limit store unavailable: letting the call through (fail-open policy)"
      : "rate-limit store unavailable: refusing the call with 503 (fail-closed policy)",
  );
  suppressed = 0;
}
