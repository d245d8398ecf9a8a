import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { handleRest } from "../http/rest-handler";
import { setLogger } from "../logger";
import { PEER_STAMP_ENV } from "../security/client-ip";
import { callerFor, codeOf, createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { SYSTEM_ACTOR } from "./audit";
import { addCorsOrigin } from "./cors-origins";
import { encodeCursor } from "./page-cursor";
import { setOverride } from "./rate-limit-overrides";
import { createToken } from "./tokens";

/**
 * The two lists the services load whole and page with pageOf, sorted on the
 * server: admin.cors.list (origin, createdAt) and admin.rateLimits.overrides
 * (createdAt, subject, expiresAt), either direction. Pages of one walk the same
 * order as one page; a cursor carries its order and is refused under another,
 * naming `cursor`; without sort or direction the order and the cursor are as
 * they always were. Over REST the same parameters, and a 400 naming the field.
 */

const STAMP = "small-list-sort-test-stamp";
const ORIGIN = "http://localhost:3000";
const peer = { "x-gatehouse-peer": "203.0.113.62", "x-gatehouse-peer-stamp": STAMP, "x-gatehouse-peer-tls": "0" };
const HOUR = 3_600_000;

let rt: TestRuntime;
let rootId: string;
let api: ReturnType<typeof callerFor>;
const svc = () => ({
  db: rt.db,
  clock: rt.clock,
  actor: SYSTEM_ACTOR,
  client: { ip: null, userAgent: null, requestId: "seed" },
});

beforeAll(() => {
  vi.stubEnv(PEER_STAMP_ENV, STAMP);
  setLogger(undefined);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(async () => {
  rt = createTestRuntime();
  const root = await seedUser(rt, "root@example.com", "admin");
  rootId = root.user.id;
  api = callerFor(rt, root.principal);
  const start = rt.clock.now().getTime();
  // Origins added in the order b, c, a.
  for (const [i, host] of ["b.example.com", "c.example.com", "a.example.com"].entries()) {
    rt.clock.set(start + i * HOUR);
    await addCorsOrigin(svc(), { origin: `https://${host}` });
  }
  // Overrides set in the order carol (ends in 2 days), alice (never ends), bob (ends in 1 day).
  const ends: Record<string, number | null> = { carol: 2 * 24 * HOUR, alice: null, bob: 24 * HOUR };
  for (const [i, name] of ["carol", "alice", "bob"].entries()) {
    const user = await seedUser(rt, `${name}@example.com`, "member");
    rt.clock.set(start + (3 + i) * HOUR);
    await setOverride(
      svc(),
      { type: "user", id: user.user.id },
      { limit: 100 + i, windowMs: 60_000, expiresInMs: ends[name] ?? null },
    );
  }
  rt.clock.set(start + 6 * HOUR);
});

const hosts = (page: { items: Array<{ origin: string }> }) =>
  page.items.map((o) => new URL(o.origin).hostname.charAt(0));
const who = (page: { items: Array<{ subject: { label: string } }> }) =>
  page.items.map((o) => o.subject.label.split("@")[0] ?? "");

type Order<S> = { sort?: S; direction?: "asc" | "desc" };

async function walkCors(order: Order<"origin" | "createdAt">): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) {
    const page = await api.admin.cors.list({ ...order, cursor, limit: 1 });
    seen.push(...hosts(page));
    if (!page.nextCursor) return seen;
    cursor = page.nextCursor;
  }
  throw new Error("no last page");
}

async function walkOverrides(order: Order<"createdAt" | "subject" | "expiresAt">): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) {
    const page = await api.admin.rateLimits.overrides({ ...order, cursor, limit: 1 });
    seen.push(...who(page));
    if (!page.nextCursor) return seen;
    cursor = page.nextCursor;
  }
  throw new Error("no last page");
}

describe("admin.cors.list sorted on the server", () => {
  it("by origin (default, A to Z) or by when added (newest first by default), either way", async () => {
    expect(hosts(await api.admin.cors.list())).toEqual(["a", "b", "c"]);
    expect(hosts(await api.admin.cors.list({ sort: "origin", direction: "desc" }))).toEqual(["c", "b", "a"]);
    expect(hosts(await api.admin.cors.list({ sort: "createdAt" }))).toEqual(["a", "c", "b"]);
    expect(hosts(await api.admin.cors.list({ sort: "createdAt", direction: "asc" }))).toEqual(["b", "c", "a"]);
  });

  it("pages of one walk the same order as one page, for every order", async () => {
    for (const sort of [undefined, "origin", "createdAt"] as const) {
      for (const direction of [undefined, "asc", "desc"] as const) {
        const whole = hosts(await api.admin.cors.list({ sort, direction }));
        expect(await walkCors({ sort, direction }), `${sort} ${direction}`).toEqual(whole);
      }
    }
  });

  it("refuses a cursor under another order, and an unknown sort or direction, naming the field", async () => {
    const first = await api.admin.cors.list({ sort: "createdAt", limit: 1 });
    const mismatch = api.admin.cors.list({ sort: "origin", cursor: first.nextCursor ?? "" });
    await expect(mismatch).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^cursor: /) });
    const reversed = api.admin.cors.list({ sort: "createdAt", direction: "asc", cursor: first.nextCursor ?? "" });
    await expect(reversed).rejects.toMatchObject({ message: expect.stringMatching(/^cursor: /) });
    // @ts-expect-error: not an order of this list
    expect(await codeOf(api.admin.cors.list({ sort: "note" }))).toBe("BAD_REQUEST");
    // @ts-expect-error: not a direction
    await expect(api.admin.cors.list({ direction: "up" })).rejects.toMatchObject({
      message: expect.stringContaining("direction"),
    });
  });

  it("still honours the cursor of the old shape ([origin, id]) when no order is named", async () => {
    const all = await api.admin.cors.list();
    const b = all.items[1];
    const old = encodeCursor([b?.origin ?? "", b?.id ?? ""]);
    expect(hosts(await api.admin.cors.list({ cursor: old }))).toEqual(["c"]);
  });
});

describe("admin.rateLimits.overrides sorted on the server", () => {
  it("newest first by default; by who it is for, by when it ends (never last), either way", async () => {
    expect(who(await api.admin.rateLimits.overrides())).toEqual(["bob", "alice", "carol"]);
    expect(who(await api.admin.rateLimits.overrides({ direction: "asc" }))).toEqual(["carol", "alice", "bob"]);
    expect(who(await api.admin.rateLimits.overrides({ sort: "subject" }))).toEqual(["alice", "bob", "carol"]);
    expect(who(await api.admin.rateLimits.overrides({ sort: "subject", direction: "desc" }))).toEqual([
      "carol",
      "bob",
      "alice",
    ]);
    expect(who(await api.admin.rateLimits.overrides({ sort: "expiresAt" }))).toEqual(["bob", "carol", "alice"]);
    expect(who(await api.admin.rateLimits.overrides({ sort: "expiresAt", direction: "desc" }))).toEqual([
      "alice",
      "carol",
      "bob",
    ]);
  });

  it("pages of one walk the same order as one page, for every order", async () => {
    for (const sort of [undefined, "createdAt", "subject", "expiresAt"] as const) {
      for (const direction of [undefined, "asc", "desc"] as const) {
        const whole = who(await api.admin.rateLimits.overrides({ sort, direction }));
        expect(await walkOverrides({ sort, direction }), `${sort} ${direction}`).toEqual(whole);
      }
    }
  });

  it("refuses a cursor under another order and an unknown sort, naming the field", async () => {
    const first = await api.admin.rateLimits.overrides({ sort: "subject", limit: 1 });
    await expect(
      api.admin.rateLimits.overrides({ sort: "expiresAt", cursor: first.nextCursor ?? "" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^cursor: /) });
    // A cursor of the unnamed (old) order is not one of a named order either.
    const unnamed = await api.admin.rateLimits.overrides({ limit: 1 });
    await expect(
      api.admin.rateLimits.overrides({ sort: "createdAt", cursor: unnamed.nextCursor ?? "" }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/^cursor: /) });
    // @ts-expect-error: not an order of this list
    await expect(api.admin.rateLimits.overrides({ sort: "limit" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("sort"),
    });
  });
});

describe("over REST", () => {
  const get = async (path: string) => {
    const bearer = (await createToken(svc(), rootId, { name: `admin-${Math.random()}`, scopes: ["admin"] })).token;
    const res = await handleRest(
      new Request(`${ORIGIN}/api/v1${path}`, { headers: { ...peer, authorization: `Bearer ${bearer}` } }),
      rt,
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("takes sort and direction as query parameters; without them the answer is as before", async () => {
    const before = await get("/admin/cors-origins");
    expect(before.status).toBe(200);
    expect(hosts(before.body as { items: Array<{ origin: string }> })).toEqual(["a", "b", "c"]);
    const sorted = await get("/admin/cors-origins?sort=createdAt&direction=asc&limit=2");
    expect(sorted.status).toBe(200);
    expect(hosts(sorted.body as { items: Array<{ origin: string }> })).toEqual(["b", "c"]);
    const overrides = await get("/admin/rate-limits/overrides?sort=subject");
    expect(overrides.status).toBe(200);
    expect(who(overrides.body as { items: Array<{ subject: { label: string } }> })).toEqual(["alice", "bob", "carol"]);
  });

  it("answers an unknown sort or direction with a 400 problem naming the field", async () => {
    for (const [path, field] of [
      ["/admin/cors-origins?sort=note", "sort"],
      ["/admin/cors-origins?direction=sideways", "direction"],
      ["/admin/rate-limits/overrides?sort=limit", "sort"],
    ] as const) {
      const { status, body } = await get(path);
      expect(status, path).toBe(400);
      expect(JSON.stringify(body), path).toContain(field);
    }
  });
});
