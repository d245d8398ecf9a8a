import { flushAggregated } from "../audit/aggregate";
import { pruneAuditLog } from "../audit/retention";
import { DEFAULT_OBSERVABILITY } from "../config";
import { getLogger } from "../logger";
import type { Runtime } from "../runtime";
import { beatInstance, gatehouseVersion, INSTANCE_BEAT_MS, storeOf } from "./instances";
import { processSingleton } from "./process-singleton";
import { flushTraffic } from "./traffic";

/** How often the in-memory traffic counts are written to traffic_counters. */
export const TRAFFIC_FLUSH_MS = 10_000;
/** Aggregated audit groups are written when their window closes; this catches idle ones. */
const AGGREGATE_SWEEP_MS = 15_000;
/** Retention runs a minute after start (not during a restart storm), then daily. */
const RETENTION_FIRST_MS = 60_000;
const RETENTION_EVERY_MS = 24 * 3_600_000;

/**
 * The background jobs of a server process (never of the CLI): flushing the
 * Overview counters and the aggregated audit groups, and audit retention.
 * Timers are unref'd (they never keep a process alive); SIGTERM/SIGINT flush
 * what is pending before scripts/server.mjs exits. Each job logs its own
 * failure and tries again next time: none of them can take the server down.
 */
export function startObservability(runtime: Runtime, options: { flushOnSignals?: boolean } = {}): void {
  const state = processSingleton("observability.started", () => ({
    started: false,
    flush: async (): Promise<void> => {},
  }));
  if (state.started) return;
  state.started = true;
  const log = getLogger();
  // A job's failure is logged by the job; one that escapes anyway must not become an unhandled rejection (it would end the process).
  const safely = (job: () => Promise<void>) => async () => {
    await job().catch((error) => log.error({ err: error }, "a background job failed"));
  };
  const every = (ms: number, job: () => Promise<void>) => setInterval(safely(job), ms).unref();

  const flushCounters = async () => {
    try {
      await flushTraffic(runtime.db, runtime.clock.now());
    } catch (error) {
      log.error({ err: error }, "could not write traffic counters");
    }
  };
  const flushAll = async () => {
    await flushCounters();
    await flushAggregated();
  };
  every(TRAFFIC_FLUSH_MS, flushCounters);

  // This instance in the fleet list (instances.ts): at start, then every beat.
  const self = {
    id: runtime.config.instanceId ?? "gatehouse",
    workers: runtime.config.serving?.workers ?? 1,
    store: storeOf(runtime.db),
    version: gatehouseVersion(),
    startedAt: runtime.clock.now(),
  };
  const beat = async () => {
    try {
      await beatInstance(runtime.db, runtime.clock, self);
    } catch (error) {
      log.error({ err: error }, "could not record this instance in the fleet list");
    }
  };
  void safely(beat)();
  every(INSTANCE_BEAT_MS, beat);
  every(AGGREGATE_SWEEP_MS, async () => {
    await flushAggregated();
  });

  const retentionDays = (runtime.config.observability ?? DEFAULT_OBSERVABILITY).auditRetentionDays;
  const prune = async () => {
    try {
      const result = await pruneAuditLog(runtime.db, runtime.clock, { retentionDays });
      if (result.removed > 0) log.info({ ...result, retentionDays }, "audit retention removed old entries");
    } catch (error) {
      log.error({ err: error }, "audit retention failed");
    }
  };
  setTimeout(
    safely(async () => {
      await prune();
      every(RETENTION_EVERY_MS, prune);
    }),
    RETENTION_FIRST_MS,
  ).unref();

  state.flush = flushAll;
  // The Gatehouse server drains requests first and then calls flushObservability() itself (server/serve/worker.ts).
  if (options.flushOnSignals === false) return;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void flushAll().finally(() => {
        // Adding a listener disables Node's default exit on the signal: when no
        // one else handles it (e.g. plain `next start`), re-raise it to exit.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    });
  }
}

/** Writes what the background jobs hold in memory (traffic counts, aggregated audit groups) now. */
export async function flushObservability(): Promise<void> {
  await processSingleton("observability.started", () => ({
    started: false,
    flush: async (): Promise<void> => {},
  })).flush();
}
