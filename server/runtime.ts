import { type Db, openDatabase } from "@/db";
import { type Clock, systemClock } from "./clock";
import { type Config, getConfig } from "./config";
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
}

let runtime: Runtime | undefined;

export function getRuntime(): Runtime {
  if (!runtime) {
    const config = getConfig();
    runtime = {
      config,
      db: openDatabase(config.databaseFile),
      clock: systemClock,
      trustedProxies: parseTrustedProxies(config.trustedProxies),
    };
  }
  return runtime;
}
