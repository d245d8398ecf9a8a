import { type Column, getTableColumns, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Executor } from "./index";

/**
 * Queries on the hottest paths (the token check, a contact list's first
 * page, the audit entry and the contact insert of a write) are built once
 * per connection as drizzle prepared queries with placeholders, instead of
 * being built again on every request: building the SQL text cost more than
 * running it. Keyed by the handle's session: the database handle has one,
 * and every transaction opened on it shares another (db/index.ts), so each
 * query is prepared at most twice per connection; both run on the same
 * connection, and a query on the database handle made from inside a
 * transaction body runs inside that transaction. A test's in-memory
 * database has sessions, and so queries, of its own.
 */
const bySession = new WeakMap<object, Map<string, unknown>>();

export function preparedOnce<T>(handle: object, name: string, build: () => T): T {
  const owner = (handle as { session?: object }).session ?? handle;
  let queries = bySession.get(owner);
  if (!queries) {
    queries = new Map();
    bySession.set(owner, queries);
  }
  let query = queries.get(name) as T | undefined;
  if (query === undefined) {
    query = build();
    queries.set(name, query);
  }
  return query;
}

/**
 * A prepared INSERT of one row into `table` with exactly `columns`, for the
 * writes every request of a kind makes (the audit entry, a new contact).
 * Values are encoded as drizzle's own insert encodes them — null stays null,
 * anything else goes through the column's encoder (timestamps to
 * milliseconds, JSON to text, a sealed column's envelope check) — because a
 * placeholder in a prepared insert would pass null through the encoder too.
 */
export function preparedInsert<T extends SQLiteTable, K extends keyof T["$inferInsert"] & string>(
  handle: Executor,
  name: string,
  table: T,
  columns: readonly K[],
): (row: Pick<T["$inferInsert"], K>) => Promise<void> {
  const query = preparedOnce(handle, name, () =>
    handle
      .insert(table)
      .values(Object.fromEntries(columns.map((column) => [column, sql`${sql.placeholder(column)}`])) as never)
      .prepare(),
  );
  const encoders = getTableColumns(table) as Record<string, Column>;
  return async (row) => {
    const values: Record<string, unknown> = {};
    for (const column of columns) {
      const value = (row as Record<string, unknown>)[column];
      values[column] = value === null || value === undefined ? null : encoders[column]?.mapToDriverValue(value);
    }
    await query.run(values);
  };
}

/**
 * The rows of a prepared `select().from(table)` as drizzle would give them, from the raw value
 * arrays of its `values()`: each column decoded by its own `mapFromDriverValue` (null stays null),
 * as drizzle's result mapping does, but in one flat loop per row. drizzle's general mapping walks
 * a nested field description per value (for joins and partial selects), which for a page of 20
 * contacts cost more than reading the page from SQLite's cache. The columns come in the table's
 * own order, the order a whole-table select lists them in.
 */
export function tableRows<T extends SQLiteTable>(table: T): (raw: unknown[][]) => T["$inferSelect"][] {
  const columns = Object.entries(getTableColumns(table) as Record<string, Column>);
  return (raw) =>
    raw.map((values) => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) {
        const [key, column] = columns[i] as [string, Column];
        const value = values[i];
        row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      }
      return row as T["$inferSelect"];
    });
}
