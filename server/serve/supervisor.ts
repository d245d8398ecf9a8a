import cluster, { type Worker } from "node:cluster";
import { ASK_TIMEOUT_MS, type ClusterAskKind, isClusterMessage } from "../observability/cluster-channel";
import { writeLogLine } from "../observability/log-line";
import type { Serving } from "./main";

/**
 * The old-generation heap of a worker, in MB, unless NODE_OPTIONS or the
 * server's own flags set one (`--max-old-space-size=N`). A worker's live data
 * is small (bounded caches, streamed exports, bodies capped by
 * MAX_BODY_BYTES), but under sustained load V8 lets garbage pile up to far
 * more than that before it collects: two workers reached about 400 MB each
 * in the benchmark, and with this limit stay near 170 MB at the same
 * throughput (docs/benchmarks.md).
 */
export const WORKER_OLD_SPACE_MB = 256;

export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((flag) =>
    /^--max[-_]old[-_]space[-_]size(=|$)/.test(flag),
  );
  return given ? [...execArgv] : [...execArgv, `--max-old-space-size=${WORKER_OLD_SPACE_MB}`];
}

/** A worker that dies sooner than this after it started counts as a crash loop: restarts back off. */
const STABLE_AFTER_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * The supervisor of a multi-process server (WEB_CONCURRENCY > 1): it owns
 * the listening socket (node:cluster hands each connection to a worker, round
 * robin), keeps WEB_CONCURRENCY workers alive — a worker that dies, however
 * it dies, is replaced, with a growing delay while they keep dying young —
 * relays questions from one worker to all (server/observability/cluster-channel.ts),
 * and on SIGTERM/SIGINT stops every worker gracefully, then itself.
 *
 * It serves no request and holds no state the workers need: everything that
 * must agree between workers lives in the database or the rate-limit store.
 */
export function runSupervisor(serving: Serving, env: Record<string, string>): void {
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) });
  const started = new Map<number, number>();
  let stopping = false;
  let backoffMs = 0;
  let announced = false;
  let listening = 0;

  const fork = () => {
    const worker = cluster.fork(env);
    started.set(worker.id, Date.now());
    worker.on("message", (message: unknown) => onMessage(worker, message));
  };

  const onMessage = (worker: Worker, message: unknown) => {
    if ((message as { gatehouse?: string })?.gatehouse === "worker:listening") {
      listening++;
      if (!announced && listening >= serving.workers) {
        announced = true;
        writeLogLine(
          "info",
          `gatehouse: listening on http://${serving.host}:${serving.port} (production, ${serving.workers} workers)`,
          { host: serving.host, port: serving.port, workers: serving.workers },
        );
      }
      return;
    }
    if (isClusterMessage(message) && message.gatehouse === "cluster:ask" && message.kind) {
      void askEveryWorker(message.id, message.kind).then((values) => {
        if (worker.isConnected()) worker.send({ gatehouse: "cluster:answer", id: message.id, values });
      });
    }
  };

  cluster.on("exit", (worker, code, signal) => {
    const age = Date.now() - (started.get(worker.id) ?? 0);
    started.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    backoffMs = age < STABLE_AFTER_MS ? Math.min(MAX_BACKOFF_MS, Math.max(250, backoffMs * 2)) : 0;
    writeLogLine(
      "warn",
      `gatehouse: worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another${backoffMs ? ` in ${backoffMs} ms` : ""}`,
      { worker: worker.process.pid, code, signal, backoffMs },
    );
    setTimeout(fork, backoffMs);
  });

  const stop = () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}) as Worker[];
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker.process.kill("SIGTERM");
    // Workers cut their own connections after SHUTDOWN_TIMEOUT; this is the backstop for a stuck one.
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {}) as Worker[]) worker.process.kill("SIGKILL");
      process.exit(0);
    }, serving.shutdownTimeoutMs + 5_000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  for (let i = 0; i < serving.workers; i++) fork();
}

/** Asks every live worker; answers within ASK_TIMEOUT_MS with the replies that came (observability/cluster-channel.ts). */
function askEveryWorker(id: string, kind: ClusterAskKind): Promise<unknown[]> {
  const workers = (Object.values(cluster.workers ?? {}) as Worker[]).filter((w) => w.isConnected());
  const values: unknown[] = [];
  return new Promise((resolve) => {
    let pending = workers.length;
    const listeners = new Map<Worker, (message: unknown) => void>();
    const done = () => {
      clearTimeout(timer);
      for (const [worker, listener] of listeners) worker.off("message", listener);
      resolve(values);
    };
    const timer = setTimeout(done, ASK_TIMEOUT_MS);
    if (pending === 0) return done();
    for (const worker of workers) {
      const listener = (message: unknown) => {
        if (!isClusterMessage(message) || message.gatehouse !== "cluster:reply" || message.id !== id) return;
        values.push(message.value);
        worker.off("message", listener);
        listeners.delete(worker);
        if (--pending === 0) done();
      };
      listeners.set(worker, listener);
      worker.on("message", listener);
      worker.send({ gatehouse: "cluster:request", id, kind });
    }
  });
}
