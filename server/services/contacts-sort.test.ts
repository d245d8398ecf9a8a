import { beforeEach, describe, expect, it } from "vitest";
import { sqliteOf } from "@/db";
import { handleRest } from "../http/rest-handler";
import { callerFor, codeOf, createTestRuntime, ON_POSTGRES, seedUser, type TestRuntime } from "../testing/harness";
import { SYSTEM_ACTOR } from "./audit";
import { createToken } from "./tokens";

describe("contacts sort (createdAt default, name)", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let bob: Awaited<ReturnType<typeof seedUser>>;
  const names = ["Mia", "Ada", "Zoe", "Ada", "Bea", "Kim", "Lea"];

  beforeEach(async () => {
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com");
    bob = await seedUser(rt, "bob@example.com");
    const api = callerFor(rt, alice.principal);
    for (const [i, name] of names.entries()) {
      await api.contacts.create({ name, email: `c${i}@example.com` });
      rt.clock.advance(1000);
    }
    await callerFor(rt, bob.principal).contacts.create({ name: "Aaa Bob's", email: "b@example.com" });
  });

  async function walk(input: { sort?: "createdAt" | "name"; direction?: "asc" | "desc" }) {
    const api = callerFor(rt, alice.principal);
    const seen: { id: string; name: string; createdAt: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.contacts.list({ ...input, limit: 2, cursor });
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return seen;
  }

  it("pages every order to the whole in small pages, never another user's contacts", async () => {
    const byName = await walk({ sort: "name" });
    expect(byName.map((c) => c.name)).toEqual([...names].sort());
    expect(new Set(byName.map((c) => c.id)).size).toBe(names.length);
    expect((await walk({ sort: "name", direction: "desc" })).map((c) => c.name)).toEqual([...names].sort().reverse());
    expect((await walk({ sort: "createdAt", direction: "asc" })).map((c) => c.name)).toEqual(names);
    expect((await walk({})).map((c) => c.name)).toEqual([...names].reverse());
    expect((await walk({ sort: "createdAt" })).map((c) => c.name)).toEqual([...names].reverse());
  });

  it("keeps the default cursor format and refuses a cursor under another order", async () => {
    const api = callerFor(rt, alice.principal);
    const first = await api.contacts.list({ limit: 2 });
    expect(Buffer.from(first.nextCursor ?? "", "base64url").toString()).toMatch(/^\d+:con_[0-9a-z]{20}$/);
    const named = await api.contacts.list({ sort: "name", limit: 2 });
    await expect(api.contacts.list({ sort: "name", cursor: first.nextCursor ?? "" })).rejects.toThrow(/another order/);
    await expect(api.contacts.list({ cursor: named.nextCursor ?? "" })).rejects.toThrow(/another order/);
    await expect(
      api.contacts.list({ sort: "name", direction: "desc", cursor: named.nextCursor ?? "" }),
    ).rejects.toThrow(/another order/);
    const forged = Buffer.from(JSON.stringify(["name", "asc", "A", "not-an-id"])).toString("base64url");
    expect(await codeOf(api.contacts.list({ sort: "name", cursor: forged }))).toBe("BAD_REQUEST");
  });

  it("refuses a bad sort or direction naming the field", async () => {
    const api = callerFor(rt, alice.principal);
    // @ts-expect-error: not a sort
    await expect(api.contacts.list({ sort: "email" })).rejects.toThrow(/sort/);
    // @ts-expect-error: not a direction
    await expect(api.contacts.list({ direction: "up" })).rejects.toThrow(/direction/);
  });

  // SQLite's query plan.
  it.skipIf(ON_POSTGRES)("walks an index for the name order", () => {
    const plan = sqliteOf(rt.db)
      .prepare("explain query plan select * from contacts where owner_id = ? order by name, id limit 3")
      .all("x") as { detail: string }[];
    expect(plan.map((p) => p.detail).join(" ")).toMatch(/contacts_owner_name_idx/);
    expect(plan.map((p) => p.detail).join(" ")).not.toMatch(/TEMP B-TREE/);
  });

  it("over REST: ?sort=name pages A to Z with its cursor; an unknown sort and a crossed cursor are 400s naming the field", async () => {
    const svc = {
      db: rt.db,
      clock: rt.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "t" },
    };
    const token = (await createToken(svc, alice.user.id, { name: "r", scopes: ["contacts:read"] })).token;
    const get = async (query: string) => {
      const res = await handleRest(
        new Request(`http://localhost:3000/api/v1/contacts${query}`, { headers: { authorization: `Bearer ${token}` } }),
        rt,
      );
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const first = await get("?sort=name&limit=3");
    expect(first.status).toBe(200);
    expect((first.body.items as Array<{ name: string }>).map((c) => c.name)).toEqual(["Ada", "Ada", "Bea"]);
    const next = await get(`?sort=name&limit=3&cursor=${first.body.nextCursor as string}`);
    expect((next.body.items as Array<{ name: string }>).map((c) => c.name)).toEqual(["Kim", "Lea", "Mia"]);
    const unknown = await get("?sort=email");
    expect(unknown.status).toBe(400);
    expect((unknown.body.errors as Array<{ path: string }>).map((e) => e.path)).toContain("sort");
    const crossed = await get(`?cursor=${first.body.nextCursor as string}`);
    expect(crossed.status).toBe(400);
    expect(crossed.body.type).toBe("urn:gatehouse:problem:cursor_order_mismatch");
  });
});
