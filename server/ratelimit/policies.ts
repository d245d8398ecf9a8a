import type { RateLimitConfig } from "./config";
import type { Rule } from "./rule";
import type { LockoutRule } from "./store";

/**
 * Every rate-limit policy of Gatehouse, in one place: what it limits, per
 * what, with which quota (from the environment), and what happens when the
 * store cannot answer. The limiter (limiter.ts), the sign-in lockout
 * (sign-in-guard.ts), the headers, the dashboard and `gatehouse limits list`
 * all read them from here.
 *
 * Fail open or closed, decided per policy on purpose:
 * - ordinary API calls fail OPEN: a Redis outage must not take the whole API
 *   down with it; the call goes through, a warning is logged and the
 *   `storeFailures.open` counter grows (metrics.ts);
 * - sign-in and sensitive calls (token creation and rotation, password
 *   changes) fail CLOSED with 503: an outage must not turn into an unlimited
 *   password-guessing or token-minting window.
 */
export type PolicyName = "api" | "anon" | "oauth" | "sensitive" | "signin-account" | "signin-ip";

export interface Policy {
  name: PolicyName;
  /** One line for the dashboard and the CLI. */
  description: string;
  /** The environment variable that sets its quota. */
  env: string;
  /** What one counter belongs to. */
  per: "principal" | "client IP" | "user" | "account";
  onStoreFailure: "open" | "closed";
  rule: Rule;
  /** Whether an administrator's per-user or per-token override replaces the rule. */
  overridable: boolean;
}

export function policiesOf(config: RateLimitConfig): Record<PolicyName, Policy> {
  return {
    api: {
      name: "api",
      description: "Authenticated API calls: per user session or per API token (overrides apply)",
      env: "RATE_LIMIT_API",
      per: "principal",
      onStoreFailure: "open",
      rule: config.api,
      overridable: true,
    },
    anon: {
      name: "anon",
      description: "Calls without a valid credential: per client IP (resolved through trusted proxies only)",
      env: "RATE_LIMIT_ANON",
      per: "client IP",
      onStoreFailure: "open",
      rule: config.anon,
      overridable: false,
    },
    oauth: {
      name: "oauth",
      description:
        "OAuth token, introspection and revocation requests: per client IP, the anonymous quota, failing closed",
      env: "RATE_LIMIT_ANON",
      per: "client IP",
      onStoreFailure: "closed",
      rule: config.anon,
      overridable: false,
    },
    sensitive: {
      name: "sensitive",
      description: "Token creation and rotation, password changes: per user, on top of the API limit",
      env: "RATE_LIMIT_SENSITIVE",
      per: "user",
      onStoreFailure: "closed",
      rule: config.sensitive,
      overridable: false,
    },
    "signin-account": {
      name: "signin-account",
      description:
        "Failed sign-ins per account; reaching it locks the account (even for the right password), doubling each time",
      env: "RATE_LIMIT_SIGNIN",
      per: "account",
      onStoreFailure: "closed",
      rule: config.signin,
      overridable: false,
    },
    "signin-ip": {
      name: "signin-ip",
      description: "Failed sign-ins per client IP across all accounts; reaching it locks the IP out of sign-in",
      env: "RATE_LIMIT_SIGNIN_IP",
      per: "client IP",
      onStoreFailure: "closed",
      rule: config.signinIp,
      overridable: false,
    },
  };
}

/**
 * What a procedure costs beyond one unit of its caller's API quota, and the
 * stricter policy it also answers to. Procedures not listed cost 1 and answer
 * to `api` (or `anon`) only. Keys are procedure paths, the same on both
 * transports (policies.test.ts checks that each names a real procedure).
 *
 * Costs: a password hash (argon2id) takes ~50 ms of CPU, fifty times an
 * ordinary call.
 */
export const PROCEDURE_LIMITS: Readonly<Record<string, { cost?: number; sensitive?: true }>> = {
  "account.changePassword": { cost: 5, sensitive: true },
  "tokens.create": { sensitive: true },
  "tokens.rotate": { sensitive: true },
  "admin.users.create": { cost: 5 },
  "admin.users.setPassword": { cost: 5, sensitive: true },
  "admin.oauthClients.create": { sensitive: true },
  "admin.oauthClients.rotateSecret": { sensitive: true },
  // Credentials and keys made by the admin API count like their user-side and CLI counterparts.
  "admin.users.createToken": { sensitive: true },
  "admin.encryption.rotate": { cost: 5, sensitive: true },
  "admin.encryption.reencrypt": { cost: 5 },
};

export function procedureLimits(path: string): { cost: number; sensitive: boolean } {
  const entry = PROCEDURE_LIMITS[path];
  return { cost: entry?.cost ?? 1, sensitive: entry?.sensitive ?? false };
}

const HOUR_MS = 3_600_000;

/**
 * Sign-in lockouts escalate: the first lock lasts the policy's window (15
 * minutes by default), each further lock within a day of the previous one
 * twice as long, at most a day.
 */
export const LOCKOUT_MAX_MS = 24 * HOUR_MS;
export const LOCKOUT_MEMORY_MS = 24 * HOUR_MS;

export function lockoutRule(rule: Rule): LockoutRule {
  return {
    limit: rule.limit,
    windowMs: rule.windowMs,
    baseLockMs: rule.windowMs,
    maxLockMs: Math.max(LOCKOUT_MAX_MS, rule.windowMs),
    memoryMs: LOCKOUT_MEMORY_MS,
  };
}

/** Retry-After on a 503 from a fail-closed policy: the store may well be back by then. */
export const STORE_DOWN_RETRY_SECONDS = 5;
