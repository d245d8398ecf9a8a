import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Db } from "@/db";
import { DATABASE_FILE, readSecretsFile, SECRETS_FILE } from "../config/secrets";
import type { Keyring } from "../crypto/keyring";
import { dataKeyFrom, decodeRootKey } from "../crypto/keys";
import { sealedDataSummary } from "../crypto/sealed-data";
import { AppError } from "../errors";

/**
 * Backups of a data folder: a consistent copy of the database taken while
 * servers run, with what is needed to read it, and its restore into an empty
 * data folder.
 *
 * - The copy is SQLite's online backup API (better-sqlite3 `backup`), asked
 *   to copy every page in one step: that step reads under one read
 *   transaction, so the copy is the database as of one instant — every write
 *   committed before it, none half — while servers go on writing (WAL: the
 *   writer does not wait for the reader, nor the reader for the writer).
 * - What is needed to read it: `secrets.json` (the keyring and the session
 *   secret) when the keys live in the data folder. The manifest lists, for
 *   every key id the copy needs, its fingerprint (never the key), and the
 *   backup is refused if the copied secrets do not hold those very keys (a
 *   rotation and removal racing the backup), so a backup that cannot be read
 *   is never reported as done. With ENCRYPTION_KEYS the keys are not in the
 *   folder: the manifest names their fingerprints and the operator keeps the
 *   value with the backup.
 * - Modes: the folder 0700, every file 0600 (the keys and the personal data
 *   are in them); each file is written under a temporary name, fsynced and
 *   renamed, so an interrupted backup or restore leaves no file that looks whole.
 * - Restore copies into a data folder that is empty (or not there yet) and
 *   refuses anything else; it checks the manifest, the database's SHA-256
 *   and `integrity_check`, and that the secrets hold the keys the manifest
 *   names, before writing anything.
 */

export const MANIFEST_FILE = "manifest.json";
const FORMAT = "gatehouse-backup";

export interface BackupManifest {
  format: typeof FORMAT;
  version: 1;
  createdAt: string;
  database: { file: string; sha256: string; bytes: number };
  /** secrets.json is in the backup (keys in the data folder), or not (ENCRYPTION_KEYS). */
  secrets: { file: string } | null;
  keysFrom: Keyring["source"];
  /** Every key id the copy needs (recorded or naming stored values), with its fingerprint and value count. */
  keys: Array<{ id: string; fingerprint: string | null; values: number }>;
}

function refuse(message: string, reason: string): AppError {
  return new AppError("CONFLICT", message, reason);
}

function isEmptyDir(dir: string): boolean {
  return fs.readdirSync(dir).length === 0;
}

/** Creates `dir` 0700 (or takes it when it exists and is empty); anything else is refused. */
function claimEmptyDir(dir: string, what: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw refuse(`${what} ${dir} exists and is not a folder`, "not_empty");
    if (!isEmptyDir(dir)) throw refuse(`${what} ${dir} is not empty; nothing was overwritten`, "not_empty");
    fs.chmodSync(dir, 0o700);
    return;
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

function sha256File(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function fsyncPath(target: string): void {
  try {
    const fd = fs.openSync(target, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic.
  }
}

/** Writes `content` (or copies `from`) to `file` 0600 through a temporary name, fsynced, then renamed. */
function writeFile0600(file: string, source: { content: string } | { from: string }): void {
  const temp = `${file}.${randomBytes(4).toString("hex")}.partial`;
  try {
    if ("content" in source) fs.writeFileSync(temp, source.content, { mode: 0o600, flag: "wx" });
    else fs.copyFileSync(source.from, temp, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(temp, 0o600);
    fsyncPath(temp);
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** Fingerprints of the keys a secrets file holds. */
function fingerprintsIn(secretsFile: string): Map<string, string> {
  const keys = readSecretsFile(secretsFile).encryption?.keys ?? [];
  return new Map(keys.map((k) => [k.id, dataKeyFrom(k.id, decodeRootKey(k.key) as Buffer).fingerprint]));
}

/** The keys a database file needs: recorded ids and ids named by its values, with fingerprints where recorded. */
function keysNeeded(databaseFile: string, opts: { settle?: boolean } = {}): BackupManifest["keys"] {
  const sqlite = new Database(databaseFile, { readonly: !opts.settle, fileMustExist: true });
  try {
    // The copy carries the source's WAL mode; as a rollback-journal file it is one self-contained file (restore
    // and the next start switch it back to WAL).
    if (opts.settle) sqlite.pragma("journal_mode = DELETE");
    const check = sqlite.pragma("integrity_check", { simple: true });
    if (check !== "ok")
      throw new Error(`the copy of the database fails integrity_check: ${String(check).slice(0, 200)}`);
    const summary = sealedDataSummary(sqlite);
    const ids = new Set([...summary.recorded.keys(), ...[...summary.valuesByKey.keys()].filter((id) => id !== "")]);
    return [...ids].sort().map((id) => ({
      id,
      fingerprint: summary.recorded.get(id) ?? null,
      values: summary.valuesByKey.get(id) ?? 0,
    }));
  } finally {
    sqlite.close();
  }
}

/**
 * Why a set of keys cannot read a database with these needs, or null when it
 * can: a key some value needs is absent, or a key is there under a recorded
 * id with another fingerprint (the start would refuse it). A recorded key
 * that no value needs any more (removed after re-encryption) may be absent.
 */
function keyGap(needed: BackupManifest["keys"], have: Map<string, string>): string | null {
  const gaps = needed.flatMap((k) => {
    const fingerprint = have.get(k.id);
    if (fingerprint === undefined) return k.values > 0 ? [`key ${k.id} (${k.values} values) is not there`] : [];
    if (k.fingerprint && fingerprint !== k.fingerprint) {
      return [`key ${k.id} there has fingerprint ${fingerprint}, the database recorded ${k.fingerprint}`];
    }
    return [];
  });
  return gaps.length > 0 ? gaps.join("; ") : null;
}

export async function backupDataFolder(
  runtime: { db: Db; keyring: Keyring; dataDir: string; now: Date },
  outDir: string,
): Promise<BackupManifest> {
  const out = path.resolve(outDir);
  const dataDir = path.resolve(runtime.dataDir);
  if (out === dataDir || out.startsWith(`${dataDir}${path.sep}`)) {
    throw refuse("the backup folder must be outside the data folder", "backup_inside_data_dir");
  }
  claimEmptyDir(out, "the backup folder");
  const dbCopy = path.join(out, DATABASE_FILE);
  const temp = `${dbCopy}.partial`;
  try {
    // From a read-only connection of its own: what is committed, never a request's transaction open on the
    // server's connection between two of its statements. The first call copies nothing and learns the
    // size; then every page in one step, under one read transaction.
    const live = runtime.db.$client;
    if (!live) {
      throw refuse(
        "the database is PostgreSQL: back it up with pg_dump (docs/deploy.md); this command copies the embedded SQLite file",
        "backup_postgres",
      );
    }
    const source = live.memory ? live : new Database(live.name, { readonly: true, fileMustExist: true });
    try {
      await source.backup(temp, { progress: () => 0x7fffffff });
    } finally {
      if (source !== live) source.close();
    }
    fs.chmodSync(temp, 0o600);
    const keys = keysNeeded(temp, { settle: true });
    fsyncPath(temp);
    fs.renameSync(temp, dbCopy);
    let secrets: BackupManifest["secrets"] = null;
    const secretsFile = path.join(dataDir, SECRETS_FILE);
    if (runtime.keyring.source === "file" || fs.existsSync(secretsFile)) {
      writeFile0600(path.join(out, SECRETS_FILE), { from: secretsFile });
      secrets = { file: SECRETS_FILE };
    }
    if (runtime.keyring.source === "file") {
      const gap = keyGap(keys, fingerprintsIn(path.join(out, SECRETS_FILE)));
      if (gap) throw refuse(`the keys changed while the backup ran (${gap}); run the backup again`, "keys_changed");
    } else {
      // Keys from ENCRYPTION_KEYS: check they are the ones the copy needs, so the operator keeps the right value.
      const have = new Map(runtime.keyring.describe().map((k) => [k.id, k.fingerprint]));
      const gap = keyGap(keys, have);
      if (gap) throw refuse(`ENCRYPTION_KEYS cannot read this database (${gap})`, "keys_missing");
    }
    const manifest: BackupManifest = {
      format: FORMAT,
      version: 1,
      createdAt: runtime.now.toISOString(),
      database: { file: DATABASE_FILE, sha256: sha256File(dbCopy), bytes: fs.statSync(dbCopy).size },
      secrets,
      keysFrom: runtime.keyring.source,
      keys,
    };
    writeFile0600(path.join(out, MANIFEST_FILE), { content: `${JSON.stringify(manifest, null, 2)}\n` });
    fsyncPath(out);
    return manifest;
  } catch (error) {
    // Never leave a folder that looks like a backup.
    for (const name of fs.readdirSync(out)) fs.rmSync(path.join(out, name), { force: true });
    throw error;
  }
}

function readManifest(dir: string): BackupManifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) throw refuse(`${dir} is not a Gatehouse backup (no ${MANIFEST_FILE})`, "not_a_backup");
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8")) as BackupManifest;
  } catch {
    throw refuse(`${file} is not valid JSON`, "not_a_backup");
  }
  if (manifest?.format !== FORMAT || manifest.version !== 1 || manifest.database?.file !== DATABASE_FILE) {
    throw refuse(`${file} is not a Gatehouse backup manifest this version reads`, "not_a_backup");
  }
  return manifest;
}

export function restoreDataFolder(fromDir: string, dataDir: string): BackupManifest {
  const from = path.resolve(fromDir);
  const target = path.resolve(dataDir);
  const manifest = readManifest(from);
  const dbFile = path.join(from, DATABASE_FILE);
  if (!fs.existsSync(dbFile)) throw refuse(`${dbFile} is missing`, "not_a_backup");
  if (sha256File(dbFile) !== manifest.database.sha256) {
    throw refuse(
      `${dbFile} is not the file the backup wrote (SHA-256 differs); nothing was restored`,
      "backup_damaged",
    );
  }
  const needed = keysNeeded(dbFile);
  if (manifest.secrets) {
    const have = fingerprintsIn(path.join(from, SECRETS_FILE));
    const gap = keyGap(needed, have);
    if (gap) throw refuse(`the backup's secrets.json cannot read its database (${gap})`, "backup_damaged");
  }
  if (fs.existsSync(target) && fs.statSync(target).isDirectory() && !isEmptyDir(target)) {
    throw refuse(
      `the data folder ${target} is not empty; restore only into an empty one (nothing was overwritten)`,
      "not_empty",
    );
  }
  claimEmptyDir(target, "the data folder");
  if (manifest.secrets) writeFile0600(path.join(target, SECRETS_FILE), { from: path.join(from, SECRETS_FILE) });
  writeFile0600(path.join(target, DATABASE_FILE), { from: dbFile });
  fsyncPath(target);
  return manifest;
}
