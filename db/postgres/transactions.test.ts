import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/server/audit/verify";
import { systemClock } from "@/server/clock";
import { recordAudit, SYSTEM_ACTOR } from "@/server/services/audit";
import type { Db } from "../index";
import { storageFailureOf } from "../storage-errors";
import { openPostgres, postgresStoreOf } from "./index";
import { dropSchema, openTestPostgres, POSTGRES_URL, postgresForTests, relayTo, uniqueSchema } from "./testing";

/**
 * Isolation on the PostgreSQL store (db/postgres/index.ts, docs/storage.md),
 * attacked as on SQLite (db/transactions.test.ts), with two handles on one
 * schema standing for two instances of a fleet: each its own pool, as two
 * processes would have. A body yields for real (a timer) between its
 * statements, the way a slow body would.
 */

const { available } = await postgresForTests("PostgreSQL store isolation");
const pause = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe.skipIf(!available)("transactions on PostgreSQL", () => {
  const schema = uniqueSchema("tx");
  let a: Db;
  let b: Db;

  beforeAll(async () => {
    a = openTestPostgres(schema);
    await a.run(sql`create table probe (id text primary key, n bigint not null)`);
    b = openTestPostgres(schema);
  });
  afterAll(async () => {
    await dropSchema(schema, a, b);
  });

  const probeIds = async (db: Db) =>
    (await db.all<{ id: string }>(sql`select id from probe order by id`)).map((row) => row.id);

  it("are never seen half-done from outside, on the same instance or another", async () => {
    await a.run(sql`delete from probe`);
    const { promise: written, resolve: wrote } = signal();
    const { promise: read, resolve: readDone } = signal();
    const transaction = a.transaction(async (tx) => {
      await tx.run(sql`insert into probe (id, n) values ('a', 1)`);
      wrote();
      // Open until the outside reads are done (they do not wait for it; the pause only bounds a failure).
      await Promise.race([read, pause(2_000)]);
      await tx.run(sql`insert into probe (id, n) values ('b', 2)`);
    });
    await written;
    const [sameInstance, otherInstance] = await Promise.all([probeIds(a), probeIds(b)]);
    readDone();
    await transaction;
    expect(sameInstance).toEqual([]);
    expect(otherInstance).toEqual([]);
    expect(await probeIds(b)).toEqual(["a", "b"]);
  });

  it("do not take an outside write with them when they roll back", async () => {
    await a.run(sql`delete from probe`);
    const { promise: written, resolve: wrote } = signal();
    const failing = a.transaction(async (tx) => {
      await tx.run(sql`insert into probe (id, n) values ('inside', 1)`);
      wrote();
      await pause(20);
      throw new Error("the body failed");
    });
    await written;
    await a.run(sql`insert into probe (id, n) values ('outside', 1)`);
    await expect(failing).rejects.toThrow("the body failed");
    expect(await probeIds(b)).toEqual(["outside"]);
  });

  it("run read-modify-write bodies of two instances one after another: none is lost", async () => {
    await a.run(sql`delete from probe`);
    await a.run(sql`insert into probe (id, n) values ('counter', 0)`);
    const bump = (db: Db) =>
      db.transaction(async (tx) => {
        const row = await tx.get<{ n: number }>(sql`select n from probe where id = 'counter'`);
        await pause(2);
        await tx.run(sql`update probe set n = ${(row?.n ?? 0) + 1} where id = 'counter'`);
      });
    await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 === 0 ? a : b)));
    expect((await a.get<{ n: number }>(sql`select n from probe where id = 'counter'`))?.n).toBe(20);
  });

  it("keep one unbroken audit chain with two instances appending at once", async () => {
    const client = { ip: null, userAgent: null, requestId: "chain" };
    const append = (db: Db, i: number) =>
      db.transaction((tx) =>
        recordAudit(tx, systemClock, { actor: SYSTEM_ACTOR, action: "test.append", client, detail: { i } }),
      );
    await Promise.all(Array.from({ length: 60 }, (_, i) => append(i % 2 === 0 ? a : b, i)));
    const report = await verifyAuditChain(b);
    expect(report.ok).toBe(true);
    expect(report.checked).toBe(60);
  });

  it("roll a savepoint back alone, keeping the rest of the body", async () => {
    await a.run(sql`delete from probe`);
    await a.transaction(async (tx) => {
      await tx.run(sql`insert into probe (id, n) values ('kept', 1)`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.run(sql`insert into probe (id, n) values ('undone', 1)`);
          throw new Error("inner failed");
        }),
      ).rejects.toThrow("inner failed");
    });
    expect(await probeIds(a)).toEqual(["kept"]);
  });

  it("give up waiting for another instance's transaction after the busy timeout, as busy (503), not a hang", async () => {
    const impatient = openTestPostgres(schema, { busyTimeoutMs: 300 });
    const { promise: holding, resolve: hold } = signal();
    const { promise: release, resolve: letGo } = signal();
    const long = a.transaction(async (tx) => {
      await tx.run(sql`select 1`);
      hold();
      await release;
    });
    await holding;
    const started = Date.now();
    const refused = await impatient.transaction(async () => "ran").catch((error: unknown) => error);
    letGo();
    await long;
    expect(storageFailureOf(refused)?.kind).toBe("busy");
    expect(Date.now() - started).toBeLessThan(3_000);
    await postgresStoreOf(impatient)?.pool.end();
  });

  it("do not hold the fleet's writes for ever when an instance freezes inside one", async () => {
    const frozen = openTestPostgres(schema, { idleInTransactionMs: 400 });
    const { promise: holding, resolve: hold } = signal();
    // A body that never goes on (its instance frozen): the server ends the session, and the lock goes with it.
    void frozen
      .transaction(async (tx) => {
        await tx.run(sql`select 1`);
        hold();
        await new Promise(() => {});
      })
      .catch(() => {});
    await holding;
    const started = Date.now();
    expect(await b.transaction(async () => "ran")).toBe("ran");
    expect(Date.now() - started).toBeLessThan(4_000);
    // Not awaited: the frozen body never gives its connection back.
    void postgresStoreOf(frozen)
      ?.pool.end()
      .catch(() => {});
  });

  it("report a failed query with the server's error, which names no bound value", async () => {
    const secret = "s3cr3t-value-that-must-not-leak";
    const error = (await a
      .run(sql`insert into probe (id, n) values (${secret}, ${"not a number"})`)
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).not.toContain(secret);
    expect(storageFailureOf(error)).toBeNull();
  });
});

describe.skipIf(!available)("opening the PostgreSQL store", () => {
  it("migrates once when ten instances start at the same time", async () => {
    const schema = uniqueSchema("migrate");
    const handles = Array.from({ length: 10 }, () => openTestPostgres(schema, { max: 1 }));
    await Promise.all(handles.map((db) => db.all(sql`select count(*) from users`)));
    const applied = await handles[0]?.all<{ n: number }>(sql`select count(*) as n from __drizzle_migrations`);
    const journal = (await import("./migrations/meta/_journal.json", { with: { type: "json" } })).default;
    expect(applied?.[0]?.n).toBe(journal.entries.length);
    await dropSchema(schema, ...handles);
  });

  it("fails as an unavailable store (503), naming no host or user, when the server cannot be reached", async () => {
    const port = await closedPort();
    const db = openPostgres<Db>(`postgres://gatehouse_user@127.0.0.1:${port}/nowhere`, { busyTimeoutMs: 500 });
    const error = await db.all(sql`select 1`).catch((e: unknown) => e);
    expect(storageFailureOf(error)?.kind).toBe("unavailable");
    expect((error as Error).message).not.toMatch(/gatehouse_user|127\.0\.0\.1|nowhere/);
    await postgresStoreOf(db)?.pool.end();
  });

  it("recovers by itself when the server comes back, even if it was down when the instance started", async () => {
    const schema = uniqueSchema("late");
    const relay = await relayTo(Number(new URL(POSTGRES_URL).port || 5432));
    await relay.cut();
    const url = new URL(POSTGRES_URL);
    url.host = `127.0.0.1:${relay.port}`;
    const db = openPostgres<Db>(url.toString(), { schema, max: 2, busyTimeoutMs: 500 });
    const down = await db.all(sql`select 1`).catch((e: unknown) => e);
    expect(storageFailureOf(down)?.kind).toBe("unavailable");
    await relay.restore();
    expect(await db.all<{ n: number }>(sql`select count(*) as n from users`)).toEqual([{ n: 0 }]);
    await relay.cut();
    const again = await db.all(sql`select 1`).catch((e: unknown) => e);
    expect(storageFailureOf(again)?.kind).toBe("unavailable");
    await relay.restore();
    expect(await db.all<{ one: number }>(sql`select 1 as one`)).toEqual([{ one: 1 }]);
    await dropSchema(schema, db);
    await relay.cut();
  });

  it("keeps every table in the instance's schema, none in public", async () => {
    const schema = uniqueSchema("where");
    const db = openTestPostgres(schema);
    await db.all(sql`select 1`);
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    const { rows } = await client.query(
      "select table_schema, count(*)::int as n from information_schema.tables where table_name = 'audit_log' and table_schema = $1 group by 1",
      [schema],
    );
    await client.end();
    expect(rows).toEqual([{ table_schema: schema, n: 1 }]);
    await dropSchema(schema, db);
  });
});

async function closedPort(): Promise<number> {
  const net = await import("node:net");
  return await new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
