import fs from "node:fs";
import Database from "better-sqlite3";
import { ConfigError } from "../config/env";

/**
 * Where sealed values live, as plain names: the one list the raw checks
 * below and server/crypto/sealed-tables.ts (counts, re-encryption) share.
 * A table with a secret at rest adds one entry here and one SealedTable.
 */
export const SEALED_COLUMNS = [
  { table: "contacts", idColumn: "id", columns: ["email", "phone", "notes"] },
  { table: "oauth_signing_keys", idColumn: "kid", columns: ["private_jwk"] },
  { table: "second_factors", idColumn: "id", columns: ["totp_secret"] },
] as const;

/**
 * The data folder's keys do not fit its database: a different key under an
 * id the database recorded, values under an id the ring lacks, or keys that
 * are gone while sealed data remains. A configuration problem (exit 2 on the
 * command line): the fix is to bring back the right keys, never to make new
 * ones. The message is one line and names the key ids, never a key.
 */
export class KeyringMismatchError extends ConfigError {
  override name = "KeyringMismatchError";
}

export interface SealedDataSummary {
  /** Key ids named by stored values, with how many values each ('' = not sealed yet). */
  valuesByKey: Map<string, number>;
  /** Key ids the database recorded (table encryption_keys), with their fingerprints. */
  recorded: Map<string, string>;
}

/** The key id part of an envelope `v1.<keyId>.…` in SQL; '' for anything else. */
export function keyIdExpression(column: string): string {
  const c = `"${column}"`;
  return `case when substr(${c}, 1, 3) = 'v1.' then substr(${c}, 4, instr(substr(${c}, 4), '.') - 1) else '' end`;
}

/**
 * What a database file holds that needs keys, read without drizzle and
 * without migrating (so it can run before the runtime exists, e.g. before
 * secrets are generated): null when there is no database file. Tables that
 * do not exist yet (an older database) count as empty.
 */
export function sealedDataInFile(databaseFile: string): SealedDataSummary | null {
  if (!fs.existsSync(databaseFile) || fs.statSync(databaseFile).size === 0) return null;
  const sqlite = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    return sealedDataSummary(sqlite);
  } finally {
    sqlite.close();
  }
}

export function sealedDataSummary(sqlite: Database.Database): SealedDataSummary {
  const valuesByKey = new Map<string, number>();
  const recorded = new Map<string, string>();
  const tables = new Set(
    (sqlite.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>).map(
      (r) => r.name,
    ),
  );
  for (const { table, columns } of SEALED_COLUMNS) {
    if (!tables.has(table)) continue;
    for (const column of columns) {
      const rows = sqlite
        .prepare(
          `select ${keyIdExpression(column)} as key_id, count(*) as n from "${table}" where "${column}" is not null group by key_id`,
        )
        .all() as Array<{ key_id: string; n: number }>;
      for (const row of rows) valuesByKey.set(row.key_id, (valuesByKey.get(row.key_id) ?? 0) + row.n);
    }
  }
  if (tables.has("encryption_keys")) {
    const rows = sqlite.prepare("select key_id, fingerprint from encryption_keys").all() as Array<{
      key_id: string;
      fingerprint: string;
    }>;
    for (const row of rows) recorded.set(row.key_id, row.fingerprint);
  }
  return { valuesByKey, recorded };
}

/** True when keys were ever used on this database, or some value is sealed. */
export function needsItsKeys(summary: SealedDataSummary | null): summary is SealedDataSummary {
  if (!summary) return false;
  return summary.recorded.size > 0 || [...summary.valuesByKey.keys()].some((id) => id !== "");
}

/** "k1 (fingerprint 3f2a…, 12 values), k2 (…)": what a refusal names. Ids come from the database: kept short and safe. */
export function describeKeyIds(summary: SealedDataSummary): string {
  const ids = new Set([...summary.recorded.keys(), ...[...summary.valuesByKey.keys()].filter((id) => id !== "")]);
  return [...ids]
    .sort()
    .map((id) => {
      const fp = summary.recorded.get(id);
      const n = summary.valuesByKey.get(id) ?? 0;
      const facts = [fp ? `fingerprint ${safe(fp)}` : null, `${n} value${n === 1 ? "" : "s"}`].filter(Boolean);
      return `${safe(id)} (${facts.join(", ")})`;
    })
    .join(", ");
}

function safe(text: string): string {
  return /^[A-Za-z0-9_-]{1,32}$/.test(text) ? text : JSON.stringify(text.slice(0, 32));
}
