import { getTableName } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openSqlite, type SqliteDb } from "@/db";
import { dropSchema, openTestPostgres, postgresForTests, uniqueSchema } from "@/db/postgres/testing";
import { verifyAuditChain } from "../audit/verify";
import { fixedClock } from "../clock";
import { appErrorOf } from "../errors";
import { createTestRuntime, seedUser, storedRows, type TestRuntime } from "../testing/harness";
import { recordAudit, SYSTEM_ACTOR } from "./audit";
import { createContact, getContact } from "./contacts";
import { copyToPostgres, tablesInCopyOrder } from "./db-copy";
import { createToken } from "./tokens";

/**
 * `db copy` (db-copy.ts): an installation on SQLite, copied into an empty
 * PostgreSQL database, is the same installation there — every row of every
 * table equal, ciphertexts unchanged and still opening with the same keys,
 * the audit chain verifying and going on — and a copy cut off half-way goes
 * on where it stopped, without a row twice.
 */

const { available } = await postgresForTests("db copy (SQLite to PostgreSQL)");
const client = { ip: "203.0.113.9", userAgent: "test", requestId: "copy" };

describe.skipIf(!available)("db copy to PostgreSQL", () => {
  let source: TestRuntime & { db: SqliteDb };
  let contactId: string;
  const schemas: string[] = [];
  const targets: Db[] = [];

  const freshTarget = () => {
    const schema = uniqueSchema("copy");
    const target = openTestPostgres(schema);
    schemas.push(schema);
    targets.push(target);
    return target;
  };

  beforeAll(async () => {
    source = { ...createTestRuntime(), db: openSqlite(":memory:") };
    const alice = await seedUser(source, "alice@example.com", "admin");
    const svc = { db: source.db, clock: source.clock, actor: SYSTEM_ACTOR, client, keyring: source.keyring };
    contactId = (
      await createContact(svc, alice.user.id, { name: "Ada", email: "ada@example.com", phone: "+441234567890" })
    ).id;
    await createToken(svc, alice.user.id, { name: "ci", scopes: ["contacts:read"] });
    // Enough audit entries for several batches of the copy.
    for (let i = 0; i < 1_200; i++) {
      await source.db.transaction((tx) =>
        recordAudit(tx, source.clock, { actor: SYSTEM_ACTOR, action: "test.fill", client, detail: { i } }),
      );
    }
  });

  afterAll(async () => {
    for (const [i, schema] of schemas.entries()) await dropSchema(schema, targets[i] as Db);
  });

  async function everyRow(db: Db): Promise<Record<string, unknown[]>> {
    const out: Record<string, unknown[]> = {};
    for (const table of tablesInCopyOrder()) {
      const name = getTableName(table);
      const order = name === "audit_log" ? "seq" : "1";
      out[name] = await storedRows(db, `select * from "${name}" order by ${order}`);
    }
    return out;
  }

  it("copies every table with values unchanged; sealed values open with the same keys; the chain verifies and goes on", async () => {
    const target = freshTarget();
    const report = await copyToPostgres(source.db, target);
    expect(report.resumed).toBe(false);
    expect(report.chain.ok).toBe(true);
    expect(report.chain.checked).toBeGreaterThan(1_200);
    expect(await everyRow(target)).toEqual(await everyRow(source.db));
    // Not copied: the target's triggers gave every owner of contacts a version of its own.
    const owners = await storedRows(target, "select distinct owner_id from contacts order by 1");
    expect(owners.length).toBeGreaterThan(0);
    expect(await storedRows(target, "select owner_id from contact_versions order by 1")).toEqual(owners);

    const onTarget = { db: target, clock: source.clock, actor: SYSTEM_ACTOR, client, keyring: source.keyring };
    const alice = (
      await storedRows<{ id: string }>(target, "select id from users where email = ?", "alice@example.com")
    )[0];
    expect((await getContact(onTarget, alice?.id as string, contactId)).email).toBe("ada@example.com");

    // A new entry on the copy chains to the copied head and gets the next seq.
    await target.transaction((tx) =>
      recordAudit(tx, fixedClock(Date.now()), { actor: SYSTEM_ACTOR, action: "test.after", client }),
    );
    const chain = await verifyAuditChain(target);
    expect(chain.ok).toBe(true);
    expect(chain.checked).toBe(report.chain.checked + 1);
  });

  it("goes on where an interrupted copy stopped, writing no row twice", async () => {
    const target = freshTarget();
    let batches = 0;
    const cut = await copyToPostgres(source.db, target, ({ table, done }) => {
      if (table === "audit_log" && done > 0 && ++batches === 2) throw new Error("connection lost");
    }).catch((error: unknown) => error);
    expect((cut as Error).message).toBe("connection lost");
    const part = await storedRows<{ n: number }>(target, "select count(*) as n from audit_log");
    expect(part[0]?.n).toBeGreaterThan(0);

    const report = await copyToPostgres(source.db, target);
    expect(report.resumed).toBe(true);
    expect(report.chain.ok).toBe(true);
    expect(await everyRow(target)).toEqual(await everyRow(source.db));
  });

  it("refuses a target that already holds data", async () => {
    const target = freshTarget();
    await seedUser({ ...source, db: target }, "someone@example.com");
    const refused = await copyToPostgres(source.db, target).catch((error: unknown) => error);
    expect(appErrorOf(refused)?.reason).toBe("copy_target_not_empty");
  });
});
