import Database from "better-sqlite3";
import { sql } from "drizzle-orm";
import type { Db, Executor } from "@/db";
import { encryptionKeys } from "@/db/schema";
import type { Clock } from "../clock";
import { DecryptionError, open } from "../crypto/envelope";
import type { Keyring } from "../crypto/keyring";
import { KEY_ID_PATTERN } from "../crypto/keys";
import { KeyringMismatchError, keyIdExpression, SEALED_COLUMNS } from "../crypto/sealed-data";
import { keyUsage } from "../crypto/sealed-tables";
import { getLogger } from "../logger";

/**
 * Does this keyring fit this database? Keys are known by id AND by
 * fingerprint (server/crypto/keys.ts): the database records, in
 * `encryption_keys`, the fingerprint each id was first used with, and an id
 * is never reused for another key. Checked
 * - at start-up (prepareSealedData) and before every CLI command: refuses
 *   (KeyringMismatchError, one line) a ring with another key under a
 *   recorded id, stored values under ids the ring lacks, and an unrecorded
 *   key (a database older than the record) that does not open the values
 *   stored under its id;
 * - on every reload of secrets.json by a running server (open-keyring.ts):
 *   a ring with a replaced key is not taken;
 * - by `gatehouse keys list`, which also opens a sample of each key's values
 *   and reports values that fail authentication (tampering).
 */

/** What a stored value claims as its key id comes from the database: shown only in a safe, short form. */
export function printableKeyId(id: string): string {
  return KEY_ID_PATTERN.test(id) ? id : JSON.stringify(id.slice(0, 32));
}

/** Kept for the callers that name the older class: every refusal is a KeyringMismatchError now. */
export { KeyringMismatchError as UnknownKeyError };

export type KeyCheckStatus =
  /** Recorded with this fingerprint (or just recorded), and every sampled value opens. */
  | "ok"
  /** Protects no stored value (yet). */
  | "unused"
  /** The database recorded another key under this id. */
  | "replaced"
  /** Not recorded (a database older than the record), and none of its sampled values opens: not their key. */
  | "wrong_key"
  /** The right key, but some sampled values fail authentication: they were altered. */
  | "tampered";

export interface KeyCheck {
  id: string;
  fingerprint: string;
  /** The fingerprint the database recorded for this id; null when it has none yet. */
  recordedFingerprint: string | null;
  values: number;
  /** Values opened as a sample, and how many of them failed. */
  sampled: number;
  failed: number;
  status: KeyCheckStatus;
}

export interface KeyringCheck {
  keys: KeyCheck[];
  /** Values under ids the ring lacks; recordedFingerprint says which key they need, when recorded. */
  missing: Array<{ id: string; values: number; recordedFingerprint: string | null }>;
  /** Everything wrong, one sentence each (empty: the ring fits the database). */
  problems: string[];
}

/** Values opened per key and sealed column by a check. */
export const DEFAULT_SAMPLE = 3;

export async function recordedKeys(db: Executor): Promise<Map<string, string>> {
  return new Map((await db.select().from(encryptionKeys).all()).map((row) => [row.keyId, row.fingerprint]));
}

/** Checks the ring against the database; changes nothing. */
export async function checkKeyring(
  db: Executor,
  keyring: Keyring,
  opts: { sample?: number } = {},
): Promise<KeyringCheck> {
  const sample = opts.sample ?? DEFAULT_SAMPLE;
  const usage = await keyUsage(db);
  const recorded = await recordedKeys(db);
  const where = keyring.source === "env" ? "ENCRYPTION_KEYS" : "DATA_DIR/secrets.json";
  const problems: string[] = [];
  const keys: KeyCheck[] = [];
  for (const info of keyring.describe()) {
    const values = usage.get(info.id) ?? 0;
    const recordedFingerprint = recorded.get(info.id) ?? null;
    const { sampled, failed } = values > 0 ? await openSample(db, keyring, info.id, sample) : { sampled: 0, failed: 0 };
    let status: KeyCheckStatus;
    if (recordedFingerprint !== null && recordedFingerprint !== info.fingerprint) {
      status = "replaced";
      problems.push(
        `key ${info.id} in ${where} (fingerprint ${info.fingerprint}) is not the key this database recorded for ${info.id} (fingerprint ${recordedFingerprint})${values > 0 ? ` and cannot open the ${values} value${values === 1 ? "" : "s"} sealed under it` : ""}; an id is never reused for another key`,
      );
    } else if (recordedFingerprint === null && sampled > 0 && failed === sampled) {
      status = "wrong_key";
      problems.push(
        `key ${info.id} in ${where} (fingerprint ${info.fingerprint}) does not open the ${values} value${values === 1 ? "" : "s"} sealed under ${info.id}: it is not their key`,
      );
    } else if (failed > 0) {
      status = "tampered";
      problems.push(
        `${failed} of ${sampled} sampled values under key ${info.id} fail authentication: they were altered after they were sealed`,
      );
    } else {
      status = values > 0 ? "ok" : "unused";
    }
    keys.push({ id: info.id, fingerprint: info.fingerprint, recordedFingerprint, values, sampled, failed, status });
  }
  const missing = [...usage.entries()]
    .filter(([id]) => id !== "" && !keyring.get(id))
    .map(([id, values]) => ({ id: printableKeyId(id), values, recordedFingerprint: recorded.get(id) ?? null }));
  if (missing.length > 0) {
    const list = missing
      .map(
        (m) =>
          `${m.id} (${m.values} value${m.values === 1 ? "" : "s"}${m.recordedFingerprint ? `, fingerprint ${m.recordedFingerprint}` : ""})`,
      )
      .join(", ");
    problems.push(`stored values are encrypted with key ids that are not in the keyring: ${list}`);
  }
  return { keys, missing, problems };
}

/** Opens up to `sample` values of each sealed column under key `keyId`. */
async function openSample(
  db: Executor,
  keyring: Keyring,
  keyId: string,
  sample: number,
): Promise<{ sampled: number; failed: number }> {
  let sampled = 0;
  let failed = 0;
  for (const { table, idColumn, columns } of SEALED_COLUMNS) {
    for (const column of columns) {
      // Names come from the fixed list above; the key id is a bound parameter.
      const rows = await db.all<{ row_id: string; value: string }>(
        sql`select ${sql.raw(`"${idColumn}" as row_id, "${column}" as value from "${table}" where "${column}" is not null and ${keyIdExpression(column)}`)} = ${keyId} limit ${Math.max(0, Math.floor(sample))}`,
      );
      for (const row of rows) {
        sampled++;
        try {
          open(keyring, { table, column, rowId: row.row_id }, row.value);
        } catch (error) {
          if (!(error instanceof DecryptionError)) throw error;
          failed++;
        }
      }
    }
  }
  return { sampled, failed };
}

/** Re-encryption's precondition: every key id a stored value names is in the ring. */
export async function assertStoredKeysKnown(db: Executor, keyring: Keyring): Promise<void> {
  const missing = [...(await keyUsage(db)).entries()].filter(([id]) => id !== "" && !keyring.get(id));
  if (missing.length === 0) return;
  const list = missing.map(([id, n]) => `${printableKeyId(id)} (${n} value${n === 1 ? "" : "s"})`).join(", ");
  const where = keyring.source === "env" ? "ENCRYPTION_KEYS" : "DATA_DIR/secrets.json (or set ENCRYPTION_KEYS)";
  throw new KeyringMismatchError(
    `stored values are encrypted with key ids that are not in the keyring: ${list}. Restore the missing key(s) in ${where}; without them those values cannot be read.`,
  );
}

/**
 * Start-up and CLI: refuses a ring that does not fit (one line naming the
 * problem, the key ids and what to do), then records the fingerprints of the
 * ring's keys the database does not know yet. Values that merely fail
 * authentication (tampered rows) do not stop a start: they are reported at
 * run time, row by row, and by `keys list`.
 */
export async function assertKeyringFits(db: Executor, keyring: Keyring, clock: Clock): Promise<KeyringCheck> {
  const check = await checkKeyring(db, keyring);
  const refusing = check.keys.filter((k) => k.status === "replaced" || k.status === "wrong_key");
  if (refusing.length > 0 || check.missing.length > 0) {
    const fatal = check.problems.filter((p) => !/fail authentication/.test(p));
    const ids = [...refusing.map((k) => k.id), ...check.missing.map((m) => m.id)].join(", ");
    const where =
      keyring.source === "env"
        ? "ENCRYPTION_KEYS"
        : "DATA_DIR/secrets.json (from the backup that goes with this database), or set ENCRYPTION_KEYS";
    throw new KeyringMismatchError(
      `the encryption keys do not fit the database: ${fatal.join("; ")}. Put back the original key(s) ${ids} in ${where}; a new key needs a new id (gatehouse keys rotate). Nothing was changed.`,
    );
  }
  await recordNewKeys(db, keyring.describe(), clock);
  return check;
}

/**
 * Records keys the database has not met yet (first use wins; an id already
 * recorded is left as it is), then refuses if any key's id was recorded with
 * another fingerprint. The light check for a ring read again while running.
 */
export async function recordNewKeys(
  db: Executor,
  keys: ReadonlyArray<{ id: string; fingerprint: string }>,
  clock: Clock,
): Promise<void> {
  let recorded = await recordedKeys(db);
  const fresh = keys.filter((k) => !recorded.has(k.id));
  if (fresh.length > 0) {
    const now = clock.now();
    await db
      .insert(encryptionKeys)
      .values(fresh.map((k) => ({ keyId: k.id, fingerprint: k.fingerprint, createdAt: now })))
      .onConflictDoNothing()
      .run();
    recorded = await recordedKeys(db);
  }
  lastRecorded.set(db, recorded);
  refuseReplacedKeys(keys, recorded);
}

/**
 * The recorded fingerprints as this process last read them (at start, and at each reload), so that a
 * reload on PostgreSQL — where the keyring cannot wait for a query — is still refused at once when it
 * holds another key under an id the database knows. Keyed by handle: a test's runtimes do not share.
 */
const lastRecorded = new WeakMap<object, Map<string, string>>();

/** Throws KeyringMismatchError when a key's id was recorded with another fingerprint. */
function refuseReplacedKeys(keys: ReadonlyArray<{ id: string; fingerprint: string }>, recorded: Map<string, string>) {
  const replaced = keys.filter((k) => recorded.has(k.id) && recorded.get(k.id) !== k.fingerprint);
  if (replaced.length > 0) {
    throw new KeyringMismatchError(
      `the encryption keys do not fit the database: ${replaced
        .map(
          (k) =>
            `key ${k.id} (fingerprint ${k.fingerprint}) is not the key recorded for ${k.id} (fingerprint ${recorded.get(k.id)})`,
        )
        .join("; ")}; an id is never reused for another key`,
    );
  }
}

/**
 * The check of a ring read again from secrets.json while the server runs
 * (the keyring's reload is synchronous, so this is too): refuses a key whose
 * id the database recorded with another fingerprint, reading the recorded
 * ones on a read-only connection of its own (never inside a request's
 * transaction open on the server's connection), then records keys it has
 * not met yet in the background (first use wins; a failure there is logged
 * and tried again at the next reload or start).
 */
export function acceptReloadedKeys(db: Db, keys: ReadonlyArray<{ id: string; fingerprint: string }>, clock: Clock) {
  const live = db.$client;
  if (!live) {
    // PostgreSQL: the keyring cannot wait for a query. Refused at once against what this process last read
    // (at start, at the last reload); then read again, and new keys recorded, in the background — a key
    // another instance recorded meanwhile under the same id with another fingerprint is reported (alert).
    const known = lastRecorded.get(db);
    if (known) refuseReplacedKeys(keys, known);
    void db
      .select({ keyId: encryptionKeys.keyId, fingerprint: encryptionKeys.fingerprint })
      .from(encryptionKeys)
      .all()
      .then((rows) => acceptAgainst(db, keys, rows, clock))
      .catch((error: unknown) =>
        getLogger().error(
          { alert: "keyring_reload_failed", err: { message: (error as Error).message } },
          "the reloaded encryption keys do not match the database",
        ),
      );
    return;
  }
  const reader = live.memory ? live : new Database(live.name, { readonly: true, fileMustExist: true });
  let rows: { keyId: string; fingerprint: string }[];
  try {
    rows = reader.prepare("SELECT key_id AS keyId, fingerprint FROM encryption_keys").all() as typeof rows;
  } finally {
    if (reader !== live) reader.close();
  }
  acceptAgainst(db, keys, rows, clock);
}

function acceptAgainst(
  db: Db,
  keys: ReadonlyArray<{ id: string; fingerprint: string }>,
  rows: { keyId: string; fingerprint: string }[],
  clock: Clock,
): void {
  const recorded = new Map(rows.map((row) => [row.keyId, row.fingerprint]));
  lastRecorded.set(db, recorded);
  refuseReplacedKeys(keys, recorded);
  if (keys.some((k) => !recorded.has(k.id))) {
    recordNewKeys(db, keys, clock).catch((error: unknown) =>
      getLogger().error({ err: { message: (error as Error).message } }, "could not record the new encryption keys"),
    );
  }
}
