import { ConfigError } from "./config";
import { KeyringMismatchError } from "./crypto/sealed-data";
import { getLogger } from "./logger";
import { writeLogLine } from "./observability/log-line";
import { startObservability } from "./observability/start";
import { getRuntime, type Runtime } from "./runtime";
import { prepareSealedData } from "./services/encryption-startup";
import { assertSharedSecretsFit } from "./services/shared-secrets";
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
  let result: Awaited<ReturnType<typeof bootstrapAdmin>>;
  try {
    runtime = getRuntime();
    // Fails closed: a stored value under a key id the ring lacks stops the start.
    await prepareSealedData(runtime);
    // Every instance of the database must have the same session secret.
    await assertSharedSecretsFit(runtime.db, runtime.clock, { authSecret: runtime.config.authSecret });
    // A guessable ADMIN_PASSWORD is a ConfigError too: the same one line, no user created.
    result = await bootstrapAdmin(runtime.db, runtime.clock, runtime.config.admin);
  } catch (error) {
    // One line, whatever the cause (a message never holds a key: key-check.ts names ids and fingerprints).
    const text = (error as Error).message.replace(/\s*\n\s*/g, " ");
    const message =
      error instanceof ConfigError && !(error instanceof KeyringMismatchError) ? text : `cannot start: ${text}`;
    writeLogLine("fatal", `gatehouse: ${message}`);
    process.exit(1);
  }
  if (result.created && result.oneTimePassword) {
    // Printed exactly once, at creation; only its hash is stored, and it must
    // be replaced at first sign-in. One JSON line like every other, written around the logger on purpose:
    // its redaction would (rightly) remove the very value this line exists to hand over.
    const signIn = `${runtime.config.appUrl.origin}/signin`;
    writeLogLine(
      "warn",
      `Gatehouse created the first administrator: sign in at ${signIn} as ${result.email} with the one-time password in this line and choose a new one; it is not shown again`,
      { firstAdmin: { email: result.email, oneTimePassword: result.oneTimePassword, signIn } },
      "stdout",
    );
  } else if (result.created) {
    getLogger().info({ email: result.email }, "created the first administrator from ADMIN_EMAIL");
  }
  return runtime;
}
