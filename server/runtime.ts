import { type Db, openDatabase } from "@/db";
import { type Clock, systemClock } from "./clock";
import { type Config, getConfig } from "./config";
import type { Keyring } from "./crypto/keyring";
import { openKeyring } from "./crypto/open-keyring";
import { parseTrustedProxies, type TrustedProxies } from "./security/client-ip";

/**
 * The long-lived parts a server process needs, created on first use. Nothing
 * here is opened at import time, so `next build` works without a data folder.
 */
export interface Runtime {
  config: Config;
  db: Db;
  clock: Clock;
  trustedProxies: TrustedProxies;
  /** The data-encryption keys (ENCRYPTION_KEYS or DATA_DIR/secrets.json): sealed columns need them. */
  keyring: Keyring;
}

let runtime: Runtime | undefined;

/** Where a configuration's data lives: DATABASE_URL (PostgreSQL), else the embedded file. */
export function databaseTarget(config: Pick<Config, "databaseFile" | "databaseUrl">): string {
  return config.databaseUrl ?? config.databaseFile;
}

export function getRuntime(): Runtime {
  if (!runtime) {
    const config = getConfig();
    const db = openDatabase(databaseTarget(config));
    runtime = {
      config,
      db,
      clock: systemClock,
      trustedProxies: parseTrustedProxies(config.trustedProxies),
      keyring: openKeyring(config, db),
    };
  }
  return runtime;
}
