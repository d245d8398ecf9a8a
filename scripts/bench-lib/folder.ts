import type { SqliteDb } from "@/db";
import { openSqlite } from "@/db";
import { cliClient } from "@/server/auth/principal";
import { systemClock } from "@/server/clock";
import { type Config, loadConfig } from "@/server/config";
import { openKeyring } from "@/server/crypto/open-keyring";
import { CLI_ACTOR } from "@/server/services/audit";
import type { ServiceContext } from "@/server/services/context";

/**
 * A data folder opened the way the CLI opens it (configuration, secrets,
 * migrations, keyring), but for a given environment instead of this
 * process's: the bench prepares two folders (small and large) side by side,
 * and must not touch the process-wide runtime. The services get the CLI's
 * context (actor `cli`), so everything seeded is audited like an operator's
 * change.
 */
export interface OpenFolder {
  config: Config;
  db: SqliteDb;
  svc: ServiceContext & { db: SqliteDb; keyring: NonNullable<ServiceContext["keyring"]> };
  /** Closes the connection (which checkpoints the WAL); again is a no-op. */
  close(): void;
}

export function openFolder(env: Record<string, string | undefined>): OpenFolder {
  const config = loadConfig(env);
  const db = openSqlite(config.databaseFile);
  const keyring = openKeyring(config);
  return {
    config,
    db,
    svc: { db, clock: systemClock, actor: CLI_ACTOR, client: cliClient, keyring },
    close: () => {
      if (db.$client.open) db.$client.close();
    },
  };
}
