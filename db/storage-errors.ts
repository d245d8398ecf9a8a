import fs from "node:fs";

/**
 * Storage failures: the database (or the disk under it) cannot do what was
 * asked right now, through no fault of the request. They are told apart here,
 * once, from everything else that can go wrong in a query (a bug, a
 * constraint), so that every door can answer them the same way: 503 with
 * Retry-After, never a 500 (server/errors.ts maps them to the application
 * error type).
 *
 * - `full`: SQLITE_FULL (no space left on the disk, or the database reached
 *   its max_page_count), or ENOSPC / EDQUOT from the filesystem;
 * - `read_only`: SQLITE_READONLY_* (a read-only file or filesystem), EROFS;
 * - `io_error`: SQLITE_IOERR_* (the disk failed a read or a write), EIO;
 * - `busy`: SQLITE_BUSY / SQLITE_LOCKED (another writer held the lock beyond
 *   the busy timeout), SQLITE_PROTOCOL (the WAL locks kept changing);
 * - `missing`: SQLITE_CANTOPEN, or the database file was deleted or replaced
 *   under the running server (DatabaseFileGoneError, db/index.ts);
 * - `unavailable`: the PostgreSQL server cannot be reached, or stopped
 *   answering (StoreUnavailableError, db/postgres/index.ts).
 *
 * PostgreSQL's own SQLSTATEs are read the same way: 53100 (disk full) is
 * `full`, 25006 (read-only transaction) `read_only`, 58030 `io_error`, and a
 * lock or a connection not had in time (55P03, 53300, 40001, 40P01) `busy`.
 */
export type StorageFailureKind = "full" | "read_only" | "io_error" | "busy" | "missing" | "unavailable";

export interface StorageFailure {
  kind: StorageFailureKind;
  /** The SQLite or system error code, for the log. */
  code: string;
}

/**
 * The database file at the configured path is gone, or is another file than
 * the one the connection has open. SQLite in WAL mode does not notice: it
 * keeps writing to the unlinked file, and everything written is lost at the
 * next start. So the application refuses to write (db/index.ts).
 */
export class DatabaseFileGoneError extends Error {
  override name = "DatabaseFileGoneError";
  readonly code = "GATEHOUSE_DB_GONE";
}

/** The PostgreSQL store cannot be reached or stopped answering: its message names no host, user or value. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
  readonly code = "GATEHOUSE_DB_UNAVAILABLE";
}

/** A statement refused because another connection holds the lock it needs (plain SQLITE_BUSY: the lock was taken, not lost). */
export function isLockTaken(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "SQLITE_BUSY";
}

const POSTGRES_CODES: Record<string, StorageFailureKind> = {
  "53100": "full",
  "25006": "read_only",
  "58030": "io_error",
  "55P03": "busy",
  "53300": "busy",
  "40001": "busy",
  "40P01": "busy",
};

function kindOfCode(code: string): StorageFailureKind | null {
  if (code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT") return "full";
  if (code.startsWith("SQLITE_READONLY") || code === "EROFS") return "read_only";
  if (code.startsWith("SQLITE_IOERR") || code === "EIO") return "io_error";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED") || code === "SQLITE_PROTOCOL") return "busy";
  if (code.startsWith("SQLITE_CANTOPEN") || code === "GATEHOUSE_DB_GONE") return "missing";
  if (code === "GATEHOUSE_DB_UNAVAILABLE") return "unavailable";
  return POSTGRES_CODES[code] ?? null;
}

/**
 * The storage failure behind an error, if it is one: the error itself or any
 * error in its `cause` chain (drizzle and tRPC wrap what they catch).
 */
export function storageFailureOf(error: unknown): StorageFailure | null {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      const kind = kindOfCode(code);
      if (kind) return { kind, code };
    }
    current = current.cause;
  }
  return null;
}

/** The identity of a file: the same path can come to name another file (deleted and created again). */
export interface FileIdentity {
  dev: number;
  ino: number;
}

export function fileIdentity(file: string): FileIdentity | null {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? { dev: stat.dev, ino: stat.ino } : null;
}

/**
 * Whether the database file is still the one the connection opened:
 * "missing" when nothing is at its path, "replaced" when another file is.
 * One stat call.
 */
export function databaseFileState(file: string, opened: FileIdentity): "ok" | "missing" | "replaced" {
  const now = fileIdentity(file);
  if (!now) return "missing";
  return now.dev === opened.dev && now.ino === opened.ino ? "ok" : "replaced";
}
