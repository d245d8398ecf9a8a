import cluster from "node:cluster";
import { randomUUID } from "node:crypto";
import { getLogger } from "../logger";
import { processSingleton } from "./process-singleton";

/**
 * Asking every worker of one server for something, from any worker: the
 * metrics of each (so a scrape shows the whole server), or a flush of the
 * Overview counters they hold in memory (so the Overview shows every
 * worker's traffic, not one worker's share). Requests go over the cluster
 * IPC channel through the supervisor (server/serve/supervisor.ts), which
 * asks every live worker and answers with the replies that came within
 * ASK_TIMEOUT_MS; a worker that did not answer is left out of that one
 * answer, never counted twice.
 *
 * Messages (all tagged `gatehouse`):
 *   worker -> supervisor  { gatehouse: "cluster:ask", id, kind }
 *   supervisor -> worker  { gatehouse: "cluster:request", id, kind }     (to every worker)
 *   worker -> supervisor  { gatehouse: "cluster:reply", id, value }
 *   supervisor -> worker  { gatehouse: "cluster:answer", id, values }
 *
 * Outside a cluster (WEB_CONCURRENCY=1, tests, the CLI) this process is the
 * whole server and is asked directly. State lives on process-singleton:
 * Next.js's bundles and the front's bundle share one channel per process.
 */
export const ASK_TIMEOUT_MS = 2_000;

export type ClusterAskKind = "metrics" | "ratelimit-metrics" | "flush-traffic";

export interface ClusterMessage {
  gatehouse: "cluster:ask" | "cluster:request" | "cluster:reply" | "cluster:answer";
  id: string;
  kind?: ClusterAskKind;
  value?: unknown;
  values?: unknown[];
}

export function isClusterMessage(message: unknown): message is ClusterMessage {
  const m = message as ClusterMessage | null;
  return typeof m === "object" && m !== null && typeof m.gatehouse === "string" && m.gatehouse.startsWith("cluster:");
}

const channel = processSingleton("cluster.channel", () => ({
  installed: false,
  handlers: new Map<ClusterAskKind, () => unknown>(),
  waiting: new Map<string, (values: unknown[]) => void>(),
}));

/** What this process answers when asked `kind` (its metrics snapshot, say). */
export function answerClusterAsks(kind: ClusterAskKind, handler: () => unknown): void {
  channel.handlers.set(kind, handler);
  if (channel.installed || !cluster.isWorker) return;
  channel.installed = true;
  process.on("message", async (message: unknown) => {
    if (!isClusterMessage(message)) return;
    if (message.gatehouse === "cluster:request" && message.kind) {
      let value: unknown = null;
      try {
        // A handler may be async (writing this worker's counters): the reply says it is done.
        value = (await channel.handlers.get(message.kind)?.()) ?? null;
      } catch (error) {
        getLogger().error({ err: error, kind: message.kind }, "could not answer a cluster request");
      }
      process.send?.({ gatehouse: "cluster:reply", id: message.id, value });
    } else if (message.gatehouse === "cluster:answer") {
      channel.waiting.get(message.id)?.(message.values ?? []);
    }
  });
}

/** Every worker's answer to `kind`; outside a cluster, or if the supervisor does not answer, `here()` alone. */
export async function askAllWorkers<T>(kind: ClusterAskKind, here: () => T | Promise<T>): Promise<T[]> {
  const local = async () => [await here()];
  if (!channel.installed || !process.send || !process.connected) return local();
  const id = randomUUID();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      channel.waiting.delete(id);
      getLogger().warn({ kind }, "the supervisor did not answer; using this worker's share only");
      resolve(local());
    }, ASK_TIMEOUT_MS + 500);
    channel.waiting.set(id, (values) => {
      clearTimeout(timer);
      channel.waiting.delete(id);
      const answered = values.filter((v) => v !== null) as T[];
      resolve(answered.length > 0 ? answered : local());
    });
    process.send?.({ gatehouse: "cluster:ask", id, kind });
  });
}
