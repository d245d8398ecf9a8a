import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { onConnection, openSqlite, type SqliteDb, schema, sqliteOf } from "@/db";
import { storageFailureOf } from "./storage-errors";

/**
 * Isolation of async transactions on one SQLite connection (db/index.ts,
 * docs/storage.md). A transaction body awaits between its statements, and
 * so lets other requests run while its transaction is open on the one
 * connection they share: none of them may see its half-done writes, have
 * their own writes swallowed by it (and rolled back with it), or interleave
 * a read-modify-write with it. Every test makes the body yield for real
 * (a timer, not just a microtask), the way a slow body would.
 */

const pause = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise and the function that resolves it: a body tells the test "I have written, and I am still open". */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

let dir: string;
let db: SqliteDb;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-tx-"));
  db = openSqlite(path.join(dir, "gatehouse.db"));
  sqliteOf(db).exec("CREATE TABLE probe (id TEXT PRIMARY KEY, n INTEGER NOT NULL)");
});

afterEach(() => {
  sqliteOf(db).close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const probeRows = () => db.all<{ id: string; n: number }>(sql`SELECT id, n FROM probe ORDER BY id`);
const rowsOf = (rows: { id: string }[]) => rows.map((row) => row.id);

describe("an async transaction on the shared connection", () => {
  it("is not seen half-done by a read from outside, and is seen whole after its commit", async () => {
    const { promise: written, resolve: wrote } = signal();
    const transaction = db.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO probe (id, n) VALUES ('a', 1)`);
      wrote();
      await pause();
      await tx.run(sql`INSERT INTO probe (id, n) VALUES ('b', 2)`);
    });
    await written;
    const during = await probeRows();
    await transaction;
    // The outside read waited for the commit, in turn: it saw both rows or (had it run first) neither, never one.
    expect(rowsOf(during)).toEqual(["a", "b"]);
    expect(rowsOf(await probeRows())).toEqual(["a", "b"]);
  });

  it("does not take an outside write with it when it rolls back", async () => {
    const { promise: written, resolve: wrote } = signal();
    const failing = db.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO probe (id, n) VALUES ('inside', 1)`);
      wrote();
      await pause();
      throw new Error("the body failed");
    });
    await written;
    const outside = db.run(sql`INSERT INTO probe (id, n) VALUES ('outside', 1)`);
    await expect(failing).rejects.toThrow("the body failed");
    await outside;
    expect(rowsOf(await probeRows())).toEqual(["outside"]);
  });

  it("serialises read-modify-write bodies that yield between the read and the write", async () => {
    await db.run(sql`INSERT INTO probe (id, n) VALUES ('counter', 0)`);
    const increment = () =>
      db.transaction(async (tx) => {
        const row = await tx.get<{ n: number }>(sql`SELECT n FROM probe WHERE id = 'counter'`);
        await pause(1);
        const n = row?.n ?? 0;
        await tx.run(sql`UPDATE probe SET n = ${n + 1} WHERE id = 'counter'`);
      });
    await Promise.all(Array.from({ length: 20 }, increment));
    expect(sqliteOf(db).prepare("SELECT n FROM probe WHERE id = 'counter'").pluck().get()).toBe(20);
  });

  it("refuses, as busy and within the busy timeout, a statement its body makes on the database handle", async () => {
    // The body's statements belong on `tx`; one on `db` waits for the body's own transaction. It must not hang.
    sqliteOf(db).pragma("busy_timeout = 200");
    const startedAt = Date.now();
    await expect(
      db.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO probe (id, n) VALUES ('own', 1)`);
        await db.select().from(schema.users);
      }),
    ).rejects.toSatisfy((error: unknown) => storageFailureOf(error)?.kind === "busy");
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    // Nothing of the refused body stays, and the connection is free again.
    expect(rowsOf(await probeRows())).toEqual([]);
  });

  it("makes a transaction begun on its handle a savepoint: the inner failure is undone, the outer work stays", async () => {
    await db.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO probe (id, n) VALUES ('outer', 1)`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.run(sql`INSERT INTO probe (id, n) VALUES ('inner', 1)`);
          await pause();
          throw new Error("inner fails");
        }),
      ).rejects.toThrow("inner fails");
    });
    expect(rowsOf(await probeRows())).toEqual(["outer"]);
  });

  it("does not let a promise its body left running slip into the next transaction", async () => {
    let stray: Promise<unknown> = Promise.resolve();
    await db.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO probe (id, n) VALUES ('first', 1)`);
      // Left running past the commit, in the first transaction's async context.
      stray = pause(2).then(() => db.run(sql`INSERT INTO probe (id, n) VALUES ('stray', 1)`));
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO probe (id, n) VALUES ('second', 1)`);
        await pause(10);
        throw new Error("second rolls back");
      }),
    ).rejects.toThrow("second rolls back");
    await stray;
    // The stray write waited for the second transaction instead of joining it (and being rolled back with it).
    expect(rowsOf(await probeRows())).toEqual(["first", "stray"]);
  });

  it("makes a raw statement on the connection (onConnection) wait for an open transaction", async () => {
    const { promise: written, resolve: wrote } = signal();
    const transaction = db.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO probe (id, n) VALUES ('a', 1)`);
      wrote();
      await pause();
      throw new Error("rolled back");
    });
    await written;
    const seen = onConnection(db, (sqlite) => sqlite.prepare("SELECT COUNT(*) FROM probe").pluck().get());
    await expect(transaction).rejects.toThrow("rolled back");
    expect(await seen).toBe(0);
  });

  it("leaves nothing open when the commit itself fails", async () => {
    // A deferred foreign key fails at COMMIT, not at the statement.
    sqliteOf(db).exec(
      "CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT REFERENCES probe(id) DEFERRABLE INITIALLY DEFERRED)",
    );
    await expect(
      db.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO probe (id, n) VALUES ('kept?', 1)`);
        await tx.run(sql`INSERT INTO child (id, parent) VALUES ('c', 'nobody')`);
      }),
    ).rejects.toThrow(/FOREIGN KEY/);
    expect(sqliteOf(db).inTransaction).toBe(false);
    expect(rowsOf(await probeRows())).toEqual([]);
    // And the connection is free for the next one.
    await db.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO probe (id, n) VALUES ('next', 1)`);
    });
    expect(rowsOf(await probeRows())).toEqual(["next"]);
  });
});

describe("a failed query", () => {
  it("rejects with the driver's own error, which names no bound value", async () => {
    const secret = "s3cr3t-value-that-must-not-be-logged";
    await db.run(sql`INSERT INTO probe (id, n) VALUES (${secret}, 1)`);
    const failure = await db
      .insert(schema.users)
      .values({
        id: "usr_a",
        email: secret,
        passwordHash: secret,
        role: "member",
        createdAt: new Date(),
        updatedAt: new Date(),
      })
      .then(() => db.run(sql`INSERT INTO probe (id, n) VALUES (${secret}, 2)`))
      .catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe("SQLITE_CONSTRAINT_PRIMARYKEY");
    expect(String((failure as Error).message)).not.toContain(secret);
    expect(JSON.stringify(failure)).not.toContain(secret);
  });
});
