import fs from "node:fs";
import path from "node:path";
import type { RunResult } from "better-sqlite3";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";
import { DatabaseFileGoneError, databaseFileState, type FileIdentity, fileIdentity } from "./storage-errors";

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
  cacheStatements(sqlite);
  const db = drizzle(sqlite, { schema }) as Db;
  if (file === ":memory:") migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  else withLockFile(`${file}.migrate-lock`, () => migrate(db, { migrationsFolder: MIGRATIONS_DIR }));
  const opened = file === ":memory:" ? null : fileIdentity(file);
  if (opened) openedFiles.set(sqlite, { file, identity: opened });
  return withImmediateTransactions(db, opened ? fileStillThere(file, opened) : null);
}

const openedFiles = new WeakMap<Database.Database, { file: string; identity: FileIdentity }>();

/** The file a connection opened and its identity then (null for an in-memory database): what the readiness probe checks. */
export function openedFileOf(sqlite: Database.Database): { file: string; identity: FileIdentity } | null {
  return openedFiles.get(sqlite) ?? null;
}

/** How long a look at the database file is trusted before the next transaction looks again. */
const FILE_CHECK_MS = 1_000;

/**
 * In WAL mode SQLite goes on writing to a database file that was deleted
 * (or renamed, or replaced by another) under the running server, and
 * everything written then is lost at the next start. Before a transaction,
 * at most once a second, one stat call checks that the path still names the
 * file the connection opened; if not, the transaction is refused
 * (DatabaseFileGoneError: a storage failure, 503) until it does again.
 */
function fileStillThere(file: string, opened: FileIdentity): () => void {
  let checkedAt = 0;
  let gone: DatabaseFileGoneError | null = null;
  return () => {
    const now = Date.now();
    if (now - checkedAt >= FILE_CHECK_MS || now < checkedAt) {
      checkedAt = now;
      const state = databaseFileState(file, opened);
      gone =
        state === "ok"
          ? null
          : new DatabaseFileGoneError(
              state === "missing" ? "The database file is missing" : "The database file was replaced by another",
            );
    }
    if (gone) throw gone;
  };
}

/** Distinct SQL texts kept prepared per connection; the least recently used goes first. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * drizzle prepares a new SQLite statement for every query it runs (it has no
 * cache of its own), and preparing — parsing and planning the SQL — was the
 * largest single cost of a read by key. The same SQL text always compiles to
 * the same statement, so the connection keeps the statements it prepared,
 * keyed by text. A statement handed out again is reset to plain row mode
 * (drizzle switches some to raw mode), and one that is still being iterated
 * (a streamed export) is never shared: that caller gets a fresh one.
 */
function cacheStatements(sqlite: Database.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    const cached = cache.get(source);
    if (cached && !cached.busy) {
      cache.delete(source);
      cache.set(source, cached);
      if (cached.reader) cached.raw(false);
      return cached;
    }
    const statement = prepare(source);
    if (!cached) {
      cache.set(source, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    }
    return statement;
  }) as Database.Database["prepare"];
}

/**
 * Every transaction of ours reads before it writes (the audit chain reads the
 * previous hash; services check before they change). With SQLite's default
 * deferred BEGIN, a second process that wrote in between makes the upgrade
 * to a write lock fail at once with SQLITE_BUSY instead of waiting.
 * BEGIN IMMEDIATE takes the write lock up front, so concurrent writers from
 * several processes (servers, the CLI) queue behind busy_timeout instead.
 * `check` runs first (fileStillThere).
 */
function withImmediateTransactions(db: Db, check: (() => void) | null): Db {
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn, config) => {
    check?.();
    return transaction(fn, { behavior: "immediate", ...config });
  }) as Db["transaction"];
  return db;
}

/**
 * Serialises migrations between processes opening the same file at once
 * (server and CLI, or several servers starting together): drizzle reads the
 * applied migrations before it writes, so two of them could both decide to
 * apply the same one. A lock left by a crashed process expires after a minute.
 */
function withLockFile(lockPath: string, fn: () => void): void {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lockPath, "wx", 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = Date.now() - (fs.statSync(lockPath, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 60_000) fs.rmSync(lockPath, { force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath}`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}
