import { z } from "zod";
import { DEFAULT_OBSERVABILITY } from "../../config";
import { AppError } from "../../errors";
import { currentAuditHead, serializeAuditHead, writeAuditHeadFile } from "../../posture/audit-head";
import { getRuntime } from "../../runtime";
import { defineCommand } from "../registry";

/**
 * `gatehouse audit head`: records the audit log's head (newest seq and hash)
 * outside the database — to AUDIT_HEAD_FILE, to `--out FILE`, or to stdout
 * with `--out=-` (to ship to a log store). `gatehouse check` compares
 * AUDIT_HEAD_FILE with the database (server/posture/audit-head.ts).
 */
defineCommand({
  path: ["audit", "head"],
  summary:
    "Record the audit log's head hash outside the database: into AUDIT_HEAD_FILE, --out FILE, or stdout (--out=-); gatehouse check compares it later.",
  flags: {
    out: {
      type: "string",
      schema: z.string().min(1, "must name a file, or - for stdout").max(4096).optional(),
      placeholder: "FILE",
      description: "where to write it (default: AUDIT_HEAD_FILE; --out=- prints it)",
    },
  },
  async run(ctx, input) {
    const svc = await ctx.services({ checkKeys: false });
    const head = await currentAuditHead(svc.db, svc.clock.now());
    if (!head) throw new AppError("CONFLICT", "the audit log has no entries yet: nothing to record", "audit_empty");
    const target = input.out ?? (getRuntime().config.observability ?? DEFAULT_OBSERVABILITY).auditHeadFile ?? null;
    if (!target) {
      throw new AppError(
        "BAD_REQUEST",
        "--out: give a file (or - for stdout), or set AUDIT_HEAD_FILE",
        "audit_head_target_missing",
      );
    }
    if (target === "-") return { json: head, text: serializeAuditHead(head).trimEnd() };
    writeAuditHeadFile(target, head);
    return {
      json: { ...head, file: target },
      text: `Recorded audit head seq ${head.seq}, hash ${head.hash} in ${target}.`,
    };
  },
});
