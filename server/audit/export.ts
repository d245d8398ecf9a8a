import { desc } from "drizzle-orm";
import { z } from "zod";
import type { Executor } from "@/db";
import { type AuditRow, auditLog } from "@/db/schema";
import { recordAudit } from "../services/audit";
import type { ServiceContext } from "../services/context";
import { type AuditFilter, auditFilterInput, auditPage } from "./filter";

/**
 * Export of the audit log (the current filter) as CSV or NDJSON, oldest
 * first, streamed in batches: memory stays flat whatever the size, and the
 * hash columns are included so the chain can be re-checked offline.
 *
 * CSV (RFC 4180): every cell quoted, quotes doubled, CRLF line ends. Cells
 * are also neutralised against formula injection (OWASP "CSV injection"): a
 * cell starting with = + - @, a tab, CR or LF (or their full-width forms) gets
 * a leading apostrophe, so a spreadsheet shows text instead of running a
 * formula an attacker put in a user name or a user agent.
 *
 * NDJSON: one JSON object per line (JSON.stringify escapes newlines, so a
 * value can never break a line), `detail` as an object.
 */
export const EXPORT_FORMATS = ["csv", "ndjson"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_BATCH = 1_000;

/** What an export is asked with: a format and the Audit page's filters (tRPC input and the route's query string). */
export const auditExportInput = auditFilterInput.extend({ format: z.enum(EXPORT_FORMATS) });

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
};

const COLUMNS = [
  "seq",
  "id",
  "at",
  "actor_kind",
  "actor_id",
  "action",
  "target_type",
  "target_id",
  "outcome",
  "ip",
  "user_agent",
  "request_id",
  "detail",
  "prev_hash",
  "hash",
] as const;

const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '""';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

function csvLine(cells: Array<string | number | null>): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

export function csvHeader(): string {
  return csvLine([...COLUMNS]);
}

export function csvRow(row: AuditRow): string {
  return csvLine([
    row.seq,
    row.id,
    row.at.toISOString(),
    row.actorKind,
    row.actorId,
    row.action,
    row.targetType,
    row.targetId,
    row.outcome,
    row.ip,
    row.userAgent,
    row.requestId,
    row.detail ? JSON.stringify(row.detail) : null,
    row.prevHash,
    row.hash,
  ]);
}

export function ndjsonLine(row: AuditRow): string {
  return `${JSON.stringify({
    seq: row.seq,
    id: row.id,
    at: row.at.toISOString(),
    actorKind: row.actorKind,
    actorId: row.actorId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    outcome: row.outcome,
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    detail: row.detail,
    prevHash: row.prevHash,
    hash: row.hash,
  })}\n`;
}

/** One batch of the export, oldest first, after `afterSeq` and up to the snapshot's `throughSeq`. */
export async function exportBatch(
  db: Executor,
  filter: AuditFilter,
  afterSeq: number,
  throughSeq: number,
  limit = EXPORT_BATCH,
): Promise<AuditRow[]> {
  return await auditPage(db, filter, { direction: "asc", cursor: afterSeq, throughSeq, limit });
}

/**
 * The export as text chunks, one per batch (the CSV header first). Each
 * batch is its own short query, so a slow reader never holds a transaction
 * open; `throughSeq` (the head when the export began) keeps it a snapshot of
 * what existed then.
 */
export async function* exportChunks(
  db: Executor,
  filter: AuditFilter,
  format: ExportFormat,
  throughSeq: number,
  batchSize = EXPORT_BATCH,
): AsyncGenerator<string> {
  if (format === "csv") yield csvHeader();
  let after = 0;
  for (;;) {
    const rows = await exportBatch(db, filter, after, throughSeq, batchSize);
    if (rows.length === 0) return;
    yield rows.map(format === "csv" ? csvRow : ndjsonLine).join("");
    after = (rows.at(-1) as AuditRow).seq;
    if (rows.length < batchSize) return;
  }
}

/** A byte stream over exportChunks with backpressure: the next batch is read only when the consumer pulls. */
export async function exportStream(
  db: Executor,
  filter: AuditFilter,
  format: ExportFormat,
  throughSeq: number,
): Promise<ReadableStream<Uint8Array>> {
  const chunks = exportChunks(db, filter, format, throughSeq);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

export interface StartedExport {
  throughSeq: number;
  filename: string;
}

/**
 * Records the export in the audit log (who exported what, in which format)
 * BEFORE any row is sent, so an export cannot happen unrecorded even if the
 * download is interrupted, and fixes its snapshot (the head at that moment,
 * the export's own entry included).
 */
export async function startExport(
  svc: ServiceContext,
  format: ExportFormat,
  filter: AuditFilter,
): Promise<StartedExport> {
  return await svc.db.transaction(
    async (tx) => {
      await recordAudit(tx, svc.clock, {
        actor: svc.actor,
        action: "audit.export",
        client: svc.client,
        detail: { format, filter: describeFilter(filter) },
      });
      const last = await tx.select({ seq: auditLog.seq }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1).get();
      const stamp = svc.clock
        .now()
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d+Z$/, "Z");
      return {
        throughSeq: last?.seq ?? 0,
        filename: `gatehouse-audit-${stamp}.${format === "csv" ? "csv" : "ndjson"}`,
      };
    },
    { behavior: "immediate" },
  );
}

/** The filter as it goes into the export's audit entry: only what was set, dates as ISO text. */
export function describeFilter(filter: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    out[key] = value instanceof Date ? value.toISOString() : String(value);
  }
  return out;
}
