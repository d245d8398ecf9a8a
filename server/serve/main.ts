import cluster from "node:cluster";
import { randomBytes } from "node:crypto";
import { PEER_STAMP_ENV } from "../security/client-ip";
import { announceReady, prepareGatehouse } from "../startup";
import { runSupervisor } from "./supervisor";
import { runWorker } from "./worker";

export interface ServeOptions {
  dev: boolean;
  root: string;
}

/**
 * The Gatehouse server (scripts/server.mjs loads this, built by
 * scripts/build-front.mjs or, in development, through tsx):
 *
 * - WEB_CONCURRENCY=1 (and always in development): one process prepares and serves.
 * - more: this process prepares once (configuration, secrets, migrations,
 *   first admin), then supervises that many workers (supervisor.ts); each
 *   worker serves (worker.ts).
 */
export async function serve(options: ServeOptions): Promise<void> {
  process.env.GATEHOUSE_SERVER = "1";
  if (cluster.isWorker) {
    await runWorker({ ...options, stamp: process.env[PEER_STAMP_ENV] ?? "" });
    return;
  }
  // A secret per server start that no client can know: it vouches for the peer facts the front stamps.
  const stamp = randomBytes(32).toString("base64url");
  process.env[PEER_STAMP_ENV] = stamp;
  const runtime = await prepareGatehouse();
  const workers = options.dev ? 1 : (runtime.config.serving?.workers ?? 1);
  if (workers === 1) {
    announceReady(runtime);
    await runWorker({ ...options, stamp });
    return;
  }
  // The workers open their own connections; the supervisor keeps none.
  runtime.db.$client.close();
  announceReady(runtime);
  runSupervisor(runtime, { [PEER_STAMP_ENV]: stamp, GATEHOUSE_SERVER: "1" });
}
