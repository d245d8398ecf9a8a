import { closeDatabase } from "@/db";
import { cliClient } from "../auth/principal";
import { ConfigError } from "../config";
import type { Keyring } from "../crypto/keyring";
import { getRuntime, type Runtime } from "../runtime";
import { CLI_ACTOR } from "../services/audit";
import type { ServiceContext } from "../services/context";
import { assertKeyringFits } from "../services/key-check";
import { SetupError } from "./errors";

/**
 * What a command gets. The runtime (configuration, secrets, database with
 * migrations) is opened only when a command first asks for it, so `help` and
 * a command with bad flags work, and fail, without touching the data folder.
 */
export interface CliContext {
  /**
   * The same service context the dashboard builds, acting as the CLI: every
   * change is audited as actor `cli`. Like a server start, it first checks
   * that the encryption keys fit the database (key-check.ts) and refuses
   * with the same one line if not; `checkKeys: false` is for the commands
   * that report or copy rather than use the keys (`keys list`, `backup`).
   */
  services(opts?: { checkKeys?: boolean }): Promise<ServiceContext>;
}

export function createCliContext(): CliContext & { close(): Promise<void> } {
  let opened: ServiceContext | undefined;
  let keysChecked = false;
  return {
    async services(opts = {}) {
      if (!opened) {
        let runtime: Runtime;
        try {
          runtime = getRuntime();
        } catch (error) {
          // A secrets file with loose permissions or an unwritable folder is an environment problem too (exit 2).
          if (error instanceof ConfigError) throw error;
          throw new SetupError("cannot open the data folder", { cause: error });
        }
        opened = {
          db: runtime.db,
          clock: runtime.clock,
          actor: CLI_ACTOR,
          client: cliClient,
          keyring: runtime.keyring,
        };
      }
      if (opts.checkKeys !== false && !keysChecked) {
        await assertKeyringFits(opened.db, opened.keyring as Keyring, opened.clock);
        keysChecked = true;
      }
      return opened;
    },
    // Closing checkpoints the WAL, so the data folder is left tidy when no server is running.
    async close() {
      if (opened) await closeDatabase(opened.db);
      opened = undefined;
    },
  };
}
