import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * Starts the production server (`node scripts/server.mjs`) with the given
 * environment and waits until `/api/ready` answers, for the scripts that
 * measure or photograph a real server (bench, screenshots).
 */
export async function startLocalServer(
  baseUrl: string,
  env: Record<string, string | undefined>,
): Promise<ChildProcess> {
  const server = spawn(process.execPath, ["scripts/server.mjs"], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; i < 600; i++) {
    if (server.exitCode !== null) throw new Error("server exited");
    try {
      if ((await fetch(`${baseUrl}/api/ready`)).ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  server.kill("SIGTERM");
  throw new Error("server did not become ready");
}
