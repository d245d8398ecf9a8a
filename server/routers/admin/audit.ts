import { z } from "zod";
import { ACTOR_KINDS, OUTCOMES } from "@/db/schema";
import { listAuditActions } from "../../audit/actions";
import { auditExportInput, startExport } from "../../audit/export";
import { auditFilterInput, toAuditFilter } from "../../audit/filter";
import { verifyAuditChain } from "../../audit/verify";
import { listAudit } from "../../services/audit";
import { cursorInput, decodeCursor, encodeCursor, pageSchema } from "../../services/page-cursor";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import { party } from "./party-schema";

const TAGS = ["admin-audit"];

const entry = z
  .object({
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
    actor: party,
    target: party.nullable(),
  })
  .meta({ id: "AuditEntry" });

const chainBreak = z.object({
  seq: z.number(),
  id: z.string().nullable(),
  problem: z.enum(["edited", "link", "missing_start", "missing_end", "unhashed"]),
  message: z.string(),
});

export const adminAuditRouter = router({
  /** One page, newest first; every filter of the Audit page (server/audit/filter.ts). */
  list: adminProcedure
    .meta({ openapi: { method: "GET", path: "/admin/audit", tags: TAGS, summary: "The audit log, newest first" } })
    .input(
      auditFilterInput.extend({
        cursor: cursorInput,
        limit: z.number().int().min(1).max(200).default(50).describe("Page size; default 50, at most 200"),
      }),
    )
    .output(pageSchema(entry))
    .query(({ ctx, input }) => {
      const { cursor, limit, ...filter } = input;
      // The cursor wraps the seq of the last entry shown (the one page scheme, services/page-cursor.ts).
      const after = cursor ? (decodeCursor(cursor, ["int"])[0] as number) : undefined;
      const page = listAudit(ctx.db, { ...toAuditFilter(filter), cursor: after, limit });
      return {
        items: page.items.map((row) => ({ ...row, at: row.at.toISOString() })),
        nextCursor: page.nextCursor === null ? null : encodeCursor([page.nextCursor]),
      };
    }),

  /** The actions present in the log, grouped by area, for the action filter. */
  actions: adminProcedure
    .meta({
      openapi: { method: "GET", path: "/admin/audit/actions", tags: TAGS, summary: "The actions in the log, by area" },
    })
    .input(z.void())
    .output(z.array(z.object({ area: z.string(), actions: z.array(z.string()) })))
    .query(({ ctx }) => listAuditActions(ctx.db)),

  /** Checks the hash chain; reports the first broken link (server/audit/verify.ts). */
  verify: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/audit/verify",
        tags: TAGS,
        summary: "Check the hash chain; the first broken link if any",
      },
    })
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
   * (server/http/audit-export.ts), which calls this first. On REST it is
   * GET /api/v1/admin/audit/export: the REST door runs it through the bridge
   * like any operation, then streams the rows (server/http/rest-handler.ts,
   * STREAMED), so the export is audited and rate-limited once, on either door.
   */
  startExport: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/audit/export",
        tags: TAGS,
        summary: "Export the entries matching the filters, streamed as CSV or NDJSON",
        description:
          "The answer is the file itself (text/csv or application/x-ndjson), streamed, with Content-Disposition; the export is recorded in the audit log first.",
      },
    })
    .input(auditExportInput)
    .output(z.object({ throughSeq: z.number(), filename: z.string() }))
    .mutation(({ ctx, input }) => {
      const { format, ...filter } = input;
      return startExport(serviceContext(ctx), format, toAuditFilter(filter));
    }),
});
