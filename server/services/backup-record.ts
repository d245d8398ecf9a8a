import { desc, eq } from "drizzle-orm";
import type { Executor } from "@/db";
import { auditLog } from "@/db/schema";
import { recordAudit } from "./audit";
import type { BackupManifest } from "./backup";
import type { ServiceContext } from "./context";

/**
 * Backups taken by `gatehouse backup` are recorded in the audit log
 * (`backup.create`: when, where, the copy's size and SHA-256, never a key),
 * so that the posture check can tell how old the last one is and the log
 * says who took it. Written after the copy is complete, so only a backup
 * that can be restored is ever recorded.
 */
export const BACKUP_ACTION = "backup.create";

export async function recordBackupTaken(svc: ServiceContext, manifest: BackupManifest, folder: string): Promise<void> {
  await svc.db.transaction(async (tx) =>
    recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: BACKUP_ACTION,
      target: { type: "backup", id: manifest.database.sha256.slice(0, 16) },
      client: svc.client,
      detail: {
        createdAt: manifest.createdAt,
        folder,
        bytes: manifest.database.bytes,
        sha256: manifest.database.sha256,
        keysFrom: manifest.keysFrom,
      },
    }),
  );
}

/** The newest recorded backup: when it was taken and into which folder. */
export async function lastBackup(db: Executor): Promise<{ at: Date; folder: string | null } | null> {
  const row = await db
    .select({ at: auditLog.at, detail: auditLog.detail })
    .from(auditLog)
    .where(eq(auditLog.action, BACKUP_ACTION))
    .orderBy(desc(auditLog.seq))
    .limit(1)
    .get();
  if (!row) return null;
  const folder = row.detail?.folder;
  return { at: row.at, folder: typeof folder === "string" ? folder : null };
}
