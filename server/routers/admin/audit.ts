import { z } from "zod";
import { ACTOR_KINDS, OUTCOMES } from "@/db/schema";
import { listAuditActions } from "../../audit/actions";
import { auditExportInput, startExport } from "../../audit/export";
import { auditFilterInput, toAuditFilter } from "../../audit/filter";
import { verifyAuditChain } from "../../audit/verify";
import { listAudit } from "../../services/audit";
import {
  cursorInput,
  decodeCursor,
  decodeSortedCursor,
  encodeSortedCursor,
  pageSchema,
  type SortOrder,
} from "../../services/page-cursor";
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

/**
 * The seq of the last entry shown, from a cursor made in this order. A cursor
 * carries its direction (["seq", direction, seq], services/page-cursor.ts) and
 * is refused under the other, naming `cursor`. A cursor of the shape from
 * before the log could be read oldest first ([seq]) is still read, newest
 * first: the only order there was.
 */
function afterSeq(cursor: string | undefined, order: SortOrder): number | undefined {
  if (!cursor) return undefined;
  if (order.direction === "desc") {
    try {
      return decodeCursor(cursor, ["int"])[0] as number;
    } catch {
      // Not the old shape: read as a cursor with its order below.
    }
  }
  return decodeSortedCursor(cursor, order, ["int"])[0] as number;
}

export const adminAuditRouter = router({
  /** One page, newest first unless asked otherwise; every filter of the Audit page (server/audit/filter.ts). */
  list: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/audit",
        tags: TAGS,
        summary: "The audit log, newest first (or oldest first)",
      },
    })
    .input(
      auditFilterInput.extend({
        direction: z
          .enum(["asc", "desc"], { error: "must be asc or desc" })
          .default("desc")
          .describe(
            "By time (the chain's seq order): desc, newest first (default), or asc, oldest first. A cursor is only good for its own direction.",
          ),
        cursor: cursorInput,
        limit: z.number().int().min(1).max(200).default(50).describe("Page size; default 50, at most 200"),
      }),
    )
    .output(pageSchema(entry))
    .query(async ({ ctx, input }) => {
      const { cursor, limit, direction, ...filter } = input;
      // One sort (seq, which is time order); the cursor names it with the direction, like the sorted lists'.
      const order: SortOrder = { sort: "seq", direction };
      const after = afterSeq(cursor, order);
      const page = await listAudit(ctx.db, { ...toAuditFilter(filter), direction, cursor: after, limit });
      return {
        items: page.items.map((row) => ({ ...row, at: row.at.toISOString() })),
        nextCursor: page.nextCursor === null ? null : encodeSortedCursor(order, [page.nextCursor]),
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
