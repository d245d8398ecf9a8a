import { ConfigError } from "./config";
import { getLogger } from "./logger";
import { startObservability } from "./observability/start";
import { getRuntime, type Runtime } from "./runtime";
import { prepareSealedData } from "./services/encryption-startup";
import { bootstrapAdmin } from "./services/users";

/**
 * Runs once when a server process starts (instrumentation.ts): validates the
 * configuration, generates missing secrets, applies migrations and creates
 * the first admin. A bad configuration stops the process with one line.
 */
export async function startGatehouse(): Promise<void> {
  const runtime = await prepareGatehouse();
  // Overview counters, aggregated audit groups and audit retention (server/observability/start.ts).
  startObservability(runtime);
  announceReady(runtime);
}

export function announceReady(runtime: Runtime): void {
  getLogger().info(
    { dataDir: runtime.config.dataDir, appUrl: runtime.config.appUrl.origin, secure: runtime.config.secure },
    "gatehouse ready",
  );
}

/**
 * Everything that must happen once before any process serves: the
 * configuration, the secrets, the migrations, the sealed-data check and the
 * first admin. The server's supervisor runs it before it starts the workers
 * (server/serve/supervisor.ts), so a bad configuration is one line and no
 * restart loop.
 */
export async function prepareGatehouse(): Promise<Runtime> {
  let runtime: Runtime;
  try {
    runtime = getRuntime();
    // Fails closed: a stored value under a key id the ring lacks stops the start.
    prepareSealedData(runtime);
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `cannot start: ${(error as Error).message}`;
    process.stderr.write(`gatehouse: ${message}\n`);
    process.exit(1);
  }
  const result = await bootstrapAdmin(runtime.db, runtime.clock, runtime.config.admin);
  if (result.created && result.oneTimePassword) {
    // Printed exactly once, at creation; only its hash is stored, and it must
    // be replaced at first sign-in.
    process.stdout.write(
      [
        "",
        "  Gatehouse created the first administrator.",
        `  email:              ${result.email}`,
        `  one-time password:  ${result.oneTimePassword}`,
        `  Sign in at ${runtime.config.appUrl.origin}/signin and choose a new password.`,
        "  This password is not shown again.",
        "",
      ].join("\n"),
    );
    process.stdout.write("\n");
  } else if (result.created) {
    getLogger().info({ email: result.email }, "created the first administrator from ADMIN_EMAIL");
  }
  return runtime;
}
