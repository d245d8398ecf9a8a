import { z } from "zod";
import { parseDuration } from "../config/duration";
import { parseRule, type Rule } from "./rule";

/**
 * Where the counters live. With neither REDIS_URL nor UPSTASH_REDIS_REST_*,
 * the embedded store keeps them in the application's SQLite file (see
 * store-embedded.ts for why that, and not memory).
 */
export type StoreConfig =
  | { kind: "embedded" }
  | { kind: "redis"; url: string }
  | { kind: "upstash"; url: string; token: string };

export interface RateLimitConfig {
  /** RATE_LIMIT_API: per principal (user session, API token) for authenticated calls. */
  api: Rule;
  /** RATE_LIMIT_ANON: per client IP for calls without a (valid) credential. */
  anon: Rule;
  /** RATE_LIMIT_SIGNIN: failed sign-ins per account before it is locked out. */
  signin: Rule;
  /** RATE_LIMIT_SIGNIN_IP: failed sign-ins per client IP (any accounts) before the IP is locked out. */
  signinIp: Rule;
  /** RATE_LIMIT_SENSITIVE: token creation and rotation, password changes; per user. */
  sensitive: Rule;
  /** RATE_LIMIT_TIMEOUT: how long a store call may take before its policy's fail-open/closed decision applies. */
  timeoutMs: number;
  /** RATE_LIMIT_PREFIX: the key prefix in Redis, so several deployments can share one server. */
  prefix: string;
  store: StoreConfig;
}

export const DEFAULT_RATE_LIMITS = {
  RATE_LIMIT_API: "600/1m",
  RATE_LIMIT_ANON: "60/1m",
  RATE_LIMIT_SIGNIN: "5/15m",
  RATE_LIMIT_SIGNIN_IP: "50/15m",
  RATE_LIMIT_SENSITIVE: "20/1h",
  RATE_LIMIT_TIMEOUT: "300ms",
} as const;

/** The defaults, embedded store: what applies when a configuration is built by hand (tests) without one. */
export const DEFAULT_RATE_LIMIT_CONFIG: RateLimitConfig = {
  api: parseRule(DEFAULT_RATE_LIMITS.RATE_LIMIT_API) as Rule,
  anon: parseRule(DEFAULT_RATE_LIMITS.RATE_LIMIT_ANON) as Rule,
  signin: parseRule(DEFAULT_RATE_LIMITS.RATE_LIMIT_SIGNIN) as Rule,
  signinIp: parseRule(DEFAULT_RATE_LIMITS.RATE_LIMIT_SIGNIN_IP) as Rule,
  sensitive: parseRule(DEFAULT_RATE_LIMITS.RATE_LIMIT_SENSITIVE) as Rule,
  timeoutMs: 300,
  prefix: "gatehouse",
  store: { kind: "embedded" },
};

const rule = (name: keyof typeof DEFAULT_RATE_LIMITS) =>
  z
    .string()
    .default(DEFAULT_RATE_LIMITS[name])
    .transform((value, ctx) => {
      const parsed = parseRule(value);
      if (!parsed) {
        ctx.addIssue({
          code: "custom",
          message: `must be <count>/<window> with a window of whole seconds between 1s and 7d, e.g. ${DEFAULT_RATE_LIMITS[name]} (got "${value.slice(0, 20)}")`,
        });
        return z.NEVER;
      }
      return parsed;
    });

const blankIsUnset = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/**
 * The rate-limit variables, spread into the environment schema (config/env.ts).
 * Messages never repeat a URL or token: REDIS_URL may carry a password.
 */
export const rateLimitEnvShape = {
  RATE_LIMIT_API: rule("RATE_LIMIT_API"),
  RATE_LIMIT_ANON: rule("RATE_LIMIT_ANON"),
  RATE_LIMIT_SIGNIN: rule("RATE_LIMIT_SIGNIN"),
  RATE_LIMIT_SIGNIN_IP: rule("RATE_LIMIT_SIGNIN_IP"),
  RATE_LIMIT_SENSITIVE: rule("RATE_LIMIT_SENSITIVE"),
  RATE_LIMIT_TIMEOUT: z
    .string()
    .default(DEFAULT_RATE_LIMITS.RATE_LIMIT_TIMEOUT)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === null || ms < 10 || ms > 5000) {
        ctx.addIssue({ code: "custom", message: "must be a duration between 10ms and 5s, e.g. 300ms" });
        return z.NEVER;
      }
      return ms;
    }),
  RATE_LIMIT_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1 to 64 letters, digits, dots, dashes or underscores")
    .default("gatehouse"),
  REDIS_URL: blankIsUnset.pipe(
    z
      .string()
      .refine((v) => /^rediss?:\/\/[^\s]+$/.test(v), "must be a redis:// or rediss:// URL")
      .optional(),
  ),
  UPSTASH_REDIS_REST_URL: blankIsUnset.pipe(
    z
      .string()
      .refine((v) => /^https?:\/\/[^\s]+$/.test(v), "must be an https:// URL")
      .optional(),
  ),
  UPSTASH_REDIS_REST_TOKEN: blankIsUnset,
};

type RateLimitEnv = z.output<z.ZodObject<typeof rateLimitEnvShape>>;

/** Cross-field checks, added to the environment schema's superRefine. */
export function checkRateLimitEnv(env: RateLimitEnv, ctx: z.RefinementCtx): void {
  if (Boolean(env.UPSTASH_REDIS_REST_URL) !== Boolean(env.UPSTASH_REDIS_REST_TOKEN)) {
    ctx.addIssue({
      code: "custom",
      path: [env.UPSTASH_REDIS_REST_URL ? "UPSTASH_REDIS_REST_TOKEN" : "UPSTASH_REDIS_REST_URL"],
      message: "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be given together",
    });
  }
  if (env.REDIS_URL && env.UPSTASH_REDIS_REST_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["REDIS_URL"],
      message: "set either REDIS_URL or UPSTASH_REDIS_REST_URL, not both",
    });
  }
}

export function rateLimitConfigFromEnv(env: RateLimitEnv): RateLimitConfig {
  const store: StoreConfig = env.REDIS_URL
    ? { kind: "redis", url: env.REDIS_URL }
    : env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN
      ? { kind: "upstash", url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }
      : { kind: "embedded" };
  return {
    api: env.RATE_LIMIT_API,
    anon: env.RATE_LIMIT_ANON,
    signin: env.RATE_LIMIT_SIGNIN,
    signinIp: env.RATE_LIMIT_SIGNIN_IP,
    sensitive: env.RATE_LIMIT_SENSITIVE,
    timeoutMs: env.RATE_LIMIT_TIMEOUT,
    prefix: env.RATE_LIMIT_PREFIX,
    store,
  };
}
