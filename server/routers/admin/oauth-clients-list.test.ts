import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { handleRest } from "../../http/rest-handler";
import { setLogger } from "../../logger";
import { PEER_STAMP_ENV } from "../../security/client-ip";
import { SYSTEM_ACTOR } from "../../services/audit";
import { encodeCursor } from "../../services/page-cursor";
import { createToken } from "../../services/tokens";
import { callerFor, createTestRuntime, seedUser, type TestRuntime } from "../../testing/harness";

/**
 * admin.oauthClients.list sorted on the server: by registration (default,
 * newest first) or by name (case-insensitive, A to Z by default), either
 * direction, paged in that order. A cursor carries its order and is refused
 * under another, naming `cursor`; without sort or direction the order and the
 * cursor are as they always were. Over REST the same parameters, and a 400
 * naming the field.
 */

const STAMP = "oauth-client-list-test-stamp";
const ORIGIN = "http://localhost:3000";
const peer = { "x-gatehouse-peer": "203.0.113.63", "x-gatehouse-peer-stamp": STAMP, "x-gatehouse-peer-tls": "0" };
const HOUR = 3_600_000;

let rt: TestRuntime;
let rootId: string;
let api: ReturnType<typeof callerFor>;

beforeAll(() => {
  vi.stubEnv(PEER_STAMP_ENV, STAMP);
  setLogger(undefined);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** Registered in this order, an hour apart: neither the name order nor its reverse, and one name capitalised. */
const REGISTERED = ["delta", "Bravo", "echo", "alpha", "charlie"];

beforeEach(async () => {
  rt = createTestRuntime();
  const root = await seedUser(rt, "root@example.com", "admin");
  rootId = root.user.id;
  api = callerFor(rt, root.principal);
  const start = rt.clock.now().getTime();
  for (const [i, name] of REGISTERED.entries()) {
    rt.clock.set(start + (i + 1) * HOUR);
    await api.admin.oauthClients.create({
      name,
      type: "public",
      redirectUris: [`https://${name.toLowerCase()}.example.com/callback`],
      grantTypes: ["authorization_code"],
      scopes: ["contacts:read"],
    });
  }
  rt.clock.set(start + 10 * HOUR);
});

const names = (page: { items: Array<{ name: string }> }) => page.items.map((c) => c.name);
const BY_NAME = ["alpha", "Bravo", "charlie", "delta", "echo"];

describe("sorting", () => {
  it("newest first unless asked otherwise; oldest first; by name either way, whatever the case", async () => {
    expect(names(await api.admin.oauthClients.list())).toEqual([...REGISTERED].reverse());
    expect(names(await api.admin.oauthClients.list({ sort: "createdAt", direction: "asc" }))).toEqual(REGISTERED);
    expect(names(await api.admin.oauthClients.list({ sort: "name" }))).toEqual(BY_NAME);
    expect(names(await api.admin.oauthClients.list({ sort: "name", direction: "desc" }))).toEqual(
      [...BY_NAME].reverse(),
    );
  });

  it("refuses an unknown sort or direction, naming the field", async () => {
    for (const [input, field] of [
      [{ sort: "secret" }, "sort"],
      [{ sort: "redirectUris" }, "sort"],
      [{ direction: "up" }, "direction"],
    ] as const) {
      const error = await api.admin.oauthClients.list(input as never).then(
        () => null,
        (e: unknown) => e as { code: string; cause?: { issues?: Array<{ path: unknown[] }> } },
      );
      expect(error?.code, JSON.stringify(input)).toBe("BAD_REQUEST");
      expect(error?.cause?.issues?.map((i) => i.path.join("."))).toEqual([field]);
    }
  });
});

describe("paging in the order asked for", () => {
  async function walk(order: { sort?: "createdAt" | "name"; direction?: "asc" | "desc" }) {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await api.admin.oauthClients.list({ ...order, limit: 2, cursor });
      seen.push(...names(page));
      if (!page.nextCursor) return seen;
      cursor = page.nextCursor;
    }
    throw new Error("did not end");
  }

  it("pages of two walk the same order as one page, for every sort and direction (and none)", async () => {
    expect(await walk({})).toEqual([...REGISTERED].reverse());
    for (const sort of ["createdAt", "name"] as const) {
      for (const direction of ["asc", "desc"] as const) {
        const whole = names(await api.admin.oauthClients.list({ sort, direction }));
        expect(whole).toHaveLength(REGISTERED.length);
        expect(await walk({ sort, direction }), `${sort} ${direction}`).toEqual(whole);
      }
    }
  });

  it("refuses a cursor under another sort or direction, naming cursor", async () => {
    const first = await api.admin.oauthClients.list({ sort: "name", limit: 2 });
    for (const other of [{ sort: "name", direction: "desc" }, { sort: "createdAt" }, {}] as const) {
      const error = await api.admin.oauthClients.list({ ...other, cursor: first.nextCursor as string }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(error?.code, JSON.stringify(other)).toBe("BAD_REQUEST");
      expect(error?.message).toMatch(/^cursor:/);
    }
    const crossed = await api.admin.oauthClients
      .list({ sort: "createdAt", cursor: first.nextCursor as string })
      .catch((e: unknown) => e as { message: string });
    expect((crossed as { message: string }).message).toMatch(/^cursor: was returned for another order \(name asc\)/);
  });

  it("still honours the cursor of the default order without sort: [createdAt, id]", async () => {
    const all = (await api.admin.oauthClients.list()).items;
    const second = all[1] as { createdAt: string; id: string };
    const old = encodeCursor([second.createdAt, second.id]);
    expect(names(await api.admin.oauthClients.list({ cursor: old }))).toEqual(["echo", "Bravo", "delta"]);
  });
});

describe("over REST", () => {
  const token = async () =>
    (
      await createToken(
        { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "seed" } },
        rootId,
        { name: `admin-${Math.random()}`, scopes: ["admin"] },
      )
    ).token;
  const get = async (query: string) => {
    const res = await handleRest(
      new Request(`${ORIGIN}/api/v1/admin/oauth-clients${query}`, {
        headers: { ...peer, authorization: `Bearer ${await token()}` },
      }),
      rt,
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const restNames = (body: Record<string, unknown>) => (body.items as Array<{ name: string }>).map((c) => c.name);

  it("takes sort and direction as query parameters and pages with its cursor; without them, as before", async () => {
    const before = await get("");
    expect(before.status).toBe(200);
    expect(restNames(before.body)).toEqual([...REGISTERED].reverse());
    const first = await get("?sort=name&direction=desc&limit=3");
    expect(first.status).toBe(200);
    expect(restNames(first.body)).toEqual(["echo", "delta", "charlie"]);
    const next = await get(`?sort=name&direction=desc&limit=3&cursor=${first.body.nextCursor as string}`);
    expect(restNames(next.body)).toEqual(["Bravo", "alpha"]);
    expect(next.body.nextCursor).toBeNull();
  });

  it("answers an unknown sort with a 400 problem naming the field, and a crossed cursor with one naming cursor", async () => {
    const bad = await get("?sort=clientSecret");
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: "sort" })]);
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.ts:\d+/);
    const byName = await get("?sort=name&limit=2");
    const crossed = await get(`?sort=createdAt&cursor=${byName.body.nextCursor as string}`);
    expect(crossed.status).toBe(400);
    expect(crossed.body.type).toBe("urn:gatehouse:problem:cursor_order_mismatch");
  });
});

describe("a long list", () => {
  it("sorts every client, not only the newest 500: the first registered, first by name, leads the name order", async () => {
    // 600 more, registered after the five above; "0 first" was registered before all of them.
    rt.clock.set(rt.clock.now().getTime() - 20 * HOUR);
    await api.admin.oauthClients.create({
      name: "0 first",
      type: "public",
      redirectUris: ["https://first.example.com/callback"],
      grantTypes: ["authorization_code"],
      scopes: ["contacts:read"],
    });
    rt.clock.set(rt.clock.now().getTime() + 30 * HOUR);
    for (let i = 0; i < 600; i++) {
      await api.admin.oauthClients.create({
        name: `z ${String(i).padStart(3, "0")}`,
        type: "public",
        redirectUris: [`https://z${i}.example.com/callback`],
        grantTypes: ["authorization_code"],
        scopes: ["contacts:read"],
      });
    }
    const first = await api.admin.oauthClients.list({ sort: "name", direction: "asc", limit: 3 });
    expect(names(first)).toEqual(["0 first", "alpha", "Bravo"]);
    const oldest = await api.admin.oauthClients.list({ sort: "createdAt", direction: "asc", limit: 1 });
    expect(names(oldest)).toEqual(["0 first"]);
  }, 60_000);
});
