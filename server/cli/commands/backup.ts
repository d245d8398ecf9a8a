import path from "node:path";
import { z } from "zod";
import { parseEnv } from "../../config/env";
import type { Keyring } from "../../crypto/keyring";
import { getRuntime } from "../../runtime";
import { type BackupManifest, backupDataFolder, restoreDataFolder } from "../../services/backup";
import { recordBackupTaken } from "../../services/backup-record";
import { defineCommand } from "../registry";

/**
 * `backup` and `restore` (server/services/backup.ts): a consistent copy of
 * the database taken while servers run, with the secrets that read it, and
 * its restore into an empty data folder.
 */

const folder = z.string().min(1, "must name a folder").max(4096);

function keysLine(manifest: BackupManifest): string {
  const keys = manifest.keys.map((k) => `${k.id}${k.fingerprint ? ` (${k.fingerprint})` : ""}`).join(", ") || "none";
  return `Encryption keys it needs: ${keys}.`;
}

defineCommand({
  path: ["backup"],
  summary:
    "Write a consistent copy of the database (SQLite online backup, safe while servers run) with secrets.json and a manifest into a new or empty folder (0700, files 0600).",
  flags: {
    out: { type: "string", schema: folder, placeholder: "DIR", description: "the folder to write (new or empty)" },
  },
  async run(ctx, input) {
    // Copies whatever is there, even when the keys do not fit (that is what a backup is for); the manifest says which it needs.
    const svc = await ctx.services({ checkKeys: false });
    const { config } = getRuntime();
    const manifest = await backupDataFolder(
      { db: svc.db, keyring: svc.keyring as Keyring, dataDir: config.dataDir, now: svc.clock.now() },
      input.out,
    );
    // Recorded (audit `backup.create`) only once the copy is whole: the posture check dates backups by it.
    await recordBackupTaken(svc, manifest, path.resolve(input.out));
    const lines = [
      `Backed up ${config.dataDir} to ${input.out} (${manifest.database.bytes} bytes, SHA-256 ${manifest.database.sha256.slice(0, 16)}…).`,
      keysLine(manifest),
    ];
    if (!manifest.secrets || manifest.keysFrom === "env") {
      lines.push(
        "The keys come from ENCRYPTION_KEYS and are not in the backup: keep that value with it, apart from it.",
      );
    } else {
      lines.push("The backup holds the encryption keys: keep it as safe as the data folder itself.");
    }
    return { json: manifest, text: lines.join("\n") };
  },
});

defineCommand({
  path: ["restore"],
  summary:
    "Put a backup back into DATA_DIR, which must be empty or absent (nothing is ever overwritten); then start the server.",
  flags: {
    from: { type: "string", schema: folder, placeholder: "DIR", description: "a folder written by `gatehouse backup`" },
  },
  run(_ctx, input) {
    // Never opens the runtime: that would create a database and secrets in the folder being restored into.
    const dataDir = parseEnv(process.env).DATA_DIR;
    const manifest = restoreDataFolder(input.from, dataDir);
    const lines = [`Restored the backup of ${manifest.createdAt} into ${dataDir}.`, keysLine(manifest)];
    if (!manifest.secrets)
      lines.push("The backup has no secrets.json: start with the ENCRYPTION_KEYS it was taken with.");
    return { json: manifest, text: lines.join("\n") };
  },
});
