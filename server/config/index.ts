import os from "node:os";
import path from "node:path";
import type { KeySet } from "../crypto/key-set";
import { type RateLimitConfig, rateLimitConfigFromEnv } from "../ratelimit/config";
import { type Env, parseEnv } from "./env";
import { DATABASE_FILE, loadOrCreateSecrets } from "./secrets";

export { ConfigError } from "./env";

/** What API tokens may be given at creation (env TOKEN_DEFAULT_TTL, TOKEN_MAX_TTL, TOKEN_ALLOW_NO_EXPIRY). */
export interface TokenPolicy {
  defaultTtlMs: number;
  maxTtlMs: number;
  allowNoExpiry: boolean;
}

/** The environment's defaults; also what applies where a configuration is built by hand without a policy. */
export const DEFAULT_TOKEN_POLICY: TokenPolicy = {
  defaultTtlMs: 90 * 86_400_000,
  maxTtlMs: 365 * 86_400_000,
  allowNoExpiry: false,
};

/** How the server process serves (scripts/server.mjs, server/serve/). */
export interface ServingConfig {
  host: string;
  /** Worker processes (WEB_CONCURRENCY, default: os.availableParallelism()). */
  workers: number;
  shutdownTimeoutMs: number;
}

export interface Config {
  port: number;
  /** Always set by loadConfig; configs built by hand (tests) never start a server. */
  serving?: ServingConfig;
  dataDir: string;
  /** The embedded store's file in the data folder; unused when `databaseUrl` is set. */
  databaseFile: string;
  /** DATABASE_URL: a PostgreSQL database instead of the file; null keeps the embedded default. */
  databaseUrl?: string | null;
  /** INSTANCE_ID (default: host name and port): names this instance in the metrics and the fleet list. */
  instanceId?: string;
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
  /**
   * API token policy. Always set by loadConfig; optional so that configs
   * built by hand (tests) need not spell it out — DEFAULT_TOKEN_POLICY, the
   * strict one, applies then.
   */
  tokens?: TokenPolicy;
  /**
   * Rate-limit policies and store (RATE_LIMIT_*, REDIS_URL, UPSTASH_REDIS_REST_*).
   * Always set by loadConfig; where absent (configs built by hand in tests)
   * DEFAULT_RATE_LIMIT_CONFIG applies: the default limits, embedded store.
   */
  rateLimit?: RateLimitConfig;
  /**
   * The data-encryption keys from ENCRYPTION_KEYS; null: the keyring kept in
   * DATA_DIR/secrets.json (generated on first use). Opened by the runtime
   * (server/crypto/open-keyring.ts), not here, so that reading the
   * configuration never writes to the data folder on its own.
   */
  encryptionKeys?: KeySet | null;
  /**
   * Audit and observability (AUDIT_RETENTION_DAYS, METRICS_ENABLED). Always
   * set by loadConfig; where absent, DEFAULT_OBSERVABILITY applies.
   */
  observability?: ObservabilityConfig;
  /** ADMIN_2FA. Always set by loadConfig; where absent, DEFAULT_SECOND_FACTORS (required) applies. */
  secondFactors?: SecondFactorConfig;
}

/** Second factors (ADMIN_2FA): whether admins must have one. */
export interface SecondFactorConfig {
  admin: "required" | "optional";
}

/** Where a configuration is built by hand without one: the strict default. */
export const DEFAULT_SECOND_FACTORS: SecondFactorConfig = { admin: "required" };

export interface ObservabilityConfig {
  auditRetentionDays: number;
  metricsEnabled: boolean;
  /** AUDIT_HEAD_FILE, resolved: where the audit head hash is recorded outside the database (null: nowhere). */
  auditHeadFile?: string | null;
}

export const DEFAULT_OBSERVABILITY: ObservabilityConfig = { auditRetentionDays: 365, metricsEnabled: true };

/** HOST, WEB_CONCURRENCY and SHUTDOWN_TIMEOUT; the supervisor reads only these (server/serve/main.ts). */
export function servingOf(env: Env): ServingConfig {
  return {
    host: env.HOST,
    workers: env.WEB_CONCURRENCY ?? os.availableParallelism(),
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT,
  };
}

/** A host name (cut to what INSTANCE_ID allows) and the port: unique on a machine, readable in a list. */
function defaultInstanceId(port: number): string {
  const host =
    os
      .hostname()
      .replace(/[^A-Za-z0-9_.-]/g, "-")
      .slice(0, 58) || "gatehouse";
  return `${host}:${port}`;
}

/** Builds the configuration from an environment; secrets not given are generated in DATA_DIR. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const env = parseEnv(source);
  const appUrl = new URL(env.APP_URL ?? `http://localhost:${env.PORT}`);
  // With ENCRYPTION_KEYS the data folder keeps only the session secret: no keyring is generated there.
  const authSecret =
    env.AUTH_SECRET ??
    (env.ENCRYPTION_KEYS
      ? loadOrCreateSecrets(env.DATA_DIR, { keys: false }).authSecret
      : loadOrCreateSecrets(env.DATA_DIR).authSecret);
  return {
    port: env.PORT,
    serving: servingOf(env),
    dataDir: env.DATA_DIR,
    databaseFile: path.join(env.DATA_DIR, DATABASE_FILE),
    databaseUrl: env.DATABASE_URL ?? null,
    instanceId: env.INSTANCE_ID ?? defaultInstanceId(env.PORT),
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
    tokens: {
      defaultTtlMs: env.TOKEN_DEFAULT_TTL,
      maxTtlMs: env.TOKEN_MAX_TTL,
      allowNoExpiry: env.TOKEN_ALLOW_NO_EXPIRY,
    },
    rateLimit: rateLimitConfigFromEnv(env),
    encryptionKeys: env.ENCRYPTION_KEYS ?? null,
    secondFactors: { admin: env.ADMIN_2FA },
    observability: {
      auditRetentionDays: env.AUDIT_RETENTION_DAYS,
      metricsEnabled: env.METRICS_ENABLED,
      auditHeadFile: env.AUDIT_HEAD_FILE ? path.resolve(env.AUDIT_HEAD_FILE) : null,
    },
  };
}

let cached: Config | undefined;

/** The process-wide configuration, read on first use (never at import, so `next build` needs none). */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
