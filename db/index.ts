import fs from "node:fs";
import path from "node:path";
import type { RunResult } from "better-sqlite3";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";
import {
  DatabaseFileGoneError,
  databaseFileState,
  type FileIdentity,
  fileIdentity,
  isLockTaken,
} from "./storage-errors";

export { schema };
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
/** A database handle or a transaction handle: what every service takes. */
export type Executor = BaseSQLiteDatabase<"sync", RunResult, typeof schema>;

const MIGRATIONS_DIR = path.join(process.cwd(), "db", "migrations");

/** How long a write waits for another process's write lock before it fails as a storage failure (busy, 503). */
const BUSY_TIMEOUT_MS = 5_000;
/** The longest pause between two tries for the write lock (the first pauses are shorter). */
const LOCK_PAUSE_MAX_MS = 1;

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
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
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
 * several processes (servers, the CLI) queue for it instead.
 *
 * How they queue matters as much. SQLite's own busy handler sleeps 1, 2, 5,
 * 10, 15 ms… between tries, while the process holding the lock keeps it for
 * a fraction of a millisecond per transaction and takes it again for its
 * next request: with two workers writing, one slept while the other wrote,
 * and two workers created no more contacts per second than one. So BEGIN
 * IMMEDIATE is tried without SQLite's wait (busy_timeout 0) and, while
 * another process holds the lock, tried again after a pause of about a
 * tenth of a millisecond, growing to LOCK_PAUSE_MAX_MS, for as long as the
 * connection's busy timeout (BUSY_TIMEOUT_MS unless changed) in all; then
 * SQLITE_BUSY is thrown as before (a storage failure: 503). Once the lock is
 * held the busy timeout is back for everything the transaction runs.
 * `check` runs first (fileStillThere).
 */
function withImmediateTransactions(db: Db, check: (() => void) | null): Db {
  const sqlite = db.$client;
  const transaction = db.transaction.bind(db);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  // PRAGMA statements act when prepared, not when run: these are executed afresh each time (about 2 µs).
  const setBusyTimeout = (ms: number) => sqlite.exec(`PRAGMA busy_timeout = ${Math.trunc(ms)}`);
  db.transaction = ((fn, config) => {
    check?.();
    const options = { behavior: "immediate" as const, ...config };
    // A transaction inside a transaction is a savepoint: the lock is already this connection's.
    if (sqlite.inTransaction) return transaction(fn, options);
    // The connection's busy timeout stays the one setting of how long a write waits (a test or the probe may change it).
    const timeout = sqlite.pragma("busy_timeout", { simple: true }) as number;
    const deadline = Date.now() + timeout;
    for (let wait = 0.01; ; wait = Math.min(wait * 2, LOCK_PAUSE_MAX_MS)) {
      let locked = false;
      setBusyTimeout(0);
      try {
        return transaction((tx) => {
          locked = true;
          setBusyTimeout(timeout);
          return fn(tx);
        }, options);
      } catch (error) {
        if (locked || !isLockTaken(error) || Date.now() >= deadline) throw error;
      } finally {
        if (!locked) setBusyTimeout(timeout);
      }
      Atomics.wait(pause, 0, 0, Math.min(wait, Math.max(deadline - Date.now(), 0)));
    }
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
