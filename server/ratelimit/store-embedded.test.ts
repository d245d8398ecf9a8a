import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import DatabaseConstructor from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { COUNTERS_FILE, EmbeddedStore } from "./store-embedded";

/**
 * The embedded store's files on disk: the window counters live beside the
 * application's database, owner-only, and their write-ahead log stays
 * bounded however many requests are counted (SQLite starts the WAL over at
 * each checkpoint only when no statement is left unfinished).
 */
describe("embedded store: the window counters' file", () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
  });

  function open() {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-counters-"));
    folders.push(folder);
    const db = openDatabase(path.join(folder, "gatehouse.db"));
    return { folder, db, store: new EmbeddedStore(sqliteOf(db)) };
  }

  it("is a file of its own beside the database, mode 0600, and the application's file is not written per request", async () => {
    const { folder, db, store } = open();
    const mainWal = path.join(folder, "gatehouse.db-wal");
    const before = fs.statSync(mainWal).size;
    for (let i = 0; i < 200; i++) await store.consume("ip:203.0.113.9", { limit: 1_000, windowMs: 60_000 }, 1);
    expect(fs.statSync(path.join(folder, COUNTERS_FILE)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(mainWal).size).toBe(before);
    await store.close();
    sqliteOf(db).close();
  });

  it("keeps its write-ahead log bounded under many counted requests (one page per request before)", async () => {
    const { folder, db, store } = open();
    const rule = { limit: 1_000_000, windowMs: 60_000 };
    for (let i = 0; i < 3_000; i++) {
      const use = await store.consume(`token:tok_${i % 7}`, rule, 1);
      expect(use.allowed).toBe(true);
    }
    // SQLite restarts the WAL after its automatic checkpoint at 1,000 pages (4 KiB each).
    const wal = fs.statSync(path.join(folder, `${COUNTERS_FILE}-wal`)).size;
    expect(wal).toBeLessThan(1_100 * 4096);
    // And the counts are exact.
    const next = await store.consume("token:tok_0", rule, 1);
    expect(next.remaining).toBe(rule.limit - Math.ceil(3_000 / 7) - 1);
    await store.close();
    sqliteOf(db).close();
  });

  it("waits for another process's counter write without blocking the worker, then counts exactly once", async () => {
    const { folder, db, store } = open();
    const rule = { limit: 10, windowMs: 60_000 };
    await store.consume("ip:203.0.113.7", rule, 1);
    // Another process's connection holds the counters' write lock.
    const other = new DatabaseConstructor(path.join(folder, COUNTERS_FILE));
    other.exec("BEGIN IMMEDIATE");
    const pending = store.consume("ip:203.0.113.7", rule, 1);
    expect(pending).toBeInstanceOf(Promise);
    // The worker goes on serving meanwhile: timers and I/O callbacks run while the write waits.
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const tick = () => (++ticks < 20 ? setImmediate(tick) : resolve());
      setImmediate(tick);
    });
    other.exec("COMMIT");
    other.close();
    const use = await pending;
    expect(ticks).toBe(20);
    expect(use).toMatchObject({ allowed: true, remaining: 8 });
    await store.close();
    sqliteOf(db).close();
  });

  it("survives a periodic sweep that finds the counters locked (the next sweep tries again)", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const { folder, db, store } = open();
      const other = new DatabaseConstructor(path.join(folder, COUNTERS_FILE));
      other.exec("BEGIN IMMEDIATE");
      await expect(store.sweep(Date.now())).rejects.toThrow(/locked|busy/i);
      // From the timer the same failure is swallowed: as an unhandled rejection it would end the worker.
      const unhandled: unknown[] = [];
      const note = (reason: unknown) => unhandled.push(reason);
      process.on("unhandledRejection", note);
      try {
        expect(() => vi.advanceTimersByTime(5 * 60_000)).not.toThrow();
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off("unhandledRejection", note);
      }
      expect(unhandled).toEqual([]);
      other.exec("ROLLBACK");
      other.close();
      await store.close();
      sqliteOf(db).close();
    } finally {
      vi.useRealTimers();
    }
  });
});
