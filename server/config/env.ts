import path from "node:path";
import { z } from "zod";
import { accountEmail } from "../auth/account-email";
import { KeySetError, parseEncryptionKeys } from "../crypto/key-set";
import { checkRateLimitEnv, rateLimitEnvShape } from "../ratelimit/config";
import { parseDuration } from "./duration";

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === null || ms <= 0) {
        ctx.addIssue({
          code: "custom",
          message: `must be a duration like 30m, 8h or 7d (got "${value.slice(0, 20)}")`,
        });
        return z.NEVER;
      }
      return ms;
    });

/** "true"/"false" (or 1/0, yes/no); anything else is an error, not a silent false. */
const flag = (fallback: "true" | "false") =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
    .default(fallback)
    .transform((v) => v === "true" || v === "1" || v === "yes");

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));

/**
 * Every setting Gatehouse reads from the environment. A bad value fails the
 * start-up with one line naming the variable; there is no silent insecure
 * fallback. Secrets that are not given are generated (see secrets.ts).
 */
export const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    /** Address to listen on. */
    HOST: z.string().min(1).default("0.0.0.0"),
    /** Worker processes of the server; unset: one per available core. 1 keeps a single process. */
    WEB_CONCURRENCY: optionalString.pipe(
      z
        .string()
        .regex(/^\d{1,2}$/, "must be a whole number from 1 to 64")
        .transform(Number)
        .pipe(z.number().int().min(1, "must be at least 1").max(64, "must be at most 64"))
        .optional(),
    ),
    /** How long a stopping worker waits for requests in flight (SIGTERM) before it closes their connections. */
    SHUTDOWN_TIMEOUT: duration("10s"),
    DATA_DIR: z.string().min(1).default("./data"),
    /**
     * PostgreSQL instead of the embedded SQLite file (db/postgres): every instance of a fleet on one
     * database. The message never repeats the URL: it may carry a password.
     */
    /** What this instance is called in /api/metrics and the dashboard's fleet list; default: host name and port. */
    INSTANCE_ID: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be 1 to 64 letters, digits, dots, colons, dashes or underscores")
        .optional(),
    ),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .refine((v) => /^postgres(ql)?:\/\/[^\s]+$/i.test(v), "must be a postgres:// or postgresql:// URL")
        .optional(),
    ),
    APP_URL: optionalString.pipe(
      z
        .url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })
        .refine(
          (u) => {
            try {
              const url = new URL(u);
              return url.pathname === "/" && !url.search && !url.hash;
            } catch {
              return false; // z.url already reported it; do not throw past zod
            }
          },
          {
            message: "must be an origin without a path, e.g. https://api.example.com",
          },
        )
        .optional(),
    ),
    AUTH_SECRET: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
    // The same rule as every account email (dashboard, CLI): admin@localhost, the default, is valid too.
    ADMIN_EMAIL: optionalString.pipe(accountEmail.optional()),
    ADMIN_PASSWORD: optionalString.pipe(
      z.string().min(12, "must be at least 12 characters").max(256, "must be at most 256 characters").optional(),
    ),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    SESSION_IDLE_TIMEOUT: duration("30m"),
    SESSION_ABSOLUTE_TIMEOUT: duration("8h"),
    TRUSTED_PROXIES: z.string().default(""),
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(100 * 1024 * 1024)
      .default(1024 * 1024),
    /** Lifetime of an API token created without an explicit expiry. */
    TOKEN_DEFAULT_TTL: duration("90d"),
    /** The longest lifetime anyone (dashboard, API or CLI) may give an API token. */
    TOKEN_MAX_TTL: duration("365d"),
    /** Whether tokens that never expire may be created at all. Off: every token dies eventually. */
    TOKEN_ALLOW_NO_EXPIRY: flag("false"),
    /**
     * Data-encryption root keys, `*k2:<43 base64url chars>,k1:<…>` with the
     * active one starred (format: server/crypto/key-set.ts). Unset: a keyring
     * is generated once into DATA_DIR/secrets.json. Errors never quote a key.
     */
    ENCRYPTION_KEYS: optionalString.transform((value, ctx) => {
      if (value === undefined) return undefined;
      try {
        return parseEncryptionKeys(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: error instanceof KeySetError ? error.message : "is not valid" });
        return z.NEVER;
      }
    }),
    /** How long audit entries are kept; older ones are pruned daily, leaving a checkpoint (server/audit/retention.ts). */
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
    /**
     * Where `gatehouse audit head` writes the audit log's head hash, and `gatehouse check` reads it back to
     * compare with the database (server/posture). Best on another disk or host: it anchors the unkeyed chain.
     */
    AUDIT_HEAD_FILE: optionalString,
    /** GET /api/metrics (Prometheus). On by default; it always needs a token with the metrics:read scope. */
    METRICS_ENABLED: flag("true"),
    /**
     * `required` (the default): an admin without a second factor can do nothing but enrol one
     * (server/auth/second-factor-gate.ts). `optional`: admins may go without, like members.
     */
    ADMIN_2FA: z.enum(["required", "optional"], { error: "must be required or optional" }).default("required"),
    /** RATE_LIMIT_* (`<count>/<window>`), RATE_LIMIT_TIMEOUT, REDIS_URL, UPSTASH_REDIS_REST_*: see server/ratelimit/config.ts. */
    ...rateLimitEnvShape,
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
      ctx.addIssue({
        code: "custom",
        path: [env.ADMIN_EMAIL ? "ADMIN_PASSWORD" : "ADMIN_EMAIL"],
        message: "ADMIN_EMAIL and ADMIN_PASSWORD must be given together",
      });
    }
    if (env.TOKEN_DEFAULT_TTL > env.TOKEN_MAX_TTL) {
      ctx.addIssue({
        code: "custom",
        path: ["TOKEN_DEFAULT_TTL"],
        message: "must not be longer than TOKEN_MAX_TTL",
      });
    }
  })
  .superRefine(checkRateLimitEnv);

export type Env = z.output<typeof envSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates the environment; throws a ConfigError whose message is one line per bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return { ...result.data, DATA_DIR: path.resolve(result.data.DATA_DIR) };
  const lines = result.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`);
  throw new ConfigError(`invalid configuration: ${lines.join("; ")}`);
}
