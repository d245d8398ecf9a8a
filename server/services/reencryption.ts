import { desc, eq } from "drizzle-orm";
import type { Executor } from "@/db";
import { type ReencryptionJobRow, reencryptionJobs } from "@/db/schema";
import { pendingRows, SEALED_TABLES } from "../crypto/sealed-tables";
import { AppError } from "../errors";
import { recordAudit } from "./audit";
import { requireKeyring } from "./contact-codec";
import type { ServiceContext } from "./context";
import { assertStoredKeysKnown } from "./key-check";

/**
 * Re-encryption: moves every sealed value to the active key, in batches.
 *
 * - Each batch re-seals up to `batchSize` rows AND advances the job row
 *   (`done`, cursor) in ONE immediate transaction: a crash loses at most the
 *   batch in flight, which rolls back, and the job row says where to go on.
 * - Resuming is just running again: an unfinished job for the same target
 *   key is picked up where its cursor stands. The batch query also selects
 *   only rows that still need work, so nothing is done twice either way.
 * - Rows are walked in id order per table. A server that had not yet
 *   noticed the rotation may write a value under the old key behind the
 *   cursor; a final sweep re-walks until none is left.
 * - A value that does not open stops the job with a DecryptionError naming
 *   the row and key (fail closed; it is never skipped or copied as is).
 *
 * Start and finish are audited (`encryption.reencrypt_start`,
 * `encryption.reencrypt_finish`), with counts and key ids only.
 */

export interface ReencryptionProgress {
  jobId: number;
  targetKeyId: string;
  done: number;
  total: number;
  resumed: boolean;
}

export interface ReencryptOptions {
  batchSize: number;
  /** Pause between batches, to leave room for a busy server's writes. */
  pauseMs: number;
  onProgress?: (progress: ReencryptionProgress) => void;
}

export interface ReencryptionJobSummary {
  id: number;
  targetKeyId: string;
  status: ReencryptionJobRow["status"];
  total: number;
  done: number;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** A re-walk that keeps finding fresh old-key values means some server still seals with the old key. */
const MAX_SWEEPS = 5;

export function toJobSummary(row: ReencryptionJobRow): ReencryptionJobSummary {
  return {
    id: row.id,
    targetKeyId: row.targetKeyId,
    status: row.status,
    total: row.total,
    done: row.done,
    startedAt: row.startedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

export async function latestJob(db: Executor): Promise<ReencryptionJobRow | undefined> {
  return await db.select().from(reencryptionJobs).orderBy(desc(reencryptionJobs.id)).limit(1).get();
}

async function runningJob(db: Executor): Promise<ReencryptionJobRow | undefined> {
  return await db
    .select()
    .from(reencryptionJobs)
    .where(eq(reencryptionJobs.status, "running"))
    .orderBy(desc(reencryptionJobs.id))
    .get();
}

/** Finds the unfinished job for the active key, or starts one (superseding one for an older key). */
async function startOrResume(
  svc: ServiceContext,
  targetKeyId: string,
): Promise<{ job: ReencryptionJobRow; resumed: boolean }> {
  return await svc.db.transaction(
    async (tx) => {
      const now = svc.clock.now();
      const open = await runningJob(tx);
      if (open?.targetKeyId === targetKeyId) return { job: open, resumed: true };
      if (open) {
        await tx
          .update(reencryptionJobs)
          .set({ status: "superseded", updatedAt: now, finishedAt: now })
          .where(eq(reencryptionJobs.id, open.id))
          .run();
      }
      const total = await pendingRows(tx, targetKeyId, "stale");
      const job = await tx
        .insert(reencryptionJobs)
        .values({
          targetKeyId,
          status: "running",
          total,
          done: 0,
          cursorTable: SEALED_TABLES[0]?.name ?? null,
          cursorId: null,
          startedAt: now,
          updatedAt: now,
        })
        .returning()
        .get();
      await recordAudit(tx, svc.clock, {
        actor: svc.actor,
        action: "encryption.reencrypt_start",
        target: { type: "encryption_key", id: targetKeyId },
        client: svc.client,
        detail: {
          jobId: job.id,
          rows: total,
          ...(open ? { supersededJobId: open.id, previousTargetKeyId: open.targetKeyId } : {}),
        },
      });
      return { job, resumed: false };
    },
    { behavior: "immediate" },
  );
}

type Step =
  | { kind: "progress"; job: ReencryptionJobRow }
  | { kind: "walked"; job: ReencryptionJobRow }
  | { kind: "stopped" };

/** One batch: re-seal rows after the job's cursor and advance the cursor, atomically. */
async function step(svc: ServiceContext, jobId: number, batchSize: number): Promise<Step> {
  const keyring = requireKeyring(svc);
  return await svc.db.transaction(
    async (tx) => {
      // Read inside the transaction: a second process running the same job
      // at the same time continues from this cursor instead of redoing work.
      const job = await tx.select().from(reencryptionJobs).where(eq(reencryptionJobs.id, jobId)).get();
      if (job?.status !== "running" || job.targetKeyId !== keyring.active().id) return { kind: "stopped" };
      let index = Math.max(
        0,
        SEALED_TABLES.findIndex((t) => t.name === job.cursorTable),
      );
      let afterId = job.cursorId;
      for (; index < SEALED_TABLES.length; index++, afterId = null) {
        const table = SEALED_TABLES[index];
        if (!table) break;
        const { count, lastId } = await table.resealBatch(tx, keyring, { afterId, limit: batchSize, scope: "stale" });
        if (count > 0) {
          const updated = await tx
            .update(reencryptionJobs)
            .set({ done: job.done + count, cursorTable: table.name, cursorId: lastId, updatedAt: svc.clock.now() })
            .where(eq(reencryptionJobs.id, job.id))
            .returning()
            .get();
          return { kind: "progress", job: updated };
        }
      }
      return { kind: "walked", job };
    },
    { behavior: "immediate" },
  );
}

/** Restarts the walk from the first table for stragglers, or finishes the job when there are none. */
async function sweepOrFinish(svc: ServiceContext, job: ReencryptionJobRow): Promise<ReencryptionJobRow | null> {
  return await svc.db.transaction(
    async (tx) => {
      const now = svc.clock.now();
      const left = await pendingRows(tx, job.targetKeyId, "stale");
      if (left > 0) {
        await tx
          .update(reencryptionJobs)
          .set({ cursorTable: SEALED_TABLES[0]?.name ?? null, cursorId: null, total: job.done + left, updatedAt: now })
          .where(eq(reencryptionJobs.id, job.id))
          .run();
        return null;
      }
      const finished = await tx
        .update(reencryptionJobs)
        .set({ status: "finished", updatedAt: now, finishedAt: now, total: Math.max(job.total, job.done) })
        .where(eq(reencryptionJobs.id, job.id))
        .returning()
        .get();
      await recordAudit(tx, svc.clock, {
        actor: svc.actor,
        action: "encryption.reencrypt_finish",
        target: { type: "encryption_key", id: job.targetKeyId },
        client: svc.client,
        detail: { jobId: job.id, rows: job.done },
      });
      return finished;
    },
    { behavior: "immediate" },
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs (or resumes) re-encryption to the active key until every sealed value is under it. */
export async function reencryptAll(svc: ServiceContext, options: ReencryptOptions): Promise<ReencryptionJobSummary> {
  const keyring = requireKeyring(svc);
  // A value under a key we do not hold could never be moved: refuse up front, naming it.
  await assertStoredKeysKnown(svc.db, keyring);
  const targetKeyId = keyring.active().id;
  const { job: started, resumed } = await startOrResume(svc, targetKeyId);
  let job = started;
  const report = () =>
    options.onProgress?.({ jobId: job.id, targetKeyId, done: job.done, total: Math.max(job.total, job.done), resumed });
  report();
  let sweeps = 0;
  for (;;) {
    const result = await step(svc, job.id, options.batchSize);
    if (result.kind === "stopped") {
      const now = await svc.db.select().from(reencryptionJobs).where(eq(reencryptionJobs.id, job.id)).get();
      if (now?.status === "finished") return toJobSummary(now);
      throw new AppError(
        "CONFLICT",
        "The active key changed while re-encrypting; run the command again",
        "key_changed",
      );
    }
    job = result.job;
    if (result.kind === "walked") {
      const finished = await sweepOrFinish(svc, job);
      if (finished) {
        job = finished;
        report();
        return toJobSummary(finished);
      }
      if (++sweeps > MAX_SWEEPS) {
        throw new AppError(
          "CONFLICT",
          `Values are still being written with an old key: restart every server so it uses key ${targetKeyId}, then run this again`,
          "old_key_in_use",
        );
      }
      continue;
    }
    report();
    if (options.pauseMs > 0) await sleep(options.pauseMs);
  }
}
