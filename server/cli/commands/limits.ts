import { z } from "zod";
import { accountEmail } from "../../auth/account-email";
import { formatDuration, parseDuration } from "../../config/duration";
import { AppError } from "../../errors";
import { idPattern } from "../../ids";
import type { RateLimiter } from "../../ratelimit/limiter";
import { PROCEDURE_LIMITS } from "../../ratelimit/policies";
import { windowProblem } from "../../ratelimit/rule";
import { closeLimiterFor, limiterFor } from "../../ratelimit/runtime";
import { setOverrideInput } from "../../routers/rate-limits/schemas";
import { getRuntime } from "../../runtime";
import { clearLockout, type LockoutView, listLockouts } from "../../services/rate-limit-activity";
import {
  listOverrides,
  OVERRIDE_MAX_EXPIRY_MS,
  type OverrideSummary,
  overrideOf,
  removeOverride,
  setOverride,
} from "../../services/rate-limit-overrides";
import { findUserByEmail } from "../../services/users";
import type { CliContext } from "../context";
import { UsageError } from "../errors";
import { table } from "../output";
import { defineCommand } from "../registry";

/**
 * `limits …` commands: the policies, the overrides and the lockouts of the
 * dashboard's "Rate limits" page, through the same services (same checks,
 * same audit entries, actor `cli`). Lockouts live in the rate-limit store, so
 * the command reaches the same store as the server: set the same REDIS_URL
 * (or UPSTASH_REDIS_REST_*) for it, or none for the embedded store in DATA_DIR.
 */

// The admin.rateLimits procedures' own field rules (routers/rate-limits/schemas.ts), so both doors agree.
const email = accountEmail;
const emailFlag = {
  type: "string",
  schema: email.optional(),
  placeholder: "E",
  description: "the user's email",
} as const;

const duration = (what: string, check: (ms: number) => string | null) =>
  z
    .string()
    .trim()
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      const problem = ms === null ? `must be a duration like 30s, 1m, 1h or 1d` : check(ms);
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem.replace("the window", what) });
        return z.NEVER;
      }
      return ms as number;
    });

/** A command that needs the store: the limiter opens with the runtime and closes before the process exits. */
async function withLimiter<T>(ctx: CliContext, fn: (limiter: RateLimiter) => Promise<T>): Promise<T> {
  await ctx.services(); // opens the runtime (configuration, database) or fails with the usual messages
  const runtime = getRuntime();
  try {
    return await fn(limiterFor(runtime));
  } finally {
    await closeLimiterFor(runtime);
  }
}

function subjectOf(o: OverrideSummary): string {
  return `${o.subject.type} ${o.subject.label}`;
}

function status(o: OverrideSummary): string {
  if (o.expired) return "expired";
  return o.expiresAt ? `until ${o.expiresAt}` : "no end";
}

defineCommand({
  path: ["limits", "list"],
  summary: "Show the rate-limit policies, per-procedure costs, overrides and current sign-in lockouts.",
  flags: {},
  async run(ctx) {
    const svc = await ctx.services();
    return withLimiter(ctx, async (limiter) => {
      const policies = Object.values(limiter.policies).map((p) => ({
        name: p.name,
        limit: p.rule.limit,
        window: formatDuration(p.rule.windowMs),
        per: p.per,
        onStoreFailure: p.onStoreFailure,
        env: p.env,
        description: p.description,
      }));
      const overrides = await listOverrides(svc.db, svc.clock.now());
      const health = await limiter.health();
      let lockouts: LockoutView[] | null = null;
      if (health.ok) lockouts = await listLockouts(svc.db, limiter).catch(() => null);
      const text = [
        `Store: ${limiter.store.kind}${health.ok ? "" : " (NOT ANSWERING: lockouts unknown; sign-in and token creation refuse with 503)"}`,
        "",
        table(policies, [
          { header: "POLICY", value: (p) => p.name },
          { header: "LIMIT", value: (p) => `${p.limit}/${p.window}` },
          { header: "PER", value: (p) => p.per },
          { header: "IF STORE DOWN", value: (p) => (p.onStoreFailure === "open" ? "allow" : "refuse (503)") },
          { header: "SET BY", value: (p) => p.env },
        ]),
        "",
        "Procedure costs (units of the caller's API quota; * also counts against `sensitive`):",
        table(Object.entries(PROCEDURE_LIMITS), [
          { header: "PROCEDURE", value: ([path, l]) => `${path}${l.sensitive ? " *" : ""}` },
          { header: "COST", value: ([, l]) => String(l.cost ?? 1) },
        ]),
        "",
        "Overrides of the api policy:",
        table(
          overrides,
          [
            { header: "SUBJECT", value: subjectOf },
            { header: "LIMIT", value: (o) => `${o.limit}/${formatDuration(o.windowSeconds * 1000)}` },
            { header: "STATUS", value: status },
            { header: "NOTE", value: (o) => o.note ?? "" },
            { header: "ID", value: (o) => o.id },
          ],
          "(none)",
        ),
        "",
        "Sign-in lockouts:",
        lockouts === null
          ? "(unknown: the store does not answer)"
          : table(
              lockouts,
              [
                { header: "LOCKED", value: (l) => `${l.kind} ${l.label}` },
                { header: "UNTIL", value: (l) => l.lockedUntil },
                { header: "LEVEL", value: (l) => String(l.level) },
              ],
              "(none)",
            ),
      ].join("\n");
      return {
        json: {
          store: { kind: limiter.store.kind, ...health },
          policies,
          procedures: PROCEDURE_LIMITS,
          overrides,
          lockouts,
        },
        text,
      };
    });
  },
});

defineCommand({
  path: ["limits", "override"],
  summary:
    "Give one user (all their sessions and tokens) or one API token its own API limit, optionally for a while; --remove deletes it.",
  flags: {
    token: {
      type: "string",
      schema: z.string().regex(idPattern("token"), "must be a token id (tok_…)").optional(),
      placeholder: "ID",
      description: "the API token's id (tok_…)",
    },
    email: emailFlag,
    limit: {
      type: "string",
      schema: z
        .string()
        .regex(/^\d{1,10}$/, "must be a whole number")
        .transform(Number)
        .pipe(setOverrideInput.shape.limit)
        .optional(),
      placeholder: "N",
      description: "requests (cost units) per window",
    },
    window: {
      type: "string",
      schema: duration("--window", windowProblem).optional(),
      placeholder: "1m",
      description: "the window: whole seconds from 1s to 7d, e.g. 30s, 1m, 1h",
    },
    expiresIn: {
      type: "string",
      schema: duration("--expires-in", (ms) =>
        ms < 1_000 || ms > OVERRIDE_MAX_EXPIRY_MS ? "must be between 1s and 365d" : null,
      ).optional(),
      placeholder: "1d",
      description: "remove the override after this long (default: never)",
    },
    note: {
      type: "string",
      schema: setOverrideInput.shape.note,
      placeholder: "N",
      description: "why (shown in the dashboard)",
    },
    remove: { type: "boolean", schema: z.boolean().default(false), description: "delete the override instead" },
  },
  async run(ctx, input) {
    if (Boolean(input.token) === Boolean(input.email)) throw new UsageError("give exactly one of --token and --email");
    const svc = await ctx.services();
    let target: { type: "user"; id: string } | { type: "token"; id: string };
    if (input.email) {
      const user = await findUserByEmail(svc.db, input.email);
      if (!user) throw new AppError("NOT_FOUND", "No user with this email", "user_not_found");
      target = { type: "user", id: user.id };
    } else {
      target = { type: "token", id: input.token as string };
    }
    const who = input.email ? `user ${input.email}` : `token ${input.token}`;

    if (input.remove) {
      if (input.limit !== undefined || input.window !== undefined || input.expiresIn !== undefined) {
        throw new UsageError("--remove takes only --token or --email");
      }
      const existing = await overrideOf(svc.db, target);
      if (!existing) throw new AppError("NOT_FOUND", `No override for ${who}`, "override_not_found");
      await removeOverride(svc, existing.id);
      return {
        json: { removed: existing.id },
        text: `Removed the override for ${who}; the default API limit applies.`,
      };
    }
    if (input.limit === undefined || input.window === undefined) {
      throw new UsageError("--limit and --window are required (or --remove)");
    }
    const override = await setOverride(svc, target, {
      limit: input.limit,
      windowMs: input.window,
      expiresInMs: input.expiresIn ?? null,
      note: input.note,
    });
    const until = override.expiresAt ? ` until ${override.expiresAt}` : "";
    return {
      json: { override },
      text: `${who} may now make ${override.limit} requests per ${formatDuration(override.windowSeconds * 1000)}${until}.`,
    };
  },
});

defineCommand({
  path: ["limits", "unlock"],
  summary: "Clear a sign-in lockout (and the failures behind it) for an account, or for a client IP.",
  flags: {
    email: emailFlag,
    ip: {
      type: "string",
      schema: z
        .string()
        .trim()
        .regex(/^[0-9a-fA-F.:]{2,45}$/, "must be an IP address")
        .optional(),
      placeholder: "IP",
      description: "a client IP locked out of sign-in",
    },
  },
  async run(ctx, input) {
    if (Boolean(input.email) === Boolean(input.ip)) throw new UsageError("give exactly one of --email and --ip");
    const svc = await ctx.services();
    return withLimiter(ctx, async (limiter) => {
      const target = input.email ? { email: input.email } : { subject: `signin-ip:${input.ip}` };
      const { cleared } = await clearLockout(svc, limiter, target);
      const who = input.email ?? input.ip;
      const locks = cleared ? "" : " (there was no lockout)";
      return {
        json: { cleared },
        text: `Cleared the sign-in lockout of ${who}${locks}; it can sign in again now.`,
      };
    });
  },
});
