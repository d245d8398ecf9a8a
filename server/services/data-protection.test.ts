import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Db, databaseOn, openDatabase, schema, sqliteOf } from "@/db";
import { auditLog, contacts } from "@/db/schema";
import type { Sealed } from "@/db/schema/sealed-text";
import { isEnvelope, keyIdOf } from "../crypto/envelope";
import { newKeySetEntry } from "../crypto/key-set";
import { staticKeyring } from "../crypto/keyring";
import { handleRest } from "../http/rest-handler";
import { callerFor, createTestRuntime, seedUser, type TestRuntime, testKeyring } from "../testing/harness";
import { TRPCError } from "../trpc";
import { SYSTEM_ACTOR } from "./audit";
import { prepareSealedData } from "./encryption-startup";
import { UnknownKeyError } from "./key-check";
import { createToken } from "./tokens";

/**
 * Field-level encryption of contacts, end to end through the procedures (and
 * REST): what the table holds, what fails closed, what the log says, and
 * the blind-index lookup.
 */

const logLines = vi.hoisted(() => [] as string[]);
vi.mock("../logger", async () => {
  const { default: pino } = await import("pino");
  const { redact } = await import("../security/redact");
  const { Writable: W } = await import("node:stream");
  const sink = new W({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "trace", formatters: { log: (o) => redact(o) as Record<string, unknown> } }, sink);
  return { getLogger: () => logger };
});

const MIGRATIONS = path.join(process.cwd(), "db", "migrations");

async function failureOf(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

function alerts(): Array<Record<string, unknown>> {
  return logLines.map((l) => JSON.parse(l)).filter((l) => l.alert === "decryption_failed");
}

/** A raw read of the table, bypassing the service: what an attacker with the file would see. */
function rawRow(db: Db, id: string) {
  return sqliteOf(db).prepare("select * from contacts where id = ?").get(id) as Record<string, string | null>;
}

describe("sealed contact fields", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;

  beforeEach(async () => {
    logLines.length = 0;
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com");
  });

  it("round-trips through the procedures while the table holds only envelopes bound to the row", async () => {
    const api = callerFor(rt, alice.principal);
    const created = await api.contacts.create({
      name: "Ada Lovelace",
      email: "ada@example.com",
      phone: "+44 20 7946 0018",
      notes: "Analytical Engine; née Byron",
    });
    expect(await api.contacts.get({ id: created.id })).toEqual(created);
    expect(created).toMatchObject({
      email: "ada@example.com",
      phone: "+442079460018",
      notes: "Analytical Engine; née Byron",
    });

    const row = rawRow(rt.db, created.id);
    for (const column of ["email", "phone", "notes"]) {
      expect(isEnvelope(row[column]), column).toBe(true);
      expect(keyIdOf(row[column] as string)).toBe("k1");
    }
    expect(row.name).toBe("Ada Lovelace"); // not personal data we seal: listing and sorting by name stay possible
    expect(row.email_index).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(row)).not.toMatch(/ada@example|442079460018|Analytical/);

    const updated = await api.contacts.update({ id: created.id, email: "ADA@example.org", phone: null });
    expect(updated).toMatchObject({ email: "ADA@example.org", phone: null, notes: "Analytical Engine; née Byron" });
    expect(await api.contacts.get({ id: created.id })).toEqual(updated);
    expect(rawRow(rt.db, created.id).phone).toBeNull();
    expect((await api.contacts.list({})).items).toEqual([updated]);
  });

  it("refuses to store plaintext in a sealed column even past the types", async () => {
    const now = new Date();
    // The refusal comes from the column's encoder, while the statement is built: a rejection like any other.
    await expect(
      (async () =>
        await rt.db
          .insert(contacts)
          .values({
            id: "con_aaaaaaaaaaaaaaaaaaaa",
            ownerId: alice.user.id,
            name: "X",
            email: "plain@example.com" as Sealed,
            createdAt: now,
            updatedAt: now,
          })
          .run())(),
    ).rejects.toThrow(/not sealed/);
    expect(await rt.db.select().from(contacts).all()).toHaveLength(0);
  });

  it("fails closed on a tampered ciphertext: a 500 naming the reason, an alert naming row and key, never the stored value", async () => {
    const api = callerFor(rt, alice.principal);
    const created = await api.contacts.create({ name: "Ada", email: "ada@example.com", notes: "secret note" });
    const stored = rawRow(rt.db, created.id).notes as string;
    const body = stored.split(".")[3] as string;
    const tampered = `${stored.slice(0, stored.length - body.length)}${body[0] === "A" ? "B" : "A"}${body.slice(1)}`;
    sqliteOf(rt.db).prepare("update contacts set notes = ? where id = ?").run(tampered, created.id);

    for (const call of [() => api.contacts.get({ id: created.id }), () => api.contacts.list({})]) {
      const error = await failureOf(call());
      expect(error.code).toBe("INTERNAL_SERVER_ERROR");
      expect(JSON.stringify(error)).not.toContain(tampered);
    }
    // An update must not quietly rewrite a row it cannot read.
    expect((await failureOf(api.contacts.update({ id: created.id, name: "Changed" }))).code).toBe(
      "INTERNAL_SERVER_ERROR",
    );
    expect(rawRow(rt.db, created.id).name).toBe("Ada");

    const [alert] = alerts();
    expect(alert).toMatchObject({
      table: "contacts",
      column: "notes",
      rowId: created.id,
      keyId: "k1",
      reason: "authentication_failed",
      level: 50,
    });
    expect(logLines.join("\n")).not.toContain(body.slice(1, 30));
  });

  it("fails closed when a ciphertext is moved to another row or another column", async () => {
    const api = callerFor(rt, alice.principal);
    const a = await api.contacts.create({ name: "A", email: "a@example.com", notes: "note of A" });
    const b = await api.contacts.create({ name: "B", email: "b@example.com", notes: "note of B" });
    const sqlite = sqliteOf(rt.db);
    // A's email into B's row (with A's blind index too, as an attacker copying a whole cell would).
    const rowA = rawRow(rt.db, a.id);
    sqlite
      .prepare("update contacts set email = ?, email_index = ? where id = ?")
      .run(rowA.email, rowA.email_index, b.id);
    expect((await failureOf(api.contacts.get({ id: b.id }))).code).toBe("INTERNAL_SERVER_ERROR");
    expect(alerts().at(-1)).toMatchObject({ rowId: b.id, column: "email", reason: "authentication_failed" });
    // A's email into A's own notes column.
    sqlite.prepare("update contacts set notes = ? where id = ?").run(rowA.email, a.id);
    expect((await failureOf(api.contacts.get({ id: a.id }))).code).toBe("INTERNAL_SERVER_ERROR");
    expect(alerts().at(-1)).toMatchObject({ rowId: a.id, column: "notes", reason: "authentication_failed" });
  });

  it("fails closed on an unknown key id, and start-up refuses to run naming the missing key", async () => {
    const api = callerFor(rt, alice.principal);
    const created = await api.contacts.create({ name: "Ada", email: "ada@example.com" });
    const stranger = { ...rt, keyring: testKeyring() }; // same ids, different key material
    const renamed = {
      ...rt,
      keyring: staticKeyring({ activeKeyId: "k9", keys: [newKeySetEntry("k9", new Date())] }, "memory"),
    };

    expect((await failureOf(callerFor(stranger, alice.principal).contacts.get({ id: created.id }))).code).toBe(
      "INTERNAL_SERVER_ERROR",
    );
    expect(alerts().at(-1)).toMatchObject({ reason: "authentication_failed", keyId: "k1" });
    expect((await failureOf(callerFor(renamed, alice.principal).contacts.get({ id: created.id }))).code).toBe(
      "INTERNAL_SERVER_ERROR",
    );
    expect(alerts().at(-1)).toMatchObject({ reason: "unknown_key", keyId: "k1", rowId: created.id });

    await expect(prepareSealedData(renamed)).rejects.toThrow(UnknownKeyError);
    await expect(prepareSealedData(renamed)).rejects.toThrow(/not in the keyring: k1 \(1 value\)/);
    await prepareSealedData(rt);
  });

  it("answers a decryption failure over REST with a problem+json 500 naming the reason, nothing of the value", async () => {
    const { token } = await createToken(
      { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "t" } },
      alice.user.id,
      { name: "t", scopes: ["contacts:read", "contacts:write"] },
    );
    const created = await callerFor(rt, alice.principal).contacts.create({ name: "Ada", email: "ada@example.com" });
    const stored = rawRow(rt.db, created.id).email as string;
    sqliteOf(rt.db)
      .prepare("update contacts set email = ? where id = ?")
      .run(stored.replace(/^v1\.k1\./, "v1.k7."), created.id);
    const response = await handleRest(
      new Request(`http://localhost:3000/api/v1/contacts/${created.id}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
      rt,
    );
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body).toMatchObject({
      status: 500,
      type: "urn:gatehouse:problem:sealed_value_key_missing",
      detail: expect.stringMatching(/encryption key this server does not hold/),
    });
    expect(Object.keys(body).sort()).toEqual(["detail", "instance", "status", "title", "type"]);
    expect(text).not.toContain(stored.split(".")[3]?.slice(0, 20));
    expect(alerts().at(-1)).toMatchObject({ reason: "unknown_key", keyId: "k7", rowId: created.id });
  });

  it("seals rows written before encryption existed, once, at start-up", async () => {
    const now = Date.now();
    sqliteOf(rt.db)
      .prepare(
        "insert into contacts (id, owner_id, name, email, phone, notes, email_index, created_at, updated_at) values (?, ?, ?, ?, ?, ?, null, ?, ?)",
      )
      .run(
        "con_legacy00000000000000",
        alice.user.id,
        "Old",
        "old@example.com",
        "+41446681800",
        "from the spine",
        now,
        now,
      );
    await prepareSealedData(rt);
    const row = rawRow(rt.db, "con_legacy00000000000000");
    expect(isEnvelope(row.email) && isEnvelope(row.phone) && isEnvelope(row.notes)).toBe(true);
    expect(row.email_index).not.toBeNull();
    const api = callerFor(rt, alice.principal);
    expect(await api.contacts.get({ id: "con_legacy00000000000000" })).toMatchObject({
      email: "old@example.com",
      phone: "+41446681800",
      notes: "from the spine",
    });
    expect((await api.contacts.list({ email: "OLD@example.com" })).items).toHaveLength(1);
    const sealedAudit = await rt.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "encryption.seal_unsealed"))
      .all();
    expect(sealedAudit).toHaveLength(1);
    await prepareSealedData(rt); // idempotent: nothing left to seal, no second entry
    expect(
      await rt.db.select().from(auditLog).where(eq(auditLog.action, "encryption.seal_unsealed")).all(),
    ).toHaveLength(1);
  });
});

describe("blind-index lookup by email", () => {
  it("finds the exact contact, case-insensitively, only among the caller's, and never puts the email into SQL", async () => {
    const statements: string[] = [];
    // A database whose every executed statement is captured with its bound values expanded.
    const sqlite = new Database(":memory:", { verbose: (sql) => statements.push(String(sql)) });
    sqlite.pragma("foreign_keys = ON");
    migrate(drizzle(sqlite, { schema }), { migrationsFolder: MIGRATIONS });
    const db = databaseOn(sqlite);
    const rt: TestRuntime = { ...createTestRuntime(), db };
    const alice = await seedUser(rt, "alice@example.com");
    const bob = await seedUser(rt, "bob@example.com");
    const api = callerFor(rt, alice.principal);
    const wanted = await api.contacts.create({
      name: "Grace",
      email: "Grace.Hopper@Navy.example",
      phone: "+12025550123",
    });
    for (let i = 0; i < 5; i++) await api.contacts.create({ name: `Other ${i}`, email: `other${i}@navy.example` });
    await callerFor(rt, bob.principal).contacts.create({ name: "Bob's Grace", email: "grace.hopper@navy.example" });

    statements.length = 0;
    const found = await api.contacts.list({ email: "  grace.hopper@NAVY.example " });
    expect(found.items.map((c) => c.id)).toEqual([wanted.id]);
    expect(found.items[0]?.email).toBe("Grace.Hopper@Navy.example");
    expect((await api.contacts.list({ email: "nobody@navy.example" })).items).toEqual([]);
    expect(
      (await callerFor(rt, bob.principal).contacts.list({ email: "grace.hopper@navy.example" })).items,
    ).toHaveLength(1);

    const lookups = statements.filter((s) => s.includes('"email_index" in'));
    expect(lookups.length).toBeGreaterThanOrEqual(3);
    for (const statement of statements) expect(statement.toLowerCase()).not.toContain("grace.hopper");
    expect(statements.join("\n").toLowerCase()).not.toContain("nobody@navy");
    // The same person in two owners' lists gets two unrelated index values (equality leaks only within one owner).
    const indexes = sqlite.prepare("select email_index from contacts where name like '%Grace'").all() as Array<{
      email_index: string;
    }>;
    expect(new Set(indexes.map((r) => r.email_index)).size).toBe(2);
  });

  it("works over REST as GET /api/v1/contacts?email=…", async () => {
    const rt = createTestRuntime();
    const alice = await seedUser(rt, "alice@example.com");
    const api = callerFor(rt, alice.principal);
    const wanted = await api.contacts.create({ name: "Ada", email: "ada@example.com" });
    await api.contacts.create({ name: "Bea", email: "bea@example.com" });
    const { token } = await createToken(
      { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "t" } },
      alice.user.id,
      { name: "t", scopes: ["contacts:read"] },
    );
    const get = (query: string) =>
      handleRest(
        new Request(`http://localhost:3000/api/v1/contacts?${query}`, {
          headers: { authorization: `Bearer ${token}` },
        }),
        rt,
      );
    const ok = await get("email=ADA%40example.com");
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { items: Array<{ id: string }> }).items.map((c) => c.id)).toEqual([wanted.id]);
    const bad = await get(`email=${"x".repeat(300)}`);
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { errors: Array<{ path: string }> };
    expect(problem.errors.map((e) => e.path)).toEqual(["email"]);
  });
});

describe("the database file", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-sealed-"));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("holds no plaintext email, phone or notes, in the main file or the WAL", async () => {
    const file = path.join(dir, "gatehouse.db");
    const rt: TestRuntime = { ...createTestRuntime({ databaseFile: file }), db: openDatabase(file) };
    const alice = await seedUser(rt, "owner@example.com");
    const api = callerFor(rt, alice.principal);
    const secrets = [
      {
        name: "One",
        email: "zyxwv.unique@plaintext-probe.example",
        phone: "+41 44 668 18 00",
        notes: "PROBE-NOTE-alpha unique words",
      },
      {
        name: "Two",
        email: "second.probe@plaintext-probe.example",
        phone: "+12025550199",
        notes: "PROBE-NOTE-beta\nsecond line",
      },
    ];
    const created = [];
    for (const s of secrets) created.push(await api.contacts.create(s));
    await api.contacts.update({ id: created[0]?.id as string, notes: "PROBE-NOTE-gamma after an update" });

    const bytes = Buffer.concat(
      ["gatehouse.db", "gatehouse.db-wal"]
        .filter((f) => fs.existsSync(path.join(dir, f)))
        .map((f) => fs.readFileSync(path.join(dir, f))),
    );
    expect(fs.existsSync(`${file}-wal`)).toBe(true); // the WAL was really searched
    const haystack = bytes.toString("latin1");
    const probes = [
      "zyxwv.unique",
      "second.probe",
      "plaintext-probe",
      "41446681800",
      "12025550199",
      "PROBE-NOTE",
      "unique words",
      "second line",
    ];
    for (const probe of probes) {
      expect(haystack.includes(probe), probe).toBe(false);
      expect(haystack.includes(Buffer.from(probe, "utf16le").toString("latin1")), `${probe} (UTF-16)`).toBe(false);
    }
    expect(haystack.includes("owner@example.com")).toBe(true); // the probe works: users' emails are stored as is
    sqliteOf(rt.db).close();
  });
});
