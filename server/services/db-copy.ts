import { getTableName } from "drizzle-orm";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import type pg from "pg";
import { type Db, postgresStoreOf, type SqliteDb, schema } from "@/db";
import { verifyAuditChain } from "../audit/verify";
import { AppError } from "../errors";

/**
 * Moving an installation from the embedded SQLite file to PostgreSQL
 * (`npm run gatehouse -- db copy --to postgres://…`): every table, row by
 * row, values as they are stored — ciphertexts unchanged (a sealed value is
 * bound to its table, column and row id, all of which stay the same), the
 * audit log with its seq and hashes, so its chain still verifies there.
 *
 * Resumable: rows are copied in batches in rowid order, and each batch is
 * committed together with a note of how far its table got (the table
 * gatehouse_copy_progress in the target, dropped when the copy is whole). A
 * copy that was interrupted (a crash, ^C, a lost connection) starts again
 * after the last committed batch, and never writes a row twice. A target
 * that already holds data without such a note is refused: the copy goes
 * into an empty database only.
 */

export interface CopyProgress {
  table: string;
  done: number;
  total: number;
}

export interface CopyReport {
  tables: Array<{ table: string; rows: number }>;
  rows: number;
  /** Whether a previous, interrupted copy was taken up again. */
  resumed: boolean;
  chain: { ok: boolean; checked: number };
}

const PROGRESS_TABLE = "gatehouse_copy_progress";
const BATCH_ROWS = 500;

/**
 * Tables the target's own triggers fill as the copied rows arrive, so they are not copied: the contacts
 * versions (db/schema/contact-versions.ts) are fresh random values by design, and the copy's owners get
 * theirs from its inserts.
 */
const WRITTEN_BY_TRIGGERS = new Set(["contact_versions"]);

/** Tables in the order they can be filled: every table after the tables its foreign keys point to. */
export function tablesInCopyOrder(): SQLiteTable[] {
  const tables = (Object.values(schema) as unknown[]).filter(
    (value): value is SQLiteTable =>
      typeof value === "object" &&
      value !== null &&
      Symbol.for("drizzle:IsDrizzleTable") in value &&
      !WRITTEN_BY_TRIGGERS.has(getTableName(value as SQLiteTable)),
  );
  const ordered: SQLiteTable[] = [];
  const visit = (table: SQLiteTable) => {
    if (ordered.includes(table)) return;
    for (const fk of getTableConfig(table).foreignKeys) {
      const target = fk.reference().foreignTable as SQLiteTable;
      if (target !== table) visit(target);
    }
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}

export async function copyToPostgres(
  source: SqliteDb,
  target: Db,
  onProgress: (progress: CopyProgress) => void = () => {},
): Promise<CopyReport> {
  const store = postgresStoreOf(target);
  if (!store) throw new AppError("BAD_REQUEST", "the target of a copy must be a PostgreSQL database", "copy_target");
  await store.ready;
  const sqlite = source.$client;
  const client = await store.pool.connect();
  try {
    const resumed = await prepareTarget(client);
    const done = await copiedSoFar(client);
    const report: CopyReport = { tables: [], rows: 0, resumed, chain: { ok: false, checked: 0 } };
    for (const table of tablesInCopyOrder()) {
      const name = getTableName(table);
      const columns = getTableConfig(table)
        .columns.filter((column) => !column.generated)
        .map((column) => column.name);
      const total = (sqlite.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
      let after = done.get(name)?.lastRowid ?? 0;
      let copied = done.get(name)?.rows ?? 0;
      const read = sqlite.prepare(
        `SELECT rowid AS __rowid, ${columns.map((c) => `"${c}"`).join(", ")} FROM "${name}" WHERE rowid > ? ORDER BY rowid LIMIT ?`,
      );
      onProgress({ table: name, done: copied, total });
      for (;;) {
        const rows = read.raw(true).all(after, BATCH_ROWS) as unknown[][];
        if (rows.length === 0) break;
        after = rows.at(-1)?.[0] as number;
        copied += rows.length;
        await inOneTransaction(client, async () => {
          await insertRows(client, name, columns, rows);
          await client.query(
            `INSERT INTO ${PROGRESS_TABLE} (table_name, last_rowid, rows) VALUES ($1, $2, $3)
             ON CONFLICT (table_name) DO UPDATE SET last_rowid = excluded.last_rowid, rows = excluded.rows`,
            [name, after, copied],
          );
        });
        onProgress({ table: name, done: copied, total });
        if (rows.length < BATCH_ROWS) break;
      }
      report.tables.push({ table: name, rows: copied });
      report.rows += copied;
    }
    await restartIdentities(client);
    const chain = await verifyAuditChain(target);
    report.chain = { ok: chain.ok, checked: chain.checked };
    if (!chain.ok) {
      throw new AppError(
        "CONFLICT",
        `the copied audit log does not verify (${chain.broken?.message ?? "broken"}); the copy is left as it is`,
        "copy_chain_broken",
      );
    }
    await client.query(`DROP TABLE ${PROGRESS_TABLE}`);
    return report;
  } finally {
    client.release();
  }
}

/** A fresh target gets the progress table; one with it is a copy to resume; one with data and without it is refused. */
async function prepareTarget(client: pg.PoolClient): Promise<boolean> {
  const { rows } = await client.query("SELECT to_regclass($1) AS found", [PROGRESS_TABLE]);
  if (rows[0]?.found) return true;
  for (const table of tablesInCopyOrder()) {
    const name = getTableName(table);
    const any = await client.query(`SELECT 1 FROM "${name}" LIMIT 1`);
    if (any.rowCount) {
      throw new AppError(
        "CONFLICT",
        `the target database is not empty (table ${name} has rows): copy into an empty database`,
        "copy_target_not_empty",
      );
    }
  }
  await client.query(
    `CREATE TABLE ${PROGRESS_TABLE} (table_name text PRIMARY KEY, last_rowid bigint NOT NULL, rows bigint NOT NULL)`,
  );
  return false;
}

async function copiedSoFar(client: pg.PoolClient): Promise<Map<string, { lastRowid: number; rows: number }>> {
  const { rows } = await client.query(`SELECT table_name, last_rowid, rows FROM ${PROGRESS_TABLE}`);
  return new Map(
    rows.map((row: { table_name: string; last_rowid: number; rows: number }) => [
      row.table_name,
      { lastRowid: Number(row.last_rowid), rows: Number(row.rows) },
    ]),
  );
}

async function insertRows(client: pg.PoolClient, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const start = values.length;
    for (let i = 0; i < columns.length; i++) values.push(row[i + 1]);
    return `(${columns.map((_, i) => `$${start + i + 1}`).join(", ")})`;
  });
  await client.query(
    `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(", ")}`,
    values,
  );
}

async function inOneTransaction(client: pg.PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query("BEGIN");
  try {
    await work();
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** Keys given explicitly leave the identity sequences behind: the next generated key follows the highest copied one. */
async function restartIdentities(client: pg.PoolClient): Promise<void> {
  for (const [table, column] of [
    ["audit_log", "seq"],
    ["reencryption_jobs", "id"],
  ] as const) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max("${column}") FROM "${table}"), 0) + 1, false)`,
      [table, column],
    );
  }
}
