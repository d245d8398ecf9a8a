import cluster from "node:cluster";
import { randomBytes } from "node:crypto";
import { closeDatabase } from "@/db";
import { type ServingConfig, servingOf } from "../config";
import { ConfigError, parseEnv } from "../config/env";
import { formatLogLine, writeLogLine } from "../observability/log-line";
import { PEER_STAMP_ENV } from "../security/client-ip";

export interface ServeOptions {
  dev: boolean;
  root: string;
}

/** What the supervisor needs to know of the configuration: how to serve, nothing else. */
export type Serving = ServingConfig & { port: number };

const PREPARE_ROLE = "prepare";

/**
 * The Gatehouse server (scripts/server.mjs loads this, built by
 * scripts/build-front.mjs or, in development, through tsx):
 *
 * - WEB_CONCURRENCY=1 (and always in development): one process prepares and serves.
 * - more: a short-lived child prepares once (configuration, secrets,
 *   migrations, the first admin — and a bad configuration stops the start
 *   with its one line), then this process supervises that many workers
 *   (supervisor.ts), each serving (worker.ts). The supervisor itself loads
 *   only what supervising needs (the rest is imported where it runs), so it
 *   costs little memory beside the workers.
 */
export async function serve(options: ServeOptions): Promise<void> {
  process.env.GATEHOUSE_SERVER = "1";
  const serving = !cluster.isWorker ? servingFromEnv() : null;
  const supervising = !options.dev && serving !== null && serving.workers > 1;
  // Production: every line a process writes is one JSON object (observability/process-output.ts).
  if (!options.dev) {
    if (supervising) exitOnCrashWithOneLine();
    else {
      const [{ getLogger }, { routeProcessOutputToLog }] = await Promise.all([
        import("../logger"),
        import("../observability/process-output"),
      ]);
      routeProcessOutputToLog(getLogger(), options.root);
    }
  }
  if (cluster.isWorker) {
    if (process.env.GATEHOUSE_ROLE === PREPARE_ROLE) {
      const { announceReady, prepareGatehouse } = await import("../startup");
      const runtime = await prepareGatehouse();
      await closeDatabase(runtime.db);
      announceReady(runtime);
      process.exit(0);
    }
    const { runWorker } = await import("./worker");
    await runWorker({ ...options, stamp: process.env[PEER_STAMP_ENV] ?? "" });
    return;
  }
  if (serving === null) return;
  // A secret per server start that no client can know: it vouches for the peer facts the front stamps.
  const stamp = randomBytes(32).toString("base64url");
  process.env[PEER_STAMP_ENV] = stamp;
  if (options.dev || serving.workers === 1) {
    const { announceReady, prepareGatehouse } = await import("../startup");
    announceReady(await prepareGatehouse());
    const { runWorker } = await import("./worker");
    await runWorker({ ...options, stamp });
    return;
  }
  const prepared = await new Promise<number>((resolve) => {
    cluster.fork({ GATEHOUSE_ROLE: PREPARE_ROLE }).on("exit", (code) => resolve(code ?? 1));
  });
  // The child has said why (one line on stderr).
  if (prepared !== 0) process.exit(prepared);
  const { runSupervisor } = await import("./supervisor");
  runSupervisor(serving, { [PEER_STAMP_ENV]: stamp, GATEHOUSE_SERVER: "1" });
}

function servingFromEnv(): Serving {
  try {
    const env = parseEnv(process.env);
    return { ...servingOf(env), port: env.PORT };
  } catch (error) {
    writeLogLine("fatal", `gatehouse: ${error instanceof ConfigError ? error.message : (error as Error).message}`);
    process.exit(1);
  }
}

/** The supervisor loads no logger: an uncaught error is still one JSON line (without its stack), then exit 1. */
function exitOnCrashWithOneLine(): void {
  process.on("uncaughtException", (error, origin) => {
    const err = error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
    process.stderr.write(formatLogLine("fatal", "uncaught exception: the supervisor stops", { origin, err }));
    process.exit(1);
  });
}
