import cluster from "node:cluster";
import { closeDatabase } from "@/db";
import { startWalCheckpointer } from "@/db/wal-checkpointer";
import { createFrontServer } from "../http/front/server";
import { getLogger } from "../logger";
import { answerClusterAsks } from "../observability/cluster-channel";
import { snapshotMetrics } from "../observability/metrics";
import { flushObservability, startObservability } from "../observability/start";
import { flushTraffic } from "../observability/traffic";
import { metricsSnapshot } from "../ratelimit/metrics";
import { getRuntime } from "../runtime";
import { createPages } from "./pages";

export interface WorkerOptions {
  dev: boolean;
  /** The project folder (Next.js's `dir`). */
  root: string;
  /** The peer stamp secret of this server (server/security/client-ip.ts), the same in every worker. */
  stamp: string;
}

/**
 * One serving process: Gatehouse's own front for the machine endpoints
 * (server/http/front/) and Next.js for the pages (loaded on the first page
 * request, pages.ts), on one node:http server. In a
 * cluster the supervisor owns the listening socket and hands connections to
 * the workers; with WEB_CONCURRENCY=1 this is the only process.
 *
 * SIGTERM (or SIGINT) stops it gracefully: no new connections, idle
 * keep-alive connections closed at once, requests in flight answered (with
 * `Connection: close`) for up to SHUTDOWN_TIMEOUT, then the remaining
 * connections are cut; the in-memory counters (Overview traffic, aggregated
 * audit groups) are written before the process exits.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const runtime = getRuntime();
  const serving = runtime.config.serving ?? { host: "0.0.0.0", workers: 1, shutdownTimeoutMs: 10_000 };
  const log = getLogger();
  startObservability(runtime, { flushOnSignals: false });
  // Checkpoints of the application's file on a thread of their own, not inside a request's commit.
  const checkpointer =
    runtime.db.$client &&
    startWalCheckpointer(runtime.db.$client, (event) => {
      if (event.ok) log.info("database checkpoints: working again");
      else log.error({ code: event.code, reason: event.message }, "database checkpoints are failing");
    });
  // What the other workers may ask of this one (observability/cluster-channel.ts).
  answerClusterAsks("metrics", snapshotMetrics);
  answerClusterAsks("ratelimit-metrics", metricsSnapshot);
  answerClusterAsks("flush-traffic", () => flushTraffic(runtime.db, runtime.clock.now()));

  let stopping = false;
  // The front first: its adapter replaces the global Request/Response, and Next.js must load after that (pages.ts).
  const pages = createPages({
    dev: options.dev,
    root: options.root,
    hostname: serving.host === "0.0.0.0" ? "localhost" : serving.host,
    port: runtime.config.port,
  });
  const front = createFrontServer({ runtime: () => runtime, next: pages.handle, stamp: options.stamp });
  const { server } = front;
  if (options.dev) {
    // Development: hot reload from the first request on.
    await pages.load();
    server.on("upgrade", (req, socket, head) => pages.upgrade(req, socket, head));
  }

  await new Promise<void>((resolve) => server.listen(runtime.config.port, serving.host, resolve));
  if (cluster.isWorker) process.send?.({ gatehouse: "worker:listening" });
  else {
    log.info(
      { host: serving.host, port: runtime.config.port, workers: 1 },
      `gatehouse: listening on http://${serving.host}:${runtime.config.port} (${options.dev ? "development" : "production"}, 1 process)`,
    );
  }

  const stop = () => {
    if (stopping) return;
    stopping = true;
    front.draining();
    const cut = setTimeout(() => server.closeAllConnections(), serving.shutdownTimeoutMs);
    cut.unref();
    server.close(async () => {
      clearTimeout(cut);
      try {
        void checkpointer?.stop();
        await flushObservability();
        await closeDatabase(runtime.db);
      } catch (error) {
        log.error({ err: error }, "could not write pending counters at stop");
      }
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The supervisor went away (killed -9): a worker is not left serving on its own.
  if (cluster.isWorker) process.on("disconnect", stop);
}
