import { type Column, getTableColumns, getTableName, is, SQL, sql } from "drizzle-orm";
import {
  bigint,
  check,
  customType,
  foreignKey,
  index,
  type PgColumnBuilderBase,
  type PgTable,
  pgTable,
  primaryKey,
  type text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import * as sqliteSchema from "../schema";

/**
 * The PostgreSQL tables, derived from the one description of the schema
 * (db/schema, written for SQLite), so that a column, an index or a
 * constraint is never described twice. drizzle-kit reads this file to
 * generate the PostgreSQL migrations (db/postgres/drizzle.config.ts), as it
 * reads db/schema for SQLite's.
 *
 * Each column keeps the storage SQLite gives it, because the services' queries
 * are built once and their values are encoded once (docs/storage.md): an
 * integer (a count, a timestamp in milliseconds, a boolean as 0/1) is a
 * bigint, a text (plain, JSON or sealed) is text, in the "C" collation. Defaults, primary keys,
 * unique and partial indexes, checks and foreign keys are carried over as they
 * are. Two things SQLite does by itself are given to PostgreSQL by the custom
 * migration (db/postgres/migrations/*_sqlite_compat.sql): an autoincrement key
 * filled in when an insert gives it null, and the full-text search table.
 */

/**
 * Text compared and sorted byte by byte, as SQLite's default (BINARY) collation does, whatever the
 * database's locale: a page sorted by name, a keyset cursor, a range of keys (`hold:<subject>|…`)
 * and a unique index mean the same on both stores.
 */
const binaryText = customType<{ data: string; driverData: string }>({ dataType: () => 'text COLLATE "C"' });

/** Generated columns whose SQLite expression PostgreSQL does not have: the same value, in PostgreSQL's words. */
const GENERATED: Record<string, SQL> = {
  // substr(action, 1, instr(action, '.') - 1): the part before the dot, or '' without one.
  "audit_log.area": sql`case when strpos(action, '.') > 0 then substr(action, 1, strpos(action, '.') - 1) else '' end`,
};

function pgColumn(table: string, column: SQLiteColumn): PgColumnBuilderBase {
  const sqlType = column.getSQLType();
  let builder: ReturnType<typeof text> | ReturnType<typeof bigint>;
  if (sqlType === "integer") builder = bigint(column.name, { mode: "number" });
  else if (sqlType === "text") builder = binaryText(column.name) as unknown as ReturnType<typeof text>;
  else throw new Error(`${table}.${column.name}: no PostgreSQL storage for SQLite type ${sqlType}`);
  const autoIncrement = (column as unknown as { autoIncrement?: boolean }).autoIncrement === true;
  if (column.primary) builder = builder.primaryKey() as typeof builder;
  if (autoIncrement) builder = (builder as ReturnType<typeof bigint>).generatedByDefaultAsIdentity() as typeof builder;
  if (column.notNull && !column.primary) builder = builder.notNull() as typeof builder;
  if (column.isUnique) builder = builder.unique(column.uniqueName) as typeof builder;
  if (column.default !== undefined) {
    const value = column.default;
    builder = builder.default(is(value, SQL) ? value : (column.mapToDriverValue(value) as never)) as typeof builder;
  }
  const generated = column.generated;
  if (generated) {
    const expression = GENERATED[`${table}.${column.name}`];
    if (!expression) throw new Error(`${table}.${column.name}: generated column without a PostgreSQL expression`);
    builder = (builder as ReturnType<typeof text>).generatedAlwaysAs(expression) as typeof builder;
  }
  return builder as PgColumnBuilderBase;
}

const byName = new Map<string, PgTable>();

/** The columns of `own` (a table's columns by key) that have the names of `columns`. */
function columnsOf(table: string, own: Record<string, Column>, columns: Column[]): [Column, ...Column[]] {
  const byColumnName = new Map(Object.values(own).map((c) => [c.name, c]));
  return columns.map((c) => {
    const found = byColumnName.get(c.name);
    if (!found) throw new Error(`${table}: no column ${c.name}`);
    return found;
  }) as [Column, ...Column[]];
}

/** The PostgreSQL table of a table of db/schema (each is derived after the tables it references). */
function derive(table: SQLiteTable): PgTable {
  const config = getTableConfig(table);
  const name = config.name;
  const columns = Object.fromEntries(
    Object.entries(table as unknown as Record<string, unknown>)
      .filter(([, value]) => config.columns.includes(value as SQLiteColumn))
      .map(([key, value]) => [key, pgColumn(name, value as SQLiteColumn)]),
  );
  const derived = pgTable(name, columns, (t) => {
    const self = t as unknown as Record<string, Column>;
    const extras: unknown[] = [];
    for (const pk of config.primaryKeys) {
      extras.push(primaryKey({ columns: columnsOf(name, self, pk.columns) as never, name: pk.getName() }));
    }
    for (const fk of config.foreignKeys) {
      const reference = fk.reference();
      const target = byName.get(getTableName(reference.foreignTable));
      if (!target) throw new Error(`${name}: references ${getTableName(reference.foreignTable)}, not derived yet`);
      let builder = foreignKey({
        name: fk.getName(),
        columns: columnsOf(name, self, reference.columns) as never,
        foreignColumns: columnsOf(name, getTableColumns(target), reference.foreignColumns) as never,
      });
      if (fk.onDelete) builder = builder.onDelete(fk.onDelete);
      if (fk.onUpdate) builder = builder.onUpdate(fk.onUpdate);
      extras.push(builder);
    }
    for (const idx of config.indexes) {
      const { name: indexName, columns: on, unique, where } = idx.config;
      if (on.some((c) => is(c, SQL))) {
        throw new Error(`${name}.${indexName}: an index on an expression is not carried over`);
      }
      const cols = columnsOf(name, self, on as Column[]);
      const built = (unique ? uniqueIndex(indexName) : index(indexName)).on(...(cols as never as [never]));
      extras.push(where ? built.where(where) : built);
    }
    for (const chk of config.checks) extras.push(check(chk.name, chk.value));
    return extras as never;
  });
  byName.set(name, derived);
  return derived;
}

// One line per table of db/schema (drizzle-kit finds tables among a module's exports);
// db/postgres/schema.test.ts fails when a table is missing here.
export const users = derive(sqliteSchema.users);
export const sessions = derive(sqliteSchema.sessions);
export const apiTokens = derive(sqliteSchema.apiTokens);
export const auditLog = derive(sqliteSchema.auditLog);
export const contacts = derive(sqliteSchema.contacts);
export const corsOrigins = derive(sqliteSchema.corsOrigins);
export const encryptionKeys = derive(sqliteSchema.encryptionKeys);
export const oauthClients = derive(sqliteSchema.oauthClients);
export const oauthConsents = derive(sqliteSchema.oauthConsents);
export const oauthGrants = derive(sqliteSchema.oauthGrants);
export const oauthPendingAuthorizations = derive(sqliteSchema.oauthPendingAuthorizations);
export const oauthAuthorizationCodes = derive(sqliteSchema.oauthAuthorizationCodes);
export const oauthAccessTokens = derive(sqliteSchema.oauthAccessTokens);
export const oauthRefreshTokens = derive(sqliteSchema.oauthRefreshTokens);
export const oauthSigningKeys = derive(sqliteSchema.oauthSigningKeys);
export const pendingSignIns = derive(sqliteSchema.pendingSignIns);
export const rateLimitCounters = derive(sqliteSchema.rateLimitCounters);
export const rateLimitLockouts = derive(sqliteSchema.rateLimitLockouts);
export const rateLimitOverrides = derive(sqliteSchema.rateLimitOverrides);
export const rateLimitRejections = derive(sqliteSchema.rateLimitRejections);
export const recoveryCodes = derive(sqliteSchema.recoveryCodes);
export const reencryptionJobs = derive(sqliteSchema.reencryptionJobs);
export const secondFactors = derive(sqliteSchema.secondFactors);
export const trafficCounters = derive(sqliteSchema.trafficCounters);
export const webauthnChallenges = derive(sqliteSchema.webauthnChallenges);
export const instances = derive(sqliteSchema.instances);
export const secretFingerprints = derive(sqliteSchema.secretFingerprints);
export const contactVersions = derive(sqliteSchema.contactVersions);
