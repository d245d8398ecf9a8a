import path from "node:path";
import { type Env, parseEnv } from "./env";
import { loadOrCreateSecrets } from "./secrets";

export { ConfigError } from "./env";

export interface Config {
  port: number;
  dataDir: string;
  databaseFile: string;
  /** Public origin, e.g. https://api.example.com. */
  appUrl: URL;
  /** True when APP_URL is https: production transport rules apply. */
  secure: boolean;
  authSecret: string;
  admin: { email: string; password: string } | null;
  logLevel: Env["LOG_LEVEL"];
  session: { idleMs: number; absoluteMs: number };
  trustedProxies: string[];
  maxBodyBytes: number;
}

/** Builds the configuration from an environment; secrets not given are generated in DATA_DIR. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const env = parseEnv(source);
  const appUrl = new URL(env.APP_URL ?? `http://localhost:${env.PORT}`);
  const authSecret = env.AUTH_SECRET ?? loadOrCreateSecrets(env.DATA_DIR).authSecret;
  return {
    port: env.PORT,
    dataDir: env.DATA_DIR,
    databaseFile: path.join(env.DATA_DIR, "gatehouse.db"),
    appUrl,
    secure: appUrl.protocol === "https:",
    authSecret,
    admin: env.ADMIN_EMAIL && env.ADMIN_PASSWORD ? { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD } : null,
    logLevel: env.LOG_LEVEL,
    session: { idleMs: env.SESSION_IDLE_TIMEOUT, absoluteMs: env.SESSION_ABSOLUTE_TIMEOUT },
    trustedProxies: env.TRUSTED_PROXIES.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    maxBodyBytes: env.MAX_BODY_BYTES,
  };
}

let cached: Config | undefined;

/** The process-wide configuration, read on first use (never at import, so `next build` needs none). */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
