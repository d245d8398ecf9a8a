import fs from "node:fs";
import path from "node:path";
import type { RunResult } from "better-sqlite3";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

export { schema };
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
/** A database handle or a transaction handle: what every service takes. */
export type Executor = BaseSQLiteDatabase<"sync", RunResult, typeof schema>;

const MIGRATIONS_DIR = path.join(process.cwd(), "db", "migrations");

/**
 * Opens a SQLite database (a file path or ":memory:") and applies the
 * committed migrations. WAL lets readers run while one writer writes; the
 * busy timeout makes a second process wait for the lock instead of failing.
 */
export function openDatabase(file: string): Db {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Database(file);
  // Owner-only: SQLite gives the -wal and -shm files the main file's mode.
  if (file !== ":memory:") fs.chmodSync(file, 0o600);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  return db;
}
