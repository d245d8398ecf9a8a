import fs from "node:fs";
import path from "node:path";
import { type Db, onConnection, openedFileOf, postgresStoreOf, type SqliteDb } from "@/db";
import { databaseFileState, type StorageFailureKind, storageFailureOf } from "@/db/storage-errors";
import { limiterFor } from "../ratelimit/runtime";
import type { Runtime } from "../runtime";

/**
 * Whether this instance can do its work, for /api/ready (server/http/health.ts):
 *
 * - `database`: the database can be written — not merely read. A full disk,
 *   a read-only file or filesystem, an I/O error or a database file deleted
 *   under the server all leave reads working while every write fails;
 * - `redis` (only when REDIS_URL or UPSTASH_REDIS_REST_* is set): the
 *   rate-limit store answers within RATE_LIMIT_TIMEOUT.
 *
 * Orchestrators call this often, so it stays cheap and writes nothing: each
 * result is kept for READY_CACHE_MS (one probe per second per worker, however
 * often it is asked; concurrent askers share one probe). The database probe:
 *
 * 1. the file at the configured path is still the one opened (one stat);
 * 2. the file and its folder are writable (access), and the folder's
 *    filesystem has at least MIN_FREE_BYTES free (statfs) — SQLite grows
 *    the WAL and the file as it writes, so a disk with no space left fails
 *    the next write even if the probe's own write below would pass;
 * 3. on the application's own connection (its limits, e.g. max_page_count,
 *    are the ones writes meet), BEGIN IMMEDIATE, one row too large for any
 *    page with room left (so SQLite must find new pages for it), ROLLBACK:
 *    SQLite answers as a real write would, and nothing reaches the disk.
 *    It never waits for the write lock (busy_timeout 0 for the probe): a lock
 *    held elsewhere is a writer at work, so the last answer stands.
 */

export type DatabaseCheck = "ok" | Exclude<StorageFailureKind, "busy"> | "error";
export type RedisCheck = "ok" | "unreachable";

export interface Readiness {
  ready: boolean;
  checks: { database: DatabaseCheck; redis?: RedisCheck };
}

export const READY_CACHE_MS = 1_000;
/** Below this much free space on the data folder's filesystem the database counts as full. */
export const MIN_FREE_BYTES = 1024 * 1024;
/** The probe row's size: more than a page (4 KiB), so it always needs pages of its own. */
const PROBE_BYTES = 8 * 1024;

interface Cached {
  at: number;
  result: Promise<Readiness>;
}

const cache = new WeakMap<object, Cached>();
const lastDatabase = new WeakMap<object, DatabaseCheck>();

/** The cached readiness of a runtime, probing again once it is older than READY_CACHE_MS. */
export function readinessOf(runtime: Runtime, now = Date.now()): Promise<Readiness> {
  const cached = cache.get(runtime);
  if (cached && now - cached.at < READY_CACHE_MS && now >= cached.at) return cached.result;
  const result = probe(runtime);
  cache.set(runtime, { at: now, result });
  return result;
}

/** Tests: forget the cached answer, so the next call probes. */
export function forgetReadiness(runtime: Runtime): void {
  cache.delete(runtime);
}

async function probe(runtime: Runtime): Promise<Readiness> {
  const previous = lastDatabase.get(runtime) ?? "ok";
  // The probe writes on the connection: never inside a request's open transaction.
  const db = runtime.db;
  const database = db.$client
    ? await onConnection(db as SqliteDb, () => probeDatabase(db as SqliteDb, previous))
    : await probePostgres(db, previous);
  lastDatabase.set(runtime, database);
  const checks: Readiness["checks"] = { database };
  const store = runtime.config.rateLimit?.store.kind ?? "embedded";
  if (store !== "embedded") checks.redis = (await limiterFor(runtime).health()).ok ? "ok" : "unreachable";
  return { ready: database === "ok" && checks.redis !== "unreachable", checks };
}

/**
 * On PostgreSQL: the same write the SQLite probe makes, rolled back, on a
 * connection of the pool, within the busy timeout; the server's answer (a
 * full disk, a read-only standby, no connection) is the check's.
 */
async function probePostgres(db: Db, previous: DatabaseCheck): Promise<DatabaseCheck> {
  const store = postgresStoreOf(db);
  if (!store) return "error";
  try {
    await store.ready;
    const client = await store.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("begin");
      await client.query("set local statement_timeout = 2000");
      await client.query("insert into rate_limit_counters (key, points, expire) values ($1, 0, 0)", [
        `ready-probe:${"0".repeat(PROBE_BYTES)}`,
      ]);
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      await client.query("rollback").catch(() => {});
      client.release(broken && !("code" in broken) ? broken : undefined);
    }
    return "ok";
  } catch (error) {
    const failure = storageFailureOf(error);
    if (failure?.kind === "busy") return previous;
    return failure ? failure.kind : "error";
  }
}

function probeDatabase(db: SqliteDb, previous: DatabaseCheck): DatabaseCheck {
  const sqlite = db.$client;
  try {
    const opened = openedFileOf(sqlite);
    if (opened) {
      if (databaseFileState(opened.file, opened.identity) !== "ok") return "missing";
      const folder = path.dirname(opened.file);
      try {
        fs.accessSync(opened.file, fs.constants.W_OK);
        fs.accessSync(folder, fs.constants.W_OK);
      } catch {
        return "read_only";
      }
      const space = fs.statfsSync(folder);
      if (space.bavail * space.bsize < MIN_FREE_BYTES) return "full";
    }
    // No transaction of a request is open here (onConnection), unless the probe runs inside one.
    if (sqlite.inTransaction) return previous;
    const timeout = sqlite.pragma("busy_timeout", { simple: true }) as number;
    sqlite.pragma("busy_timeout = 0");
    try {
      sqlite.exec("BEGIN IMMEDIATE");
      try {
        // rate_limit_counters: a table of short-lived bookkeeping rows, never application data; rolled back anyway.
        sqlite
          .prepare(
            "INSERT INTO rate_limit_counters (key, points, expire) VALUES ('ready-probe:' || hex(zeroblob(?)), 0, 0)",
          )
          .run(PROBE_BYTES / 2);
      } finally {
        // SQLite may have rolled back already (it does on SQLITE_FULL).
        if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
      }
    } finally {
      sqlite.pragma(`busy_timeout = ${timeout}`);
    }
    return "ok";
  } catch (error) {
    const failure = storageFailureOf(error);
    if (failure?.kind === "busy") return previous;
    return failure ? failure.kind : "error";
  }
}

/** One line per failing dependency, for the 503's detail. */
export function describeReadiness(readiness: Readiness): string {
  const parts: string[] = [];
  const database: Record<Exclude<DatabaseCheck, "ok">, string> = {
    full: "cannot be written (the disk is full)",
    read_only: "cannot be written (read-only)",
    io_error: "cannot be written (I/O error)",
    missing: "cannot be written (the database file is missing or was replaced)",
    unavailable: "cannot be reached",
    error: "does not answer",
  };
  if (readiness.checks.database !== "ok") parts.push(`database ${database[readiness.checks.database]}`);
  if (readiness.checks.redis === "unreachable") parts.push("redis (rate-limit store) cannot be reached");
  return parts.length > 0 ? `Not ready: ${parts.join("; ")}` : "Ready";
}
