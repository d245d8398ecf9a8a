import { once } from "node:events";
import { z } from "zod";
import { OUTCOMES } from "@/db/schema";
import { EXPORT_FORMATS, exportChunks, startExport } from "../../audit/export";
import { auditFilterInput, toAuditFilter } from "../../audit/filter";
import { pruneAuditLog } from "../../audit/retention";
import { verifyAuditChain } from "../../audit/verify";
import { DEFAULT_OBSERVABILITY } from "../../config";
import { parseDuration } from "../../config/duration";
import { AppError } from "../../errors";
import { getRuntime } from "../../runtime";
import { defineCommand } from "../registry";

/**
 * `audit …` commands: check the hash chain, export (the same rows, format
 * and audit entry as the Audit page's Export buttons, actor `cli`), and run
 * retention now (what the server does daily), e.g. from cron.
 */

/** `--since 7d` (that long ago) or an ISO-8601 instant. */
const instant = z
  .string()
  .trim()
  .max(40)
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms !== null && ms > 0) return new Date(Date.now() - ms).toISOString();
    const date = new Date(value);
    if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(date.getTime())) return date.toISOString();
    ctx.addIssue({ code: "custom", message: "must be a duration like 24h or 7d, or a date like 2026-01-15T00:00:00Z" });
    return z.NEVER;
  })
  .optional();

defineCommand({
  path: ["audit", "verify"],
  summary: "Check the audit log's hash chain; exit code 1 and the first broken link if it was tampered with.",
  flags: {},
  async run(ctx) {
    const report = await verifyAuditChain((await ctx.services()).db);
    if (!report.ok && report.broken) {
      throw new AppError("CONFLICT", `audit chain broken at seq ${report.broken.seq}: ${report.broken.message}`);
    }
    const head = report.head ? `head seq ${report.head.seq}, hash ${report.head.hash}` : "no entries yet";
    const notes = [
      report.resumesAfter ? `starts after retention checkpoint seq ${report.resumesAfter.throughSeq}` : null,
      report.unchained > 0 ? `${report.unchained} entries from before the chain existed were not checked` : null,
    ].filter(Boolean);
    return {
      json: report,
      text: `Audit chain intact: ${report.checked} ${report.checked === 1 ? "entry" : "entries"} checked (${head}).${notes.length ? `\n${notes.join("\n")}` : ""}`,
    };
  },
});

defineCommand({
  path: ["audit", "export"],
  summary: "Write the audit log (optionally filtered) to stdout as CSV or NDJSON, oldest first; the export is audited.",
  flags: {
    format: {
      type: "string",
      schema: z.enum(EXPORT_FORMATS, { error: "must be csv or ndjson" }),
      placeholder: EXPORT_FORMATS.join("|"),
      description: "CSV (spreadsheet-safe) or one JSON object per line",
    },
    since: { type: "string", schema: instant, placeholder: "WHEN", description: "from this instant, or e.g. 7d ago" },
    until: { type: "string", schema: instant, placeholder: "WHEN", description: "up to this instant, or e.g. 1h ago" },
    action: {
      type: "string",
      schema: auditFilterInput.shape.action,
      placeholder: "A",
      description: "an action (contact.delete) or a whole area (contact.)",
    },
    actor: { type: "string", schema: auditFilterInput.shape.actorId, placeholder: "ID", description: "actor id" },
    outcome: {
      type: "string",
      schema: z.enum(OUTCOMES, { error: `must be one of ${OUTCOMES.join(", ")}` }).optional(),
      placeholder: OUTCOMES.join("|"),
      description: "only entries with this outcome",
    },
  },
  async run(ctx, input) {
    const svc = await ctx.services();
    const filter = toAuditFilter({
      since: input.since,
      until: input.until,
      action: input.action,
      actorId: input.actor,
      outcome: input.outcome,
    });
    const { throughSeq } = await startExport(svc, input.format, filter);
    for await (const chunk of exportChunks(svc.db, filter, input.format, throughSeq)) {
      // Respect the pipe: wait when the reader is slower than the database.
      if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
    }
    return { json: null, text: "", streamed: true };
  },
});

defineCommand({
  path: ["audit", "prune"],
  summary: "Remove audit entries older than AUDIT_RETENTION_DAYS now (the server also does this daily).",
  flags: {},
  async run(ctx) {
    const svc = await ctx.services();
    const retentionDays = (getRuntime().config.observability ?? DEFAULT_OBSERVABILITY).auditRetentionDays;
    const result = await pruneAuditLog(svc.db, svc.clock, { retentionDays, actor: svc.actor, client: svc.client });
    return {
      json: { ...result, retentionDays },
      text:
        result.removed > 0
          ? `Removed ${result.removed} entries older than ${result.cutoff} (${retentionDays} days); the chain resumes from a checkpoint.`
          : `Nothing to remove: no entry is older than ${result.cutoff} (${retentionDays} days).`,
    };
  },
});
