import { z } from "zod";
import type { Context } from "../../context";
import { AppError, notFound } from "../../errors";
import { idPattern } from "../../ids";
import { askAllWorkers } from "../../observability/cluster-channel";
import type { RateLimiter } from "../../ratelimit/limiter";
import { metricsSnapshot, type RateLimitMetrics, sumMetrics } from "../../ratelimit/metrics";
import { LOCKOUT_MAX_MS, LOCKOUT_MEMORY_MS, PROCEDURE_LIMITS } from "../../ratelimit/policies";
import { pageOf, pageSchema } from "../../services/page-cursor";
import { clearLockout, listLockouts, topRejected } from "../../services/rate-limit-activity";
import {
  effectiveTokenLimits,
  listOverrides,
  type OverrideSummary,
  removeOverride,
  setOverride,
} from "../../services/rate-limit-overrides";
import { findUserByEmail, getUserRow } from "../../services/users";
import { adminProcedure, router } from "../../trpc";
import {
  listOverridesInput,
  type OverrideSort,
  setOverrideInput,
  tokenLimitsSchema,
  toTokenLimitView,
  unlockInput,
} from "../rate-limits/schemas";
import { serviceContext } from "../service-context";

/** The runtime's limiter; a context built by hand without one cannot reach the store. */
function limiterOf(ctx: Pick<Context, "limiter">): RateLimiter {
  if (!ctx.limiter)
    throw new AppError("SERVICE_UNAVAILABLE", "No rate limiter in this context", "rate_limit_unavailable");
  return ctx.limiter;
}

const userId = z.string().regex(idPattern("user"), "must be a user id (usr_…)");

const subjectSchema = z.object({
  subject: z.string(),
  kind: z.enum(["user", "token", "ip", "account"]),
  label: z.string(),
  id: z.string().nullable(),
});

const overrideSchema = z.object({
  id: z.string(),
  subject: z.object({ type: z.enum(["user", "token"]), id: z.string(), label: z.string() }),
  limit: z.number().int(),
  windowSeconds: z.number().int(),
  expiresAt: z.string().nullable(),
  expired: z.boolean(),
  note: z.string().nullable(),
  setBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/**
 * Each order of the overrides: its key, compared as a string, and its default direction. Labels are
 * compared case-folded; an override that never ends sorts after every date ("~" follows the digits).
 */
const OVERRIDE_ORDERS: Record<OverrideSort, { key: (o: OverrideSummary) => string; direction: "asc" | "desc" }> = {
  createdAt: { key: (o) => o.createdAt, direction: "desc" },
  subject: { key: (o) => o.subject.label.toLowerCase(), direction: "asc" },
  expiresAt: { key: (o) => o.expiresAt ?? "~", direction: "asc" },
};

const LAST_HOUR_MS = 3_600_000;
const TAGS = ["admin-rate-limits"];
const overrideId = z.string().regex(idPattern("rateLimitOverride"), "must be an override id (rlo_…)");

/**
 * admin.rateLimits: the "Rate limits" page of the dashboard. Policies with
 * their values (server/ratelimit/policies.ts), per-user and per-token
 * overrides (audited), who is being limited in the last hour, and lockouts
 * with the button that clears one (audited).
 */
export const adminRateLimitsRouter = router({
  overview: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/rate-limits",
        tags: TAGS,
        summary: "Policies, store health and counters",
      },
    })
    .input(z.void())
    .output(
      z.object({
        store: z.object({
          kind: z.enum(["embedded", "postgres", "redis", "upstash"]),
          ok: z.boolean(),
          latencyMs: z.number().nullable(),
        }),
        timeoutMs: z.number(),
        policies: z.array(
          z.object({
            name: z.string(),
            description: z.string(),
            env: z.string(),
            per: z.string(),
            onStoreFailure: z.enum(["open", "closed"]),
            overridable: z.boolean(),
            limit: z.number().int(),
            windowSeconds: z.number().int(),
          }),
        ),
        procedures: z.array(z.object({ path: z.string(), cost: z.number().int(), sensitive: z.boolean() })),
        lockout: z.object({ maxLockSeconds: z.number().int(), memorySeconds: z.number().int() }),
        metrics: z.object({
          checks: z.number(),
          rejected: z.number(),
          storeFailures: z.object({ open: z.number(), closed: z.number() }),
          lastStoreFailureAt: z.string().nullable(),
        }),
      }),
    )
    .query(async ({ ctx }) => {
      const limiter = limiterOf(ctx);
      // The whole server's counters, every worker's added up (observability/cluster-channel.ts).
      const metrics = sumMetrics(await askAllWorkers<RateLimitMetrics>("ratelimit-metrics", metricsSnapshot));
      return {
        store: { kind: limiter.store.kind, ...(await limiter.health()) },
        timeoutMs: limiter.config.timeoutMs,
        policies: Object.values(limiter.policies).map((p) => ({
          name: p.name,
          description: p.description,
          env: p.env,
          per: p.per,
          onStoreFailure: p.onStoreFailure,
          overridable: p.overridable,
          limit: p.rule.limit,
          windowSeconds: p.rule.windowMs / 1000,
        })),
        procedures: Object.entries(PROCEDURE_LIMITS).map(([path, l]) => ({
          path,
          cost: l.cost ?? 1,
          sensitive: l.sensitive ?? false,
        })),
        lockout: { maxLockSeconds: LOCKOUT_MAX_MS / 1000, memorySeconds: LOCKOUT_MEMORY_MS / 1000 },
        metrics: {
          ...metrics,
          lastStoreFailureAt: metrics.lastStoreFailureAt ? new Date(metrics.lastStoreFailureAt).toISOString() : null,
        },
      };
    }),

  overrides: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/rate-limits/overrides",
        tags: TAGS,
        summary: "The per-user and per-token overrides",
      },
    })
    .input(listOverridesInput.optional())
    .output(pageSchema(overrideSchema))
    .query(async ({ ctx, input }) => {
      const sort = input?.sort ?? "createdAt";
      const { key, direction } = OVERRIDE_ORDERS[sort];
      // Without sort or direction the order is the one this list always had, and so is its cursor's form.
      const named = input?.sort !== undefined || input?.direction !== undefined;
      return pageOf(await listOverrides(ctx.db, ctx.clock.now()), input, {
        key,
        id: (o) => o.id,
        direction: input?.direction ?? direction,
        sort: named ? sort : undefined,
      });
    }),

  override: adminProcedure
    .meta({
      openapi: { method: "GET", path: "/admin/rate-limits/overrides/{id}", tags: TAGS, summary: "One override" },
    })
    .input(z.strictObject({ id: overrideId }))
    .output(overrideSchema)
    .query(async ({ ctx, input }) => {
      const found = (await listOverrides(ctx.db, ctx.clock.now())).find((o) => o.id === input.id);
      if (!found) throw notFound("Override");
      return found;
    }),

  setOverride: adminProcedure
    .meta({
      created: { location: "/admin/rate-limits/overrides/{id}" },
      openapi: {
        method: "POST",
        path: "/admin/rate-limits/overrides",
        tags: TAGS,
        summary: "Set the api limit of a user or a token",
        description: "One override per user or token: setting it again replaces it (same id).",
      },
    })
    .input(setOverrideInput)
    .output(overrideSchema)
    .mutation(async ({ ctx, input }) => {
      let target: { type: "user"; id: string } | { type: "token"; id: string };
      if (input.target.type === "user") {
        const user = await findUserByEmail(ctx.db, input.target.email);
        if (!user) throw new AppError("NOT_FOUND", "No user with this email", "user_not_found");
        target = { type: "user", id: user.id };
      } else {
        target = { type: "token", id: input.target.id };
      }
      return setOverride(serviceContext(ctx), target, {
        limit: input.limit,
        windowMs: input.windowSeconds * 1000,
        expiresInMs: input.expiresInSeconds == null ? null : input.expiresInSeconds * 1000,
        note: input.note,
      });
    }),

  removeOverride: adminProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/admin/rate-limits/overrides/{id}",
        tags: TAGS,
        summary: "Remove an override",
      },
    })
    .input(z.strictObject({ id: overrideId }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await removeOverride(serviceContext(ctx), input.id);
      return { ok: true as const };
    }),

  /** Who is being limited now: top principals and IPs by 429s in the last hour, and current lockouts. */
  activity: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/rate-limits/activity",
        tags: TAGS,
        summary: "Who was limited in the last hour; current lockouts",
      },
    })
    .input(z.void())
    .output(
      z.object({
        windowSeconds: z.number().int(),
        top: z.array(subjectSchema.extend({ count: z.number().int() })),
        lockouts: z.array(subjectSchema.extend({ lockedUntil: z.string(), level: z.number().int() })),
      }),
    )
    .query(async ({ ctx }) => {
      const limiter = limiterOf(ctx);
      const [top, lockouts] = await Promise.all([
        topRejected(ctx.db, limiter, LAST_HOUR_MS, 20),
        listLockouts(ctx.db, limiter, 100),
      ]);
      return { windowSeconds: LAST_HOUR_MS / 1000, top, lockouts };
    }),

  /** Clears a sign-in lockout: of an account by email, or of a lockout listed by `activity` (account or IP). */
  unlock: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/rate-limits/unlock",
        tags: TAGS,
        summary: "Clear a sign-in lockout (of an account by email, or a subject listed by activity)",
      },
    })
    .input(unlockInput)
    .output(z.object({ cleared: z.boolean(), subject: z.string() }))
    .mutation(({ ctx, input }) =>
      clearLockout(
        serviceContext(ctx),
        limiterOf(ctx),
        input.email !== undefined ? { email: input.email } : { subject: input.subject as string },
      ),
    ),

  /** Each of a user's tokens with its effective API limit (for the admin tokens page). */
  tokenLimits: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/users/{userId}/token-limits",
        tags: TAGS,
        summary: "The effective api limit of each of a user's tokens",
      },
    })
    .input(z.strictObject({ userId }))
    .output(tokenLimitsSchema)
    .query(async ({ ctx, input }) => {
      // An unknown user is a 404, not an empty list.
      await getUserRow(ctx.db, input.userId);
      const fallback = limiterOf(ctx).config.api;
      return {
        default: { limit: fallback.limit, windowSeconds: fallback.windowMs / 1000 },
        items: (await effectiveTokenLimits(ctx.db, input.userId, ctx.clock.now(), fallback)).map(toTokenLimitView),
      };
    }),
});
