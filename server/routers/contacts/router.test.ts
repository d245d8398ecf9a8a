import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, contacts } from "@/db/schema";
import { callerFor, codeOf, createTestRuntime, seedUser, type TestRuntime } from "../../testing/harness";

describe("contacts router", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let bob: Awaited<ReturnType<typeof seedUser>>;

  beforeEach(async () => {
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com");
    bob = await seedUser(rt, "bob@example.com");
  });

  it("refuses every procedure without a principal", async () => {
    const anon = callerFor(rt, null);
    expect(await codeOf(anon.contacts.list({}))).toBe("UNAUTHORIZED");
    expect(await codeOf(anon.contacts.create({ name: "X", email: "x@example.com" }))).toBe("UNAUTHORIZED");
    expect(await codeOf(anon.contacts.get({ id: "con_aaaaaaaaaaaaaaaaaaaa" }))).toBe("UNAUTHORIZED");
  });

  it("creates, reads, updates, lists and deletes, writing an audit entry per mutation", async () => {
    const api = callerFor(rt, alice.principal);
    const created = await api.contacts.create({
      name: "  Ada Lovelace ",
      email: "ada@example.com",
      phone: "+44 (20) 7946-0018",
    });
    expect(created).toMatchObject({
      name: "Ada Lovelace",
      email: "ada@example.com",
      phone: "+442079460018",
      notes: null,
    });
    expect(created.id).toMatch(/^con_[0-9a-z]{20}$/);
    expect(await api.contacts.get({ id: created.id })).toEqual(created);

    rt.clock.advance(1000);
    const updated = await api.contacts.update({ id: created.id, notes: "met at the Analytical Society" });
    expect(updated.notes).toBe("met at the Analytical Society");
    expect(updated.name).toBe("Ada Lovelace");
    expect(updated.updatedAt > created.updatedAt).toBe(true);

    const cleared = await api.contacts.update({ id: created.id, phone: null });
    expect(cleared.phone).toBeNull();

    expect((await api.contacts.list({})).items).toHaveLength(1);
    await api.contacts.delete({ id: created.id });
    expect((await api.contacts.list({})).items).toHaveLength(0);

    const actions = (await rt.db.select().from(auditLog).where(eq(auditLog.actorId, alice.user.id)).all()).map(
      (r) => r.action,
    );
    expect(actions).toEqual(["contact.create", "contact.update", "contact.update", "contact.delete"]);
  });

  it("treats another user's contact as not found on read, update and delete, and changes nothing", async () => {
    const mine = await callerFor(rt, alice.principal).contacts.create({ name: "Mine", email: "m@example.com" });
    const other = callerFor(rt, bob.principal);
    expect(await codeOf(other.contacts.get({ id: mine.id }))).toBe("NOT_FOUND");
    expect(await codeOf(other.contacts.update({ id: mine.id, name: "Stolen" }))).toBe("NOT_FOUND");
    expect(await codeOf(other.contacts.delete({ id: mine.id }))).toBe("NOT_FOUND");
    expect((await other.contacts.list({})).items).toHaveLength(0);
    const row = await rt.db.select().from(contacts).where(eq(contacts.id, mine.id)).get();
    expect(row?.name).toBe("Mine");
  });

  it("rejects unknown keys, bad values and malformed ids without writing", async () => {
    const api = callerFor(rt, alice.principal);
    const bad = [
      { name: "A", email: "a@example.com", ownerId: bob.user.id },
      { name: "A", email: "a@example.com", role: "admin" },
      { name: "", email: "a@example.com" },
      { name: "x".repeat(201), email: "a@example.com" },
      { name: "A", email: "not-an-email" },
      { name: "A", email: "a@example.com", phone: "12345" },
      { name: "A", email: "a@example.com", notes: "n".repeat(2001) },
      { name: "A\u0000B", email: "a@example.com" },
    ];
    for (const input of bad) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
      expect(await codeOf(api.contacts.create(input as any))).toBe("BAD_REQUEST");
    }
    expect(await codeOf(api.contacts.get({ id: "nope" }))).toBe("BAD_REQUEST");
    expect(await codeOf(api.contacts.update({ id: "con_aaaaaaaaaaaaaaaaaaaa", name: "A" }))).toBe("NOT_FOUND");
    expect(await rt.db.select().from(contacts).all()).toHaveLength(0);
  });

  it("pages in a stable order with a cursor, at most 100 a page (a larger limit is refused, not clamped)", async () => {
    const api = callerFor(rt, alice.principal);
    for (let i = 0; i < 130; i++) {
      await api.contacts.create({ name: `C${i}`, email: `c${i}@example.com` });
      if (i % 3 === 0) rt.clock.advance(1); // some share a timestamp: the id breaks ties
    }
    expect(await codeOf(api.contacts.list({ limit: 101 }))).toBe("BAD_REQUEST");
    const first = await api.contacts.list({ limit: 100 });
    expect(first.items).toHaveLength(100);
    const second = await api.contacts.list({ limit: 100, cursor: first.nextCursor ?? undefined });
    expect(second.items).toHaveLength(30);
    expect(second.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items].map((c) => c.id);
    expect(new Set(ids).size).toBe(130);
    expect((await api.contacts.list({})).items).toHaveLength(20);
    expect(await codeOf(api.contacts.list({ cursor: "garbage" }))).toBe("BAD_REQUEST");
  });
});
