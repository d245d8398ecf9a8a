import { asc, desc, lte } from "drizzle-orm";
import type { Db } from "@/db";
import { auditLog } from "@/db/schema";
import type { ClientInfo } from "../auth/principal";
import type { Clock } from "../clock";
import { type Actor, auditTransaction, recordAudit, SYSTEM_ACTOR } from "../services/audit";

/**
 * Audit retention (AUDIT_RETENTION_DAYS, default 365): the only code that
 * deletes audit entries. It removes the oldest entries, always a prefix in
 * seq order (never a hole), in batches, each batch in its own transaction
 * together with an `audit.prune` entry that records what went: how many, the
 * seq range, the time range, and the checkpoint — the seq and hash of the
 * last entry removed. That entry is part of the chain, so the checkpoint
 * cannot be forged without breaking the chain, and verify.ts accepts a chain
 * whose oldest remaining entry points at exactly that checkpoint.
 *
 * The newest entry is never removed, so the chain always continues from a
 * row that is still there.
 */
export const PRUNE_ACTION = "audit.prune";
const DAY_MS = 86_400_000;

export interface PruneCheckpoint {
  throughSeq: number;
  throughHash: string;
}

/** Reads the checkpoint out of an `audit.prune` entry's detail text. */
export function parseCheckpoint(detail: string | null): PruneCheckpoint | null {
  if (!detail) return null;
  try {
    const parsed = JSON.parse(detail) as Record<string, unknown>;
    if (typeof parsed.throughSeq === "number" && typeof parsed.throughHash === "string") {
      return { throughSeq: parsed.throughSeq, throughHash: parsed.throughHash };
    }
  } catch {
    // Not a checkpoint: verification will report the missing start.
  }
  return null;
}

export interface PruneOptions {
  retentionDays: number;
  batchSize?: number;
  actor?: Actor;
  client?: ClientInfo;
}

export interface PruneResult {
  removed: number;
  batches: number;
  cutoff: string;
}

const SYSTEM_CLIENT: ClientInfo = { ip: null, userAgent: null, requestId: "retention" };

export async function pruneAuditLog(db: Db, clock: Clock, opts: PruneOptions): Promise<PruneResult> {
  const batchSize = opts.batchSize ?? 5_000;
  const cutoff = new Date(clock.now().getTime() - opts.retentionDays * DAY_MS);
  let removed = 0;
  let batches = 0;
  for (;;) {
    const n = await pruneBatch(db, clock, cutoff, batchSize, opts);
    if (n === 0) break;
    removed += n;
    batches += 1;
  }
  return { removed, batches, cutoff: cutoff.toISOString() };
}

async function pruneBatch(db: Db, clock: Clock, cutoff: Date, batchSize: number, opts: PruneOptions): Promise<number> {
  return await auditTransaction(db, async (tx) => {
    const head = await tx.select({ seq: auditLog.seq }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1).get();
    const oldest = await tx
      .select({ seq: auditLog.seq, at: auditLog.at, hash: auditLog.hash })
      .from(auditLog)
      .orderBy(asc(auditLog.seq))
      .limit(batchSize)
      .all();
    // The prefix of entries older than the cutoff; stop at the first newer one
    // (clocks can step back) and never take the newest entry.
    const prefix: typeof oldest = [];
    for (const row of oldest) {
      if (row.at.getTime() >= cutoff.getTime() || row.seq === head?.seq) break;
      prefix.push(row);
    }
    const first = prefix[0];
    const last = prefix.at(-1);
    if (!first || !last) return 0;
    await tx.delete(auditLog).where(lte(auditLog.seq, last.seq)).run();
    await recordAudit(tx, clock, {
      actor: opts.actor ?? SYSTEM_ACTOR,
      action: PRUNE_ACTION,
      client: opts.client ?? SYSTEM_CLIENT,
      detail: {
        retentionDays: opts.retentionDays,
        cutoff: cutoff.toISOString(),
        removed: prefix.length,
        fromSeq: first.seq,
        throughSeq: last.seq,
        throughHash: last.hash,
        oldestRemovedAt: first.at.toISOString(),
        newestRemovedAt: last.at.toISOString(),
      },
    });
    return prefix.length;
  });
}
