import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { BACKSTOP_PAGES, startWalCheckpointer } from "./wal-checkpointer";

const dirs: string[] = [];
const connections: Database.Database[] = [];

function walDatabase(): Database.Database {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-ckpt-"));
  dirs.push(dir);
  const db = new Database(path.join(dir, "test.db"));
  connections.push(db);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  return db;
}

/** Commits `count` rows one by one, each in its own transaction (as requests do). */
function writeRows(db: Database.Database, count: number): void {
  const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
  for (let i = 0; i < count; i++) insert.run("x".repeat(2_000));
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

afterEach(() => {
  for (const db of connections.splice(0)) if (db.open) db.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("WAL checkpoints on a thread of their own", () => {
  it("copies committed pages into the database file while the serving connection never checkpoints", async () => {
    const db = walDatabase();
    const events: unknown[] = [];
    const checkpointer = startWalCheckpointer(db, (event) => events.push(event), 20);
    expect(checkpointer).not.toBeNull();
    // The serving connection's own automatic checkpoint is only the backstop now.
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(BACKSTOP_PAGES);
    const file = db.name;
    const before = fs.statSync(file).size;
    // About 500 pages: below the backstop, so only the thread can have copied them into the main file.
    writeRows(db, 1_000);
    await until(() => fs.statSync(file).size > before + 1_000 * 2_000);
    expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 1_000 });
    await checkpointer?.stop();
    // Stopped: SQLite's own checkpoints are back.
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
    expect(events).toEqual([]);
  });

  it("gives the connection its own checkpoints back and says so when the thread cannot run", async () => {
    const db = walDatabase();
    // The thread opens the file by name and must find it: a file gone under the server is a failure, reported.
    const moved = `${db.name}.moved`;
    fs.renameSync(db.name, moved);
    const events: { ok: boolean; code?: string }[] = [];
    const checkpointer = startWalCheckpointer(db, (event) => events.push(event), 20);
    await until(() => events.length > 0);
    expect(events[0]).toMatchObject({ ok: false, code: "thread_failed" });
    await until(() => db.pragma("wal_autocheckpoint", { simple: true }) === 1_000);
    await checkpointer?.stop();
  });

  it("is not started for an in-memory database", () => {
    const db = new Database(":memory:");
    connections.push(db);
    expect(startWalCheckpointer(db, () => {})).toBeNull();
  });
});
