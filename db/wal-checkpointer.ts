import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";

/**
 * Moves SQLite's WAL checkpoints off the serving thread.
 *
 * In WAL mode every commit appends its pages to the -wal file, and by
 * default the connection whose commit takes the WAL past 1,000 pages copies
 * them back into the database file right then, inside that commit, with two
 * fsyncs (synchronous=NORMAL syncs at checkpoints, not at commits). A new
 * contact commits about twenty pages (the row and its four indexes, the
 * audit entry and its ten indexes), so under a write load a checkpoint ran
 * every fifty or so requests and held the event loop — and every request
 * queued behind it — for as long as the disk took to sync: milliseconds
 * each time.
 *
 * Here a worker thread with a connection of its own runs a PASSIVE
 * checkpoint every CHECKPOINT_INTERVAL_MS: it copies what it can without
 * waiting for any lock, so readers and writers never wait for it, and its
 * fsyncs block only its own thread. Under a steady stream of writes the WAL
 * is never wholly copied at the moment a writer starts, so writers cannot
 * start it over from the beginning; that still takes a checkpoint inside a
 * commit, which the serving connection keeps, at BACKSTOP_PAGES (about 40 MB
 * of WAL) instead of 1,000 — ten times rarer, and by then the thread has
 * copied nearly all of it. If the thread fails, the connection goes back to
 * SQLite's default. Durability is unchanged: a commit is on disk when the
 * next checkpoint syncs, as before; a killed process loses nothing either way.
 *
 * Measured (one worker, `POST /api/v1/contacts`, wrk 16 connections, three
 * interleaved rounds): 730 requests/s with SQLite's own checkpoints, 914
 * with this (docs/benchmarks.md).
 *
 * The thread is started by the serving process only (server/serve/worker.ts);
 * the CLI and tests keep SQLite's own checkpoints. Several processes on one
 * file each run one: SQLite lets one checkpoint run at a time, and a PASSIVE
 * one that finds another running simply does nothing this round.
 */
export const CHECKPOINT_INTERVAL_MS = 100;
export const BACKSTOP_PAGES = 10_000;
const SQLITE_DEFAULT_PAGES = 1_000;

// Plain CommonJS, evaluated as the thread's script: the server is one bundle, and a thread needs a file or
// source of its own. The driver's path is resolved by the parent and passed in.
const THREAD_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
let failing = false;
setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    if (failing) parentPort.postMessage({ ok: true });
    failing = false;
  } catch (error) {
    // Busy is another checkpoint at work; anything else (a full disk, I/O) is said once until it passes.
    if (error && error.code === "SQLITE_BUSY") return;
    if (!failing) parentPort.postMessage({ ok: false, code: String(error && error.code), message: String(error && error.message) });
    failing = true;
  }
}, workerData.intervalMs);
`;

export interface WalCheckpointer {
  /** Stops the thread and gives the connection SQLite's own checkpoints back. */
  stop(): Promise<void>;
}

export function startWalCheckpointer(
  sqlite: Database.Database,
  report: (event: { ok: boolean; code?: string; message?: string }) => void,
  intervalMs = CHECKPOINT_INTERVAL_MS,
): WalCheckpointer | null {
  if (sqlite.memory) return null;
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const thread = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { driver, file: sqlite.name, intervalMs },
    // A connection and a timer: a small heap is plenty.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  // The serving process's lifetime decides; the thread never keeps it alive.
  thread.unref();
  const ownCheckpoints = () => {
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
  };
  sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  thread.on("message", report);
  thread.on("error", (error) => {
    ownCheckpoints();
    report({ ok: false, code: "thread_failed", message: error.message });
  });
  thread.on("exit", ownCheckpoints);
  return {
    stop: async () => {
      ownCheckpoints();
      await thread.terminate();
    },
  };
}
