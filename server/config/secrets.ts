import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { type KeySet, keySetSchema, newKeySetEntry } from "../crypto/key-set";
import { describeKeyIds, KeyringMismatchError, needsItsKeys, sealedDataInFile } from "../crypto/sealed-data";

// Loose: fields this version does not know (added by a newer Gatehouse, or by
// another feature) survive a write-back instead of being silently dropped.
const secretsFileSchema = z.looseObject({
  version: z.literal(1),
  authSecret: z.string().min(32),
  /** The data-encryption keyring (server/crypto/key-set.ts); added to older files on first start. */
  encryption: keySetSchema.optional(),
});
type SecretsFile = z.infer<typeof secretsFileSchema>;
/** The secrets as returned: every field present (missing ones were generated and written back). */
export type StoredSecrets = SecretsFile & { encryption: KeySet };

export const SECRETS_FILE = "secrets.json";
/** The SQLite database in the data folder. */
export const DATABASE_FILE = "gatehouse.db";

function freshKeySet(): KeySet {
  return { activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date())] };
}

/**
 * Returns the secrets kept in the data folder, generating them once with the
 * CSPRNG on first start. The file is created with O_EXCL and mode 0600, so two
 * processes starting together agree on one set and no other local user can
 * read it. A file written by an older version lacks later fields (e.g. the
 * encryption keyring): they are generated and written back atomically under
 * a lock (see updateSecrets), so two processes upgrading at once still agree.
 * Secrets are never printed.
 *
 * Encryption keys are generated only for a database that has never used any:
 * when secrets.json is missing (deleted, not restored with a backup) while
 * the database records keys or holds sealed values, this refuses
 * (KeyringMismatchError) and writes nothing, for a new key under the old id
 * would make every stored value unreadable and mix new values into the data
 * under a key that is not theirs. With `keys: false` (ENCRYPTION_KEYS holds the
 * keys) only the session secret is made, and no keyring is.
 */
export function loadOrCreateSecrets(dataDir: string): StoredSecrets;
export function loadOrCreateSecrets(dataDir: string, opts: { keys: false }): SecretsFile;
export function loadOrCreateSecrets(dataDir: string, opts: { keys: boolean } = { keys: true }): SecretsFile {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SECRETS_FILE);
  if (!fs.existsSync(file)) {
    if (opts.keys) refuseNewKeysOverSealedData(dataDir, "is missing");
    const fresh: SecretsFile = {
      version: 1,
      authSecret: randomBytes(32).toString("base64url"),
      ...(opts.keys ? { encryption: freshKeySet() } : {}),
    };
    try {
      fs.writeFileSync(file, serialize(fresh), { flag: "wx", mode: 0o600 });
      return fresh;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const stored = readSecretsFile(file);
  if (stored.encryption || !opts.keys) return stored;
  refuseNewKeysOverSealedData(dataDir, "has no encryption keys");
  return updateSecrets(dataDir, (current) =>
    current.encryption ? current : { ...current, encryption: freshKeySet() },
  );
}

function refuseNewKeysOverSealedData(dataDir: string, what: string): void {
  const summary = sealedDataInFile(path.join(dataDir, DATABASE_FILE));
  if (!needsItsKeys(summary)) return;
  throw new KeyringMismatchError(
    `${path.join(dataDir, SECRETS_FILE)} ${what}, but the database holds data sealed with encryption keys ${describeKeyIds(summary)}; Gatehouse will not make new keys over it. Put back the secrets.json of this database (gatehouse restore, or your own copy), or give its keys in ENCRYPTION_KEYS.`,
  );
}

/** Reads and validates the secrets file; the mode check and the messages never quote the content. */
export function readSecretsFile(file: string): SecretsFile {
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new Error(`${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  let content: unknown;
  try {
    content = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    // Not the parser's message: it quotes the file, which holds secrets.
    throw new Error(`${file} is not a valid Gatehouse secrets file`);
  }
  const parsed = secretsFileSchema.safeParse(content);
  if (!parsed.success) throw new Error(`${file} is not a valid Gatehouse secrets file`);
  return parsed.data;
}

/**
 * Changes the secrets file: under an exclusive lock file, re-reads it, applies
 * `change`, and replaces it atomically (write a 0600 temporary file, fsync,
 * rename over, fsync the folder), so a crash leaves either the old or the new
 * file, never half of one, and two writers never lose each other's change.
 * Used for the upgrade above and by `gatehouse keys rotate|remove`.
 */
export function updateSecrets(dataDir: string, change: (current: SecretsFile) => SecretsFile): StoredSecrets {
  const file = path.join(dataDir, SECRETS_FILE);
  return withLock(`${file}.lock`, () => {
    const current = readSecretsFile(file);
    const next = secretsFileSchema.parse(change(current));
    if (!next.encryption) throw new Error("the secrets file must keep its encryption keys");
    if (JSON.stringify(next) !== JSON.stringify(current)) writeAtomically(file, serialize(next));
    return next as StoredSecrets;
  });
}

function serialize(secrets: SecretsFile): string {
  return `${JSON.stringify(secrets, null, 2)}\n`;
}

function writeAtomically(file: string, content: string): void {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const fd = fs.openSync(temp, "wx", 0o600);
    try {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  try {
    const dir = fs.openSync(path.dirname(file), "r");
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is still atomic.
  }
}

const LOCK_WAIT_MS = 5_000;
/** A lock older than this was left by a process that died while holding it (the work inside takes milliseconds). */
const STALE_LOCK_MS = 30_000;

function withLock<T>(lockFile: string, work: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lockFile, "wx", 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = lockAge(lockFile);
      if (age !== null && age > STALE_LOCK_MS) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockFile} is held by another process; try again`);
      // Synchronous by design (start-up and CLI paths): sleep 20 ms without spinning.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return work();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function lockAge(lockFile: string): number | null {
  try {
    return Date.now() - fs.statSync(lockFile).mtimeMs;
  } catch {
    return null;
  }
}
