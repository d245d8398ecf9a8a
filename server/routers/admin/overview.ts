import { count, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Executor } from "@/db";
import { contacts, users } from "@/db/schema";
import { getLogger } from "../../logger";
import { askAllWorkers } from "../../observability/cluster-channel";
import { listInstances } from "../../observability/instances";
import { activeSessionCount, activeTokenCount } from "../../observability/live-counts";
import { flushTraffic, HOUR_MS } from "../../observability/traffic";
import { type SERIES_METRICS, topKeys, trafficSeries } from "../../observability/traffic-report";
import { type PartyRef, partyOf, resolveParties } from "../../services/audit";
import { adminProcedure, router } from "../../trpc";

const RANGES = { "24h": 24, "7d": 7 * 24 } as const;
const perMetric = <T extends z.ZodType>(value: T) =>
  z.object({
    requests: value,
    client_errors: value,
    server_errors: value,
    rate_limited: value,
    sign_in_failures: value,
  } satisfies Record<(typeof SERIES_METRICS)[number], T>);
const seriesShape = perMetric(z.array(z.number()));
const totalsShape = perMetric(z.number());

/** The counters' principal ids with something a person recognises: one lookup statement for all of them. */
async function describePrincipals(db: Executor, ids: string[]): Promise<Map<string, PartyRef>> {
  const found = await resolveParties(db, ids);
  return new Map(ids.map((id) => [id, partyOf(id, found)]));
}

export const adminOverviewRouter = router({
  /** Headline counts for the dashboard landing page; each is one indexed count over a small table. */
  summary: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/overview",
        tags: ["admin-overview"],
        summary: "Headline counts: active and disabled users, contacts",
      },
    })
    .input(z.void())
    .output(
      z.object({
        activeUsers: z.number(),
        disabledUsers: z.number(),
        contacts: z.number(),
      }),
    )
    .query(async ({ ctx }) => {
      const n = async (q: { get(): Promise<{ n: number } | undefined> }) => (await q.get())?.n ?? 0;
      return {
        activeUsers: await n(ctx.db.select({ n: count() }).from(users).where(isNull(users.disabledAt))),
        disabledUsers: await n(
          ctx.db
            .select({ n: count() })
            .from(users)
            .where(gt(users.disabledAt, new Date(0))),
        ),
        contacts: await n(ctx.db.select({ n: count() }).from(contacts)),
      };
    }),

  /**
   * The Overview charts: hourly requests, 4xx, 5xx, 429s and failed sign-ins,
   * the busiest principals and the most rejected IPs, from the counters the
   * request pipeline keeps (server/observability/traffic.ts) — a few hundred
   * small rows, never a scan of the audit log. This process's pending counts
   * are written first, so the page is current; other processes' arrive
   * within their flush interval.
   */
  traffic: adminProcedure
    .input(z.strictObject({ range: z.enum(["24h", "7d"]).default("24h") }))
    .output(
      z.object({
        range: z.enum(["24h", "7d"]),
        hours: z.array(z.string()),
        series: seriesShape,
        totals: totalsShape,
        topPrincipals: z.array(
          z.object({
            id: z.string(),
            kind: z.string(),
            label: z.string(),
            email: z.string().nullable(),
            userId: z.string().nullable(),
            deleted: z.boolean(),
            count: z.number(),
          }),
        ),
        topRejectedIps: z.array(z.object({ ip: z.string(), count: z.number() })),
        activeSessions: z.number(),
        activeTokens: z.number(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const now = ctx.clock.now();
      try {
        // Every worker writes what it counted so far (this one included), so the charts show the whole server.
        await askAllWorkers("flush-traffic", () => flushTraffic(ctx.db, now));
      } catch (error) {
        // Show what is stored; the periodic flush will try again.
        getLogger().warn({ err: error }, "could not write traffic counters before reading them");
      }
      const hours = RANGES[input.range];
      const since = new Date(now.getTime() - (hours - 1) * HOUR_MS);
      const report = await trafficSeries(ctx.db, now, hours);
      const principals = await topKeys(ctx.db, "principal", since, 8);
      const names = await describePrincipals(
        ctx.db,
        principals.map((p) => p.key),
      );
      return {
        range: input.range,
        ...report,
        topPrincipals: principals.map((p) => {
          const who = names.get(p.key);
          return {
            id: p.key,
            kind: who?.kind ?? "other",
            label: who?.label ?? p.key,
            email: who?.email ?? null,
            userId: who?.userId ?? null,
            deleted: who?.deleted ?? false,
            count: p.count,
          };
        }),
        topRejectedIps: (await topKeys(ctx.db, "rejected_ip", since, 8)).map((r) => ({ ip: r.key, count: r.count })),
        activeSessions: await activeSessionCount(ctx.db, now),
        activeTokens: await activeTokenCount(ctx.db, now),
      };
    }),

  /**
   * The fleet: every instance that served this database in the last week
   * (observability/instances.ts), with the one that answered marked, so a
   * page of figures says which instance it came from.
   */
  instances: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/overview/instances",
        tags: ["admin-overview"],
        summary: "The instances serving this database, which answered, and which went silent",
      },
    })
    .input(z.void())
    .output(
      z.object({
        self: z.string().nullable(),
        instances: z.array(
          z.object({
            id: z.string(),
            startedAt: z.iso.datetime(),
            lastSeenAt: z.iso.datetime(),
            workers: z.number(),
            store: z.enum(["sqlite", "postgres"]),
            version: z.string(),
            live: z.boolean(),
          }),
        ),
      }),
    )
    .query(async ({ ctx }) => ({
      self: ctx.config?.instanceId ?? null,
      instances: (await listInstances(ctx.db, ctx.clock.now())).map((row) => ({
        ...row,
        startedAt: row.startedAt.toISOString(),
        lastSeenAt: row.lastSeenAt.toISOString(),
      })),
    })),
});
