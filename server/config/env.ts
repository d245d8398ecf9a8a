import path from "node:path";
import { z } from "zod";
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
    DATA_DIR: z.string().min(1).default("./data"),
    APP_URL: optionalString.pipe(
      z
        .url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })
        .refine((u) => new URL(u).pathname === "/" && !new URL(u).search && !new URL(u).hash, {
          message: "must be an origin without a path, e.g. https://api.example.com",
        })
        .optional(),
    ),
    AUTH_SECRET: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
    ADMIN_EMAIL: optionalString.pipe(z.email("must be an email address").optional()),
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
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
      ctx.addIssue({
        code: "custom",
        path: [env.ADMIN_EMAIL ? "ADMIN_PASSWORD" : "ADMIN_EMAIL"],
        message: "ADMIN_EMAIL and ADMIN_PASSWORD must be given together",
      });
    }
  });

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
