import { and, count, eq, gt, gte, isNull } from "drizzle-orm";
import { z } from "zod";
import { auditLog, contacts, sessions, users } from "@/db/schema";
import { adminProcedure, router } from "../../trpc";

export const adminOverviewRouter = router({
  /** Headline figures for the dashboard landing page; each is one indexed count. */
  summary: adminProcedure
    .input(z.void())
    .output(
      z.object({
        activeUsers: z.number(),
        disabledUsers: z.number(),
        activeSessions: z.number(),
        contacts: z.number(),
        auditEntries24h: z.number(),
        failedSignIns24h: z.number(),
      }),
    )
    .query(({ ctx }) => {
      const now = ctx.clock.now();
      const dayAgo = new Date(now.getTime() - 86_400_000);
      const n = (q: { get(): { n: number } | undefined }) => q.get()?.n ?? 0;
      return {
        activeUsers: n(ctx.db.select({ n: count() }).from(users).where(isNull(users.disabledAt))),
        disabledUsers: n(
          ctx.db
            .select({ n: count() })
            .from(users)
            .where(gt(users.disabledAt, new Date(0))),
        ),
        activeSessions: n(ctx.db.select({ n: count() }).from(sessions).where(gt(sessions.expiresAt, now))),
        contacts: n(ctx.db.select({ n: count() }).from(contacts)),
        auditEntries24h: n(ctx.db.select({ n: count() }).from(auditLog).where(gte(auditLog.at, dayAgo))),
        failedSignIns24h: n(
          ctx.db
            .select({ n: count() })
            .from(auditLog)
            .where(and(eq(auditLog.action, "session.login_failed"), gte(auditLog.at, dayAgo))),
        ),
      };
    }),
});
