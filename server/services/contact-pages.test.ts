import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { closeDatabase, type Db, openDatabase } from "@/db";
import { cliClient } from "../auth/principal";
import { newKeySetEntry } from "../crypto/key-set";
import { staticKeyring } from "../crypto/keyring";
import {
  callerFor,
  codeOf,
  createTestRuntime,
  ON_POSTGRES,
  seedUser,
  storedRows,
  type TestRuntime,
} from "../testing/harness";
import { SYSTEM_ACTOR } from "./audit";
import { forgetContactPages } from "./contact-pages";
import { listContacts } from "./contacts";
import type { ServiceContext } from "./context";

/**
 * Remembered pages of contacts (contact-pages.ts) are served again only while nothing in them
 * changed. Each test changes the owner's contacts in a way the service does not see coming — raw
 * SQL, another connection, a rolled-back transaction, a key taken out of the ring — and expects the
 * very next list to show it. On both stores (ON_POSTGRES: the same tests on PostgreSQL).
 */
describe(`remembered contact pages (${ON_POSTGRES ? "PostgreSQL" : "SQLite"})`, () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let bob: Awaited<ReturnType<typeof seedUser>>;
  const listOf = (who: typeof alice, input: Parameters<ReturnType<typeof callerFor>["contacts"]["list"]>[0] = {}) =>
    callerFor(rt, who.principal).contacts.list(input);
  const svc = (): ServiceContext => ({
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: cliClient,
    keyring: rt.keyring,
  });
  const names = async (who: typeof alice, input = {}) => (await listOf(who, input)).items.map((c) => c.name);

  beforeEach(async () => {
    forgetContactPages();
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com");
    bob = await seedUser(rt, "bob@example.com");
    for (const name of ["Ada", "Bea", "Cy"]) {
      await callerFor(rt, alice.principal).contacts.create({ name, email: `${name.toLowerCase()}@example.com` });
      rt.clock.advance(1_000);
    }
  });

  it("serves the same page again, and a page changed by the services at once", async () => {
    const first = await listContacts(svc(), alice.user.id, { limit: 20 });
    expect(await listContacts(svc(), alice.user.id, { limit: 20 })).toBe(first); // the very object: remembered
    const api = callerFor(rt, alice.principal);
    const dee = await api.contacts.create({ name: "Dee", email: "dee@example.com" });
    expect(await names(alice)).toEqual(["Dee", "Cy", "Bea", "Ada"]);
    await api.contacts.update({ id: dee.id, name: "Dora", notes: "new note" });
    const updated = await listOf(alice);
    expect(updated.items[0]).toMatchObject({ name: "Dora", notes: "new note" });
    await api.contacts.delete({ id: dee.id });
    expect(await names(alice)).toEqual(["Cy", "Bea", "Ada"]);
  });

  it("sees a change made past the services, by raw SQL, on the next list", async () => {
    expect(await names(alice)).toEqual(["Cy", "Bea", "Ada"]);
    await rt.db.run(sql`update contacts set name = 'Renamed' where name = 'Bea'`);
    expect(await names(alice)).toEqual(["Cy", "Renamed", "Ada"]);
    await rt.db.run(sql`delete from contacts where name = 'Cy'`);
    expect(await names(alice)).toEqual(["Renamed", "Ada"]);
    // A value sealed for another row, copied in by an attacker with SQL access: refused, not served from memory.
    const [ada] = await storedRows<{ email: string; id: string }>(
      rt.db,
      "select id, email from contacts where name = ?",
      "Ada",
    );
    await rt.db.run(sql`update contacts set email = ${ada?.email} where name = 'Renamed'`);
    expect(await codeOf(listOf(alice))).toBe("INTERNAL_SERVER_ERROR");
  });

  it("keeps every input apart: limit, cursor, order and email filter are pages of their own", async () => {
    const two = await listOf(alice, { limit: 2 });
    expect(two.items.map((c) => c.name)).toEqual(["Cy", "Bea"]);
    const rest = await listOf(alice, { limit: 2, cursor: two.nextCursor ?? undefined });
    expect(rest.items.map((c) => c.name)).toEqual(["Ada"]);
    expect(await names(alice, { sort: "name" })).toEqual(["Ada", "Bea", "Cy"]);
    expect(await names(alice, { sort: "name", direction: "desc" })).toEqual(["Cy", "Bea", "Ada"]);
    expect(await names(alice, { email: "bea@example.com" })).toEqual(["Bea"]);
    expect(await names(alice, { email: "cy@example.com" })).toEqual(["Cy"]);
    expect(await names(alice)).toEqual(["Cy", "Bea", "Ada"]);
  });

  it("never serves one owner's page to another", async () => {
    expect(await names(alice)).toHaveLength(3);
    expect(await names(bob)).toEqual([]);
    await callerFor(rt, bob.principal).contacts.create({ name: "Bob's", email: "b@example.com" });
    expect(await names(bob)).toEqual(["Bob's"]);
    expect(await names(alice)).toEqual(["Cy", "Bea", "Ada"]);
  });

  it("never serves a page read inside a transaction that was rolled back", async () => {
    expect(await names(alice)).toHaveLength(3);
    await expect(
      rt.db.transaction(async (tx) => {
        await tx.run(sql`update contacts set name = 'Ghost' where name = 'Ada'`);
        // Read (and remembered) inside the transaction, under the version its own write gave.
        const inside = await listContacts({ ...svc(), db: tx as unknown as Db }, alice.user.id, { limit: 20 });
        expect(inside.items.map((c) => c.name)).toEqual(["Cy", "Bea", "Ghost"]);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await names(alice)).toEqual(["Cy", "Bea", "Ada"]);
    expect((await listContacts(svc(), alice.user.id, { limit: 20 })).items.map((c) => c.name)).toEqual([
      "Cy",
      "Bea",
      "Ada",
    ]);
  });

  it("hands out pages nobody can change for the next caller", async () => {
    const page = await listContacts(svc(), alice.user.id, { limit: 20 });
    expect(() => {
      (page.items[0] as { name: string }).name = "Mallory";
    }).toThrow();
    expect(() => (page.items as unknown[]).push({})).toThrow();
    expect(await names(alice)).toEqual(["Cy", "Bea", "Ada"]);
  });

  it("serves no page once a key that opened it is out of the ring", async () => {
    expect(await names(alice)).toHaveLength(3);
    const without = {
      ...rt,
      keyring: staticKeyring({ activeKeyId: "k9", keys: [newKeySetEntry("k9", new Date())] }, "memory"),
    };
    expect(await codeOf(callerFor(without, alice.principal).contacts.list({}))).toBe("INTERNAL_SERVER_ERROR");
    // Same id, other key material: not the key object that opened the page.
    const impostor = {
      ...rt,
      keyring: staticKeyring({ activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date())] }, "memory"),
    };
    expect(await codeOf(callerFor(impostor, alice.principal).contacts.list({}))).toBe("INTERNAL_SERVER_ERROR");
    expect(await names(alice)).toEqual(["Cy", "Bea", "Ada"]);
  });

  it("sees a write made through another connection to the same database on the next list", async () => {
    // A second handle on the same store: what another worker or instance is.
    const url = process.env.TEST_DATABASE_URL;
    let other: Db;
    let mine: Db;
    let file: string | null = null;
    if (url) {
      const schema = `t_pages_${Math.random().toString(36).slice(2, 10)}`;
      mine = openDatabase(url, { schema, max: 2, idleMs: 1_000 });
      other = openDatabase(url, { schema, max: 2, idleMs: 1_000 });
    } else {
      const os = await import("node:os");
      const path = await import("node:path");
      const fs = await import("node:fs");
      file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-pages-")), "gatehouse.db");
      mine = openDatabase(file);
      other = openDatabase(file);
    }
    try {
      const shared = { ...rt, db: mine };
      const carol = await seedUser(shared, "carol@example.com");
      await callerFor(shared, carol.principal).contacts.create({ name: "First", email: "first@example.com" });
      const list = async () => (await callerFor(shared, carol.principal).contacts.list({})).items.map((c) => c.name);
      expect(await list()).toEqual(["First"]);
      await other.run(sql`update contacts set name = 'Changed elsewhere'`);
      expect(await list()).toEqual(["Changed elsewhere"]);
      await other.run(sql`delete from contacts`);
      expect(await list()).toEqual([]);
    } finally {
      await closeDatabase(other);
      await closeDatabase(mine);
      if (file) (await import("node:fs")).rmSync(file.replace(/[^/]+$/, ""), { recursive: true, force: true });
    }
  });
});
