import fs from "node:fs";
import path from "node:path";
import type { RunResult } from "better-sqlite3";
import Database from "better-sqlite3";
import { drizzle as migratingDrizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { BaseSQLiteDatabase, SQLiteTransaction } from "drizzle-orm/sqlite-core";
import { drizzle, SQLiteProxyTransaction, type SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy";
import "./query-errors";
import { closePostgres, openPostgres, type PostgresOptions } from "./postgres";
import * as schema from "./schema";
import {
  DatabaseFileGoneError,
  databaseFileState,
  type FileIdentity,
  fileIdentity,
  isLockTaken,
} from "./storage-errors";

export { postgresStoreOf } from "./postgres";
export { schema };
/** A database handle or a transaction handle: what every service takes. Every query on it is awaited. */
export type Executor = BaseSQLiteDatabase<"async", RunResult, typeof schema>;
/**
 * The database handle of a process: queries, transactions, and, on SQLite,
 * the connection under them (`$client`; undefined on PostgreSQL, whose pool
 * is reached through postgresStoreOf).
 */
export type Db = Executor & { $client: Database.Database | undefined };
/** A database handle on SQLite, with its connection. */
export type SqliteDb = Executor & { $client: Database.Database };
type Transaction = SQLiteTransaction<"async", RunResult, typeof schema, never>;
type ProxyDatabase = SqliteRemoteDatabase<typeof schema>;

const MIGRATIONS_DIR = path.join(process.cwd(), "db", "migrations");

/** How long a write waits for another process's write lock before it fails as a storage failure (busy, 503). */
const BUSY_TIMEOUT_MS = 5_000;
/** How many tries for another process's write lock yield to the event loop before the pauses of a millisecond. */
const LOCK_YIELDS = 20;

/** A PostgreSQL connection URL (DATABASE_URL) rather than a SQLite file. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/**
 * Opens the store at `target` and applies its committed migrations: a
 * PostgreSQL URL (postgres://…, db/postgres) or a SQLite file (the embedded
 * default). Both give the same handle, served by the same services.
 */
export function openDatabase(target: string, options: PostgresOptions = {}): Db {
  return isPostgresUrl(target) ? openPostgres<Db>(target, options) : openSqlite(target);
}

/** Closes a database handle's connection (SQLite) or pool (PostgreSQL). */
export async function closeDatabase(db: Db): Promise<void> {
  if (db.$client) {
    if (db.$client.open) db.$client.close();
  } else await closePostgres(db);
}

/**
 * Opens a SQLite database (a file path or ":memory:") and applies the
 * committed migrations. WAL lets readers run while one writer writes; the
 * busy timeout makes a second process wait for the lock instead of failing.
 */
export function openSqlite(file: string): SqliteDb {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Database(file);
  // Owner-only: SQLite gives the -wal and -shm files the main file's mode.
  if (file !== ":memory:") fs.chmodSync(file, 0o600);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.pragma("synchronous = NORMAL");
  cacheStatements(sqlite);
  const migrating = migratingDrizzle(sqlite, { schema });
  if (file === ":memory:") migrate(migrating, { migrationsFolder: MIGRATIONS_DIR });
  else withLockFile(`${file}.migrate-lock`, () => migrate(migrating, { migrationsFolder: MIGRATIONS_DIR }));
  const opened = file === ":memory:" ? null : fileIdentity(file);
  if (opened) openedFiles.set(sqlite, { file, identity: opened });

  return databaseOn(sqlite, opened ? fileStillThere(file, opened) : null);
}

/**
 * The database handle over an open, migrated better-sqlite3 connection
 * (openDatabase's last step; tests that watch the connection open their own).
 * `beforeTransaction` runs before each transaction (fileStillThere).
 */
export function databaseOn(sqlite: Database.Database, beforeTransaction: (() => void) | null = null): SqliteDb {
  const lock = new ConnectionLock();
  locks.set(sqlite, lock);
  const db = drizzle(
    async (source, params, method) =>
      whenFree(lock, sqlite, () => runStatement(sqlite, source, params, method)) as never,
    { schema },
  ) as unknown as SqliteDb;
  // The transaction's own statements: they run inside it, so they never wait for it.
  const inner = drizzle(async (source, params, method) => runStatement(sqlite, source, params, method) as never, {
    schema,
  });
  rawRowsAsObjects(db, (source, params, all) => whenFree(lock, sqlite, () => objectRows(sqlite, source, params, all)));
  rawRowsAsObjects(inner, (source, params, all) => objectRows(sqlite, source, params, all));
  db.transaction = transactions(sqlite, lock, inner, beforeTransaction);
  db.$client = sqlite;
  return db;
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
 * How the services' async queries and transactions meet one synchronous
 * SQLite connection (the seam, and why it is this one: docs/storage.md).
 *
 * Every query a service runs is awaited, as it must be on PostgreSQL; here
 * drizzle's async SQLite mode (its sqlite-proxy driver) hands each one to
 * `runStatement`, which runs it on better-sqlite3 at once. A transaction body is
 * async too, so it can yield between its statements while it holds the
 * connection's open transaction — and every other request's statement on
 * that connection would then run inside it: reading its half-done writes,
 * or having its own writes rolled back with it. So a connection has one
 * lock (ConnectionLock): a transaction holds it from BEGIN to COMMIT, and a
 * statement from outside that comes while it is held waits for it, in
 * turn. The body's own statements run on the transaction handle, which
 * does not take the lock; a body uses that handle only (a statement or a
 * transaction it began on the database handle would wait for its own
 * transaction: it fails as busy after the wait below instead). Without a
 * transaction open — nearly always on the read path — a statement runs at
 * once.
 *
 * Why the lock does not recognise the body by its async context
 * (AsyncLocalStorage): on Node 20 that makes every promise of the process
 * pay for async hooks — /api/health ran about 12 % slower with it
 * (docs/benchmarks.md, run H).
 */
class ConnectionLock {
  held = false;
  private readonly waiters: { grant: () => void }[] = [];

  /**
   * Undefined when the lock was free and is now the caller's, else a promise
   * of it; one that waited `waitMs` in vain rejects as busy (a storage
   * failure: 503 with Retry-After), so that nothing waits for ever.
   */
  acquire(waitMs: number): Promise<void> | undefined {
    if (!this.held) {
      this.held = true;
      return undefined;
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new ConnectionBusyError("Waited too long for a transaction open on this connection"));
      }, waitMs);
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next.grant();
    else this.held = false;
  }
}

/** The connection's lock was not free within the busy timeout: told apart as SQLite's own busy is (storage-errors.ts). */
export class ConnectionBusyError extends Error {
  override name = "ConnectionBusyError";
  readonly code = "SQLITE_BUSY";
}

/** How long a statement or transaction waits for the connection's lock: the connection's busy timeout. */
function lockWaitMs(sqlite: Database.Database): number {
  return sqlite.pragma("busy_timeout", { simple: true }) as number;
}

type Method = "run" | "all" | "get" | "values";

/** One statement on better-sqlite3, in the shape drizzle's async SQLite driver reads (rows as value arrays). */
function runStatement(sqlite: Database.Database, source: string, params: unknown[], method: Method) {
  const statement = sqlite.prepare(source);
  if (method === "run") return statement.run(...params);
  if (!statement.reader) {
    statement.run(...params);
    return { rows: method === "get" ? undefined : [] };
  }
  statement.raw(true);
  return { rows: method === "get" ? statement.get(...params) : statement.all(...params) };
}

type RawRows = (source: string, params: unknown[], all: boolean) => unknown;

/**
 * Raw SQL read through the handle (`db.all(sql\`…\`)`, `db.get(…)`) gives rows as objects keyed by
 * column name, as better-sqlite3 and every PostgreSQL driver do; drizzle's async SQLite driver would
 * hand out its value arrays. Queries built with the query builder are mapped by drizzle as always.
 */
function rawRowsAsObjects(handle: ProxyDatabase | Db, run: RawRows): void {
  const session = (handle as unknown as { session: RawSession }).session;
  const toQuery = (query: unknown) => session.dialect.sqlToQuery(query);
  session.all = async (query) => {
    const { sql, params } = toQuery(query);
    return await run(sql, params, true);
  };
  session.get = async (query) => {
    const { sql, params } = toQuery(query);
    return await run(sql, params, false);
  };
}

interface RawSession {
  dialect: { sqlToQuery(query: unknown): { sql: string; params: unknown[] } };
  all(query: unknown): Promise<unknown>;
  get(query: unknown): Promise<unknown>;
}

function objectRows(sqlite: Database.Database, source: string, params: unknown[], all: boolean): unknown {
  const statement = sqlite.prepare(source);
  if (!statement.reader) {
    statement.run(...params);
    return all ? [] : undefined;
  }
  statement.raw(false);
  return all ? statement.all(...params) : statement.get(...params);
}

/** Runs `work` on the connection when no other request's transaction is open on it, in turn with the transactions waiting. */
function whenFree<T>(lock: ConnectionLock, sqlite: Database.Database, work: () => T): T | Promise<T> {
  if (!lock.held) return work();
  const run = () => {
    try {
      return work();
    } finally {
      lock.release();
    }
  };
  return (lock.acquire(lockWaitMs(sqlite)) ?? Promise.resolve()).then(run);
}

const locks = new WeakMap<Database.Database, ConnectionLock>();

/**
 * Runs `work` on a connection when no other request's transaction is open
 * on it (at once when none is, else in turn with the transactions waiting):
 * for the few statements run on the raw better-sqlite3 connection rather
 * than through drizzle (a prepared lookup, the readiness probe, the
 * embedded rate-limit store's lockout rows), which would otherwise run
 * inside whichever transaction is open at that moment. A connection not
 * opened by openDatabase has no lock: `work` runs at once.
 */
export function whenConnectionFree<T>(sqlite: Database.Database, work: () => T): T | Promise<T> {
  const lock = locks.get(sqlite);
  return lock ? whenFree(lock, sqlite, work) : work();
}

/** whenConnectionFree for a database handle, with its connection. */
export async function onConnection<T>(db: SqliteDb, work: (sqlite: Database.Database) => T): Promise<T> {
  return await whenConnectionFree(db.$client, () => work(db.$client));
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
 * 10, 15 ms… between tries with the whole process blocked, while the
 * process holding the lock keeps it for a fraction of a millisecond per
 * transaction. So BEGIN IMMEDIATE is tried without SQLite's wait
 * (busy_timeout 0) and, while another process holds the lock, tried again
 * after yielding to the event loop (other requests' reads go on meanwhile),
 * then after pauses of a millisecond, for as long as the connection's busy
 * timeout (BUSY_TIMEOUT_MS unless changed) in all; then SQLITE_BUSY is
 * thrown as before (a storage failure: 503). Once the lock is held the busy
 * timeout is back for everything the transaction runs. `check` runs first
 * (fileStillThere). A transaction begun on a transaction's handle is a
 * savepoint.
 */
function transactions(
  sqlite: Database.Database,
  lock: ConnectionLock,
  inner: ProxyDatabase,
  check: (() => void) | null,
): Db["transaction"] {
  // PRAGMA statements act when prepared, not when run: these are executed afresh each time (about 2 µs).
  const setBusyTimeout = (ms: number) => sqlite.exec(`PRAGMA busy_timeout = ${Math.trunc(ms)}`);
  const session = (inner as unknown as { session: { dialect: unknown; schema: unknown } }).session;
  const beginImmediate = async () => {
    // The connection's busy timeout stays the one setting of how long a write waits (a test or the probe may change it).
    const timeout = sqlite.pragma("busy_timeout", { simple: true }) as number;
    const deadline = Date.now() + timeout;
    for (let attempt = 0; ; attempt++) {
      setBusyTimeout(0);
      try {
        sqlite.exec("BEGIN IMMEDIATE");
        return;
      } catch (error) {
        if (!isLockTaken(error) || Date.now() >= deadline) throw error;
      } finally {
        setBusyTimeout(timeout);
      }
      await (attempt < LOCK_YIELDS ? new Promise(setImmediate) : new Promise((resolve) => setTimeout(resolve, 1)));
    }
  };
  return (async (fn: (tx: Transaction) => Promise<unknown>) => {
    check?.();
    const wait = lock.acquire(lockWaitMs(sqlite));
    if (wait) await wait;
    try {
      await beginImmediate();
      const tx = new SQLiteProxyTransaction(
        "async",
        session.dialect as never,
        session as never,
        session.schema as never,
      );
      try {
        const result = await fn(tx as unknown as Transaction);
        sqlite.exec("COMMIT");
        return result;
      } finally {
        // A failed body, or a COMMIT that failed (a full disk): nothing of it stays.
        if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
      }
    } finally {
      lock.release();
    }
  }) as Db["transaction"];
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

/** The SQLite connection under a database handle, for what only SQLite has (tests that read or break the file); throws on PostgreSQL. */
export function sqliteOf(db: Db): Database.Database {
  if (!db.$client) throw new Error("this needs the embedded SQLite store, not PostgreSQL");
  return db.$client;
}
