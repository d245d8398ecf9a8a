import path from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { drizzle as pgDrizzle } from "drizzle-orm/node-postgres";
import { drizzle, SQLiteProxyTransaction, SQLiteRemoteSession } from "drizzle-orm/sqlite-proxy";
import pg from "pg";
import * as schema from "../schema";
import { StoreUnavailableError } from "../storage-errors";
import { toPostgresCached } from "./translate";

/**
 * The PostgreSQL store (DATABASE_URL=postgres://…): the same database handle
 * the services get on SQLite, over a pool of node-postgres connections.
 *
 * The services' queries are built by drizzle's async SQLite dialect, once
 * (docs/storage.md says why this is the seam); every statement comes here as
 * SQL text and values, is put in PostgreSQL's words (translate.ts) and runs
 * on the pool. Values keep SQLite's shapes both ways: integers come back as
 * numbers (bigint columns hold counts and millisecond timestamps), booleans
 * of expressions as 1 and 0.
 *
 * A transaction checks one connection out of the pool for its body, so no
 * other request's statement ever runs inside it, and takes one
 * transaction-scoped advisory lock first: transactions of every instance on
 * the database run one after another, as SQLite's write lock makes them run
 * on one file. That is what keeps the audit hash chain one chain and every
 * read-then-write of the services exact across a fleet (docs/storage.md).
 * Waiting for that lock, or for a connection, gives up after the busy
 * timeout as a busy storage failure (503), never a hang; a statement that
 * gets no answer within the statement timeout (a frozen server) fails as an
 * unavailable store.
 */

/** The key of the advisory lock every write transaction holds: "gate" in ASCII, so another application's keys are unlikely to collide. */
export const WRITE_LOCK_KEY = 0x67617465;
/** The key of the advisory lock migrations run under, across every instance starting at once. */
const MIGRATE_LOCK_KEY = WRITE_LOCK_KEY + 1;

/** How long a transaction waits for the write lock or a connection before it fails as busy (as SQLite's busy timeout). */
export const BUSY_TIMEOUT_MS = 5_000;
/**
 * How long a transaction may sit idle between two of its statements before PostgreSQL ends it. A body
 * awaits nothing but the database (docs/storage.md), so only a dead or frozen instance gets near this.
 */
const IDLE_IN_TRANSACTION_MS = 10_000;
/** How long a statement may go unanswered before the store counts as unavailable. */
const STATEMENT_TIMEOUT_MS = 10_000;

const MIGRATIONS_DIR = path.join(process.cwd(), "db", "postgres", "migrations");

const PARSE_NUMBER = (value: string) => Number(value);
const PARSE_BOOLEAN = (value: string) => (value === "t" ? 1 : 0);
/** Type parsers of this store's connections (not pg's global ones): int8 and numeric as numbers, bool as 1/0. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20 || oid === 1700) return PARSE_NUMBER;
    if (oid === 16) return PARSE_BOOLEAN;
    return pg.types.getTypeParser(oid, format as "text");
  },
} as pg.CustomTypesConfig;

type Method = "run" | "all" | "get" | "values";
type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;

export interface PostgresOptions {
  /** Create this schema if it is missing and keep every table in it (search_path): for tests, one schema each. */
  schema?: string;
  /** Connections in the pool (default 10). */
  max?: number;
  /** Close connections idle for this long (default 30 s). */
  idleMs?: number;
  /** How long a transaction waits for the write lock or a connection (default BUSY_TIMEOUT_MS). */
  busyTimeoutMs?: number;
  /** How long a transaction may idle between statements before the server ends it (default 10 s). */
  idleInTransactionMs?: number;
}

export interface PostgresStore {
  pool: pg.Pool;
  /** Settles when the pool has connected once and the migrations are applied (tried again after a failure). */
  readonly ready: Promise<void>;
  busyTimeoutMs: number;
}

const stores = new WeakMap<object, PostgresStore>();

/** The PostgreSQL store under a database handle, or null for a SQLite one. */
export function postgresStoreOf(handle: object): PostgresStore | null {
  const session = (handle as { session?: object }).session;
  return (session && stores.get(session)) ?? null;
}

/**
 * Opens the PostgreSQL database at `url` and applies the committed
 * migrations. Returns at once: the first statement waits for the
 * connection and the migrations, so a process starts as it does on SQLite.
 */
export function openPostgres<Db>(url: string, options: PostgresOptions = {}): Db {
  // A transaction left open by an instance that died or froze mid-body (its connection not yet seen
  // closed) would hold the write lock, and every instance's writes with it: the server ends such a
  // session after IDLE_IN_TRANSACTION_MS, which releases the lock.
  const sessionOptions = [
    `-c idle_in_transaction_session_timeout=${Math.trunc(options.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS)}`,
    ...(options.schema ? [`-c search_path=${quoteIdent(options.schema)}`] : []),
  ].join(" ");
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    idleTimeoutMillis: options.idleMs ?? 30_000,
    connectionTimeoutMillis: busyTimeoutMs,
    query_timeout: STATEMENT_TIMEOUT_MS,
    allowExitOnIdle: true,
    types,
    options: sessionOptions,
  });
  // An idle connection that breaks (the server restarted) is dropped by the pool; a query then gets a new one.
  pool.on("error", () => {});
  // A connection the server ends while it is checked out (a session killed, the server stopping) fails the
  // statement in flight, which its caller sees; the client's own error event must not end the process.
  pool.on("connect", (client) => client.on("error", () => {}));
  // Connected and migrated once; a failed try (the server not up yet) is tried again by the next statement,
  // so an instance started while PostgreSQL is down recovers by itself when it is back.
  let migrated: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    if (!migrated) {
      const attempt = migrate(pool, options.schema);
      migrated = attempt;
      attempt.catch(() => {
        if (migrated === attempt) migrated = null;
      });
    }
    return migrated;
  };
  const store: PostgresStore = {
    pool,
    get ready() {
      return ready();
    },
    busyTimeoutMs,
  };

  const db = drizzle(async (source, params, method) => runOn(pool, ready, source, params, method) as never, {
    schema,
  });
  const session = (db as unknown as { session: RawSession & object }).session;
  stores.set(session, store);
  rawRowsAsObjects(session, (source, params, all) => objectRows(pool, ready, source, params, all));
  (db as unknown as { transaction: unknown }).transaction = transactions(store, session);
  return db as unknown as Db;
}

/**
 * Applies the committed migrations (drizzle-kit's, db/postgres/migrations)
 * with drizzle's migrator, under a session-scoped advisory lock on one
 * connection: ten instances starting together queue for it, and the first
 * applies what is missing while the others find nothing left to do. Tables
 * are created in the connection's schema (search_path), and drizzle's own
 * bookkeeping table beside them.
 */
async function migrate(pool: pg.Pool, schemaName: string | undefined): Promise<void> {
  const client = await wrapped(() => pool.connect());
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
    try {
      if (schemaName) await client.query(`create schema if not exists ${quoteIdent(schemaName)}`);
      const current = schemaName ?? ((await client.query("select current_schema() as s")).rows[0]?.s as string);
      const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR }).map((migration) => ({
        ...migration,
        // drizzle-kit names the default schema in foreign keys; the installation's schema is the connection's.
        sql: migration.sql.map((statement) => statement.replaceAll('"public".', "")),
      }));
      const migrating = pgDrizzle(client);
      const { dialect, session } = migrating as unknown as {
        dialect: { migrate(m: unknown, s: unknown, c: unknown): Promise<void> };
        session: unknown;
      };
      await dialect.migrate(migrations, session, {
        migrationsSchema: current,
        migrationsTable: "__drizzle_migrations",
      });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATE_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** One statement, in the shape drizzle's async SQLite driver reads (rows as value arrays). */
async function runOn(
  on: Queryable,
  ready: (() => Promise<void>) | null,
  source: string,
  params: unknown[],
  method: Method,
): Promise<unknown> {
  if (ready) await ready();
  const text = toPostgresCached(source);
  const result = await wrapped(() => on.query({ name: statementName(text), text, values: params, rowMode: "array" }));
  if (method === "run") return { changes: result.rowCount ?? 0, lastInsertRowid: 0 };
  return { rows: method === "get" ? result.rows[0] : result.rows };
}

/**
 * A name for a statement's text, so that each connection prepares it once (PostgreSQL parses and plans a
 * named statement at its first use on a connection, then only binds and runs it): the services run the
 * same few hundred statements again and again. Texts past MAX_NAMED (queries built with lists of varying
 * length) run unnamed, so that no connection accumulates statements without bound.
 */
const names = new Map<string, string>();
const MAX_NAMED = 1_000;

function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `gh${names.size}`;
    names.set(text, name);
  }
  return name;
}

async function objectRows(
  on: Queryable,
  ready: (() => Promise<void>) | null,
  source: string,
  params: unknown[],
  all: boolean,
): Promise<unknown> {
  if (ready) await ready();
  const result = await wrapped(() => on.query({ text: toPostgresCached(source), values: params }));
  return all ? result.rows : result.rows[0];
}

interface RawSession {
  dialect: { sqlToQuery(query: unknown): { sql: string; params: unknown[] } };
  schema: unknown;
  all(query: unknown): Promise<unknown>;
  get(query: unknown): Promise<unknown>;
}

/** Raw SQL read through the handle gives rows as objects, as on SQLite (db/index.ts). */
function rawRowsAsObjects(
  session: RawSession,
  run: (source: string, params: unknown[], all: boolean) => Promise<unknown>,
): void {
  session.all = async (query) => {
    const { sql, params } = session.dialect.sqlToQuery(query);
    return await run(sql, params, true);
  };
  session.get = async (query) => {
    const { sql, params } = session.dialect.sqlToQuery(query);
    return await run(sql, params, false);
  };
}

/**
 * `db.transaction(async (tx) => …)`: a connection of its own, BEGIN, the
 * write lock (waited for at most the busy timeout), the body on that
 * connection, COMMIT — or ROLLBACK when the body or the commit fails; then
 * the connection goes back to the pool (or is dropped if it broke). A
 * transaction begun on `tx` is a savepoint.
 */
function transactions(store: PostgresStore, outer: RawSession) {
  return async (fn: (tx: unknown) => Promise<unknown>) => {
    await store.ready;
    const client = await wrapped(() => store.pool.connect());
    let broken: Error | undefined;
    try {
      // One round trip: BEGIN, the bound on the wait, the write lock.
      await wrapped(() =>
        client.query(
          `begin; set local lock_timeout = ${Math.trunc(store.busyTimeoutMs)}; select pg_advisory_xact_lock(${WRITE_LOCK_KEY})`,
        ),
      );
      const session = new SQLiteRemoteSession(
        (async (source: string, params: unknown[], method: Method) =>
          runOn(client, null, source, params, method)) as never,
        outer.dialect as never,
        outer.schema as never,
        undefined as never,
      );
      stores.set(session, store);
      rawRowsAsObjects(session as unknown as RawSession, (source, params, all) =>
        objectRows(client, null, source, params, all),
      );
      const tx = new SQLiteProxyTransaction("async", outer.dialect as never, session, outer.schema as never);
      const result = await fn(tx);
      await wrapped(() => client.query("commit"));
      return result;
    } catch (error) {
      try {
        await client.query("rollback");
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  };
}

/**
 * Runs one call to the driver, telling a store that cannot answer (refused
 * or lost connection, a timeout, a server shutting down) apart from a query's
 * own error, as StoreUnavailableError: a storage failure (503), whose
 * message names no host, user or value.
 */
async function wrapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isConnectionFailure(error)) {
      throw new StoreUnavailableError("The database cannot be reached", { cause: error });
    }
    throw error;
  }
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"]);

function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (CONNECTION_CODES.has(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P0x (the server shutting down or starting).
    return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03";
  }
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error/i.test(
    error.message,
  );
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Closes the pool: in-flight statements finish, then every connection is closed. */
export async function closePostgres(handle: object): Promise<void> {
  const store = postgresStoreOf(handle);
  if (store) await store.pool.end();
}
