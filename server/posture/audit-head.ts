import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Executor } from "@/db";

/**
 * The audit head recorded outside the database: `gatehouse audit head`
 * writes the newest entry's seq and hash to AUDIT_HEAD_FILE (or stdout), and
 * the posture check reads it back and compares it with the database. The
 * chain is unkeyed (docs/audit.md), so this copy is what proves, later, that
 * the history up to that entry was not rewritten. The file holds no secret.
 */

export const AUDIT_HEAD_FORMAT = "gatehouse-audit-head";

export const auditHeadSchema = z.object({
  format: z.literal(AUDIT_HEAD_FORMAT),
  version: z.literal(1),
  recordedAt: z.iso.datetime(),
  seq: z.number().int().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex characters"),
});
export type AuditHead = z.infer<typeof auditHeadSchema>;

/** The newest chained entry, or null when the log has none yet. */
export async function currentAuditHead(db: Executor, now: Date): Promise<AuditHead | null> {
  const row = await db.get<{ seq: number; hash: string } | undefined>(
    sql`select seq, hash from audit_log where hash != '' order by seq desc limit 1`,
  );
  if (!row) return null;
  return { format: AUDIT_HEAD_FORMAT, version: 1, recordedAt: now.toISOString(), seq: row.seq, hash: row.hash };
}

export function serializeAuditHead(head: AuditHead): string {
  return `${JSON.stringify(head)}\n`;
}

/** Replaces the file atomically (temporary file, fsync, rename), so a reader never sees half a record. */
export function writeAuditHeadFile(file: string, head: AuditHead): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(4).toString("hex")}.partial`;
  try {
    const fd = fs.openSync(temp, "wx", 0o600);
    try {
      fs.writeFileSync(fd, serializeAuditHead(head));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

export type ReadHead = { ok: true; head: AuditHead } | { ok: false; missing: boolean; why: string };

export function readAuditHeadFile(file: string): ReadHead {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      missing: code === "ENOENT",
      why: code === "EACCES" ? "permission denied" : (code ?? "unreadable"),
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, missing: false, why: "not JSON" };
  }
  const parsed = auditHeadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, missing: false, why: `${issue?.path.join(".") || "record"} ${issue?.message ?? "is invalid"}` };
  }
  return { ok: true, head: parsed.data };
}
