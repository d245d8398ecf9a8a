import { z } from "zod";
import { ACTOR_KINDS, OUTCOMES } from "@/db/schema";
import { listAuditActions } from "../../audit/actions";
import { auditExportInput, startExport } from "../../audit/export";
import { auditFilterInput, toAuditFilter } from "../../audit/filter";
import { verifyAuditChain } from "../../audit/verify";
import { listAudit } from "../../services/audit";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";

const entry = z.object({
  seq: z.number(),
  id: z.string(),
  at: z.string(),
  actorKind: z.enum(ACTOR_KINDS),
  actorId: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: z.enum(OUTCOMES),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
  prevHash: z.string(),
  hash: z.string(),
});

const chainBreak = z.object({
  seq: z.number(),
  id: z.string().nullable(),
  problem: z.enum(["edited", "link", "missing_start", "missing_end", "unhashed"]),
  message: z.string(),
});

export const adminAuditRouter = router({
  /** One page, newest first; every filter of the Audit page (server/audit/filter.ts). */
  list: adminProcedure
    .input(
      auditFilterInput.extend({
        cursor: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .output(z.object({ items: z.array(entry), nextCursor: z.number().nullable() }))
    .query(({ ctx, input }) => {
      const { cursor, limit, ...filter } = input;
      const page = listAudit(ctx.db, { ...toAuditFilter(filter), cursor, limit });
      return { ...page, items: page.items.map((row) => ({ ...row, at: row.at.toISOString() })) };
    }),

  /** The actions present in the log, grouped by area, for the action filter. */
  actions: adminProcedure
    .input(z.void())
    .output(z.array(z.object({ area: z.string(), actions: z.array(z.string()) })))
    .query(({ ctx }) => listAuditActions(ctx.db)),

  /** Checks the hash chain; reports the first broken link (server/audit/verify.ts). */
  verify: adminProcedure
    .input(z.void())
    .output(
      z.object({
        ok: z.boolean(),
        checked: z.number(),
        unchained: z.number(),
        head: z.object({ seq: z.number(), hash: z.string() }).nullable(),
        resumesAfter: z.object({ throughSeq: z.number(), throughHash: z.string() }).nullable(),
        broken: chainBreak.nullable(),
      }),
    )
    .query(({ ctx }) => verifyAuditChain(ctx.db)),

  /**
   * Records an export of the current filter in the audit log and fixes its
   * snapshot; the rows themselves stream from GET /api/admin/audit/export
   * (server/http/audit-export.ts), which calls this first.
   */
  startExport: adminProcedure
    .input(auditExportInput)
    .output(z.object({ throughSeq: z.number(), filename: z.string() }))
    .mutation(({ ctx, input }) => {
      const { format, ...filter } = input;
      return startExport(serviceContext(ctx), format, toAuditFilter(filter));
    }),
});
