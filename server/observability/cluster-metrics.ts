import cluster from "node:cluster";
import { randomUUID } from "node:crypto";
import { getLogger } from "../logger";
import { type MetricsSnapshot, snapshotMetrics } from "./metrics";

/**
 * Metrics over every worker process of one server. Each worker counts its
 * own requests (a Map increment, no I/O); a scrape arrives at one worker,
 * which asks the supervisor (server/serve/supervisor.ts) to collect every
 * live worker's snapshot over the cluster IPC channel, and renders their sum.
 * So `/api/metrics` shows the whole server, whichever worker answers.
 *
 * The messages (all tagged `gatehouse`):
 *   worker -> supervisor  { gatehouse: "metrics:collect", id }
 *   supervisor -> worker  { gatehouse: "metrics:snapshot", id }        (to every worker)
 *   worker -> supervisor  { gatehouse: "metrics:snapshot", id, snapshot }
 *   supervisor -> worker  { gatehouse: "metrics:collected", id, snapshots }
 *
 * A worker that does not answer within the supervisor's deadline is left
 * out (its share is missing from that one scrape, never double-counted).
 * Outside a cluster (WEB_CONCURRENCY=1, tests) this process is the server.
 */
export const COLLECT_TIMEOUT_MS = 2_000;

export interface MetricsMessage {
  gatehouse: "metrics:collect" | "metrics:snapshot" | "metrics:collected";
  id: string;
  snapshot?: MetricsSnapshot;
  snapshots?: MetricsSnapshot[];
}

export function isMetricsMessage(message: unknown): message is MetricsMessage {
  const m = message as MetricsMessage | null;
  return typeof m === "object" && m !== null && typeof m.gatehouse === "string" && m.gatehouse.startsWith("metrics:");
}

const waiting = new Map<string, (snapshots: MetricsSnapshot[]) => void>();
let installed = false;

/** In a worker: answers the supervisor's snapshot requests and receives collected results. */
export function installWorkerMetricsChannel(): void {
  if (installed || !cluster.isWorker) return;
  installed = true;
  process.on("message", (message: unknown) => {
    if (!isMetricsMessage(message)) return;
    if (message.gatehouse === "metrics:snapshot") {
      process.send?.({ gatehouse: "metrics:snapshot", id: message.id, snapshot: snapshotMetrics() });
    } else if (message.gatehouse === "metrics:collected") {
      waiting.get(message.id)?.(message.snapshots ?? []);
    }
  });
}

export async function collectClusterMetrics(): Promise<MetricsSnapshot[]> {
  if (!installed || !process.send || !process.connected) return [snapshotMetrics()];
  const id = randomUUID();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      getLogger().warn("metrics: the supervisor did not answer; serving this worker's counts only");
      resolve([snapshotMetrics()]);
    }, COLLECT_TIMEOUT_MS + 500);
    waiting.set(id, (snapshots) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(snapshots.length > 0 ? snapshots : [snapshotMetrics()]);
    });
    process.send?.({ gatehouse: "metrics:collect", id });
  });
}
