import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, openDatabase, sqliteOf } from "@/db";
import { storageFailureOf } from "./storage-errors";

/**
 * How a transaction waits for the write lock another process holds
 * (db/index.ts withImmediateTransactions): it tries again until the lock is
 * free, runs its work once, and gives up as a busy storage failure after the
 * connection's busy timeout. The other process is a real one: a plain Node
 * script holding BEGIN IMMEDIATE for a while (in this process, the holder
 * could not let go while the waiting transaction blocks).
 */

const HOLDER = `
const Database = require("better-sqlite3");
const [file, holdMs] = process.argv.slice(1);
const db = new Database(file);
db.exec("BEGIN IMMEDIATE");
db.prepare("INSERT INTO lock_probe (who) VALUES ('holder')").run();
process.stdout.write("locked\\n");
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(holdMs));
db.exec("COMMIT");
db.close();
`;

let dir: string;
let file: string;
let db: Db;
let holder: ChildProcess | null = null;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-write-lock-"));
  file = path.join(dir, "gatehouse.db");
  db = openDatabase(file);
  sqliteOf(db).exec("CREATE TABLE lock_probe (seq INTEGER PRIMARY KEY, who TEXT NOT NULL)");
});

afterEach(() => {
  holder?.kill("SIGKILL");
  holder = null;
  sqliteOf(db).close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts the holder and resolves once it holds the write lock. */
async function holdLock(ms: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", HOLDER, file, String(ms)], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  holder = child;
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("locked")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`holder exited (${code}) before locking`)));
  });
  return child;
}

const whoWrote = () =>
  (sqliteOf(db).prepare("SELECT who FROM lock_probe ORDER BY seq").all() as { who: string }[]).map((r) => r.who);
const busyTimeout = () => sqliteOf(db).pragma("busy_timeout", { simple: true });

describe("a write while another process holds the write lock", () => {
  it("waits for it, then runs its work once, after the holder's commit", async () => {
    const child = await holdLock(300);
    let runs = 0;
    const startedAt = Date.now();
    await db.transaction(async (tx) => {
      runs += 1;
      await tx.run(sql`INSERT INTO lock_probe (who) VALUES ('waiter')`);
    });
    expect(runs).toBe(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(150);
    expect(whoWrote()).toEqual(["holder", "waiter"]);
    // The connection's own setting is back for everything else it runs.
    expect(busyTimeout()).toBe(5000);
    await new Promise((resolve) => child.once("exit", resolve));
  });

  it("gives up after the connection's busy timeout as a busy storage failure, without running its work", async () => {
    sqliteOf(db).pragma("busy_timeout = 200");
    await holdLock(5_000);
    let runs = 0;
    let failure: unknown = null;
    try {
      await db.transaction(async () => {
        runs += 1;
      });
    } catch (error) {
      failure = error;
    }
    expect(runs).toBe(0);
    expect(storageFailureOf(failure)).toEqual({ kind: "busy", code: "SQLITE_BUSY" });
    expect(busyTimeout()).toBe(200);
  });

  it("does not run its work again when the work itself fails", async () => {
    const child = await holdLock(100);
    let runs = 0;
    await expect(
      db.transaction(async (tx) => {
        runs += 1;
        await tx.run(sql`INSERT INTO lock_probe (who) VALUES ('waiter')`);
        throw new Error("the work failed");
      }),
    ).rejects.toThrow("the work failed");
    expect(runs).toBe(1);
    expect(whoWrote()).toEqual(["holder"]);
    expect(busyTimeout()).toBe(5000);
    await new Promise((resolve) => child.once("exit", resolve));
  });

  it("runs a nested transaction as a savepoint of the outer one", async () => {
    await db.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO lock_probe (who) VALUES ('outer')`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.run(sql`INSERT INTO lock_probe (who) VALUES ('inner')`);
          throw new Error("inner fails");
        }),
      ).rejects.toThrow("inner fails");
    });
    expect(whoWrote()).toEqual(["outer"]);
  });
});
