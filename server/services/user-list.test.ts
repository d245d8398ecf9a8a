import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { users } from "@/db/schema";
import { handleRest } from "../http/rest-handler";
import { setLogger } from "../logger";
import { PEER_STAMP_ENV } from "../security/client-ip";
import { callerFor, createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { recordAudit, SYSTEM_ACTOR } from "./audit";
import { encodeCursor } from "./page-cursor";
import { createToken } from "./tokens";

/**
 * admin.users.list sorted (email, creation, last sign-in; either direction)
 * and filtered (role, status, search), keyset-paged in the order asked for: a
 * cursor carries its order and is refused under another, naming `cursor`.
 */

const STAMP = "user-list-test-stamp";
const ORIGIN = "http://localhost:3000";
const peer = { "x-gatehouse-peer": "203.0.113.61", "x-gatehouse-peer-stamp": STAMP, "x-gatehouse-peer-tls": "0" };
const client = { ip: "192.0.2.45", userAgent: "vitest", requestId: "req_user_list_test" };

let rt: TestRuntime;
let ids: Record<"root" | "alice" | "bob" | "carol" | "dave", string>;
let api: ReturnType<typeof callerFor>;

beforeAll(() => {
  vi.stubEnv(PEER_STAMP_ENV, STAMP);
  setLogger(undefined);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const HOUR = 3_600_000;

async function signedInAt(userId: string, at: number) {
  rt.clock.set(at);
  await rt.db.transaction(async (tx) =>
    recordAudit(tx, rt.clock, { actor: { kind: "user", id: userId }, action: "session.login", client }),
  );
}

beforeEach(async () => {
  rt = createTestRuntime();
  const start = rt.clock.now().getTime();
  // Created an hour apart, in an order that is not the email order.
  const root = await seedUser(rt, "root@example.com", "admin");
  rt.clock.set(start + HOUR);
  const carol = await seedUser(rt, "carol@example.com", "member");
  rt.clock.set(start + 2 * HOUR);
  const alice = await seedUser(rt, "alice@example.com", "member");
  rt.clock.set(start + 3 * HOUR);
  const dave = await seedUser(rt, "dave@example.com", "admin");
  rt.clock.set(start + 4 * HOUR);
  const bob = await seedUser(rt, "bob@example.com", "member");
  ids = { root: root.user.id, alice: alice.user.id, bob: bob.user.id, carol: carol.user.id, dave: dave.user.id };
  await rt.db.update(users).set({ disabledAt: rt.clock.now() }).where(eq(users.id, bob.user.id)).run();
  await rt.db.update(users).set({ mustChangePassword: true }).where(eq(users.id, carol.user.id)).run();
  // Sign-ins: alice last, root earlier; carol and dave never (bob's is before he was disabled).
  await signedInAt(ids.bob, start + 5 * HOUR);
  await signedInAt(ids.root, start + 6 * HOUR);
  await signedInAt(ids.alice, start + 7 * HOUR);
  await signedInAt(ids.root, start + 5.5 * HOUR);
  rt.clock.set(start + 8 * HOUR);
  api = callerFor(rt, root.principal);
});

const emails = (page: { items: Array<{ email: string }> }) => page.items.map((u) => u.email.split("@")[0] as string);

describe("sorting", () => {
  it("by email ascending unless asked otherwise", async () => {
    expect(emails(await api.admin.users.list({}))).toEqual(["alice", "bob", "carol", "dave", "root"]);
    expect(emails(await api.admin.users.list({ sort: "email", direction: "desc" }))).toEqual([
      "root",
      "dave",
      "carol",
      "bob",
      "alice",
    ]);
  });

  it("by creation, newest first by default, oldest first when asked", async () => {
    expect(emails(await api.admin.users.list({ sort: "createdAt" }))).toEqual([
      "bob",
      "dave",
      "alice",
      "carol",
      "root",
    ]);
    expect(emails(await api.admin.users.list({ sort: "createdAt", direction: "asc" }))).toEqual([
      "root",
      "carol",
      "alice",
      "dave",
      "bob",
    ]);
  });

  it("by last sign-in (the newest session.login of each), never-signed-in last; each user says when", async () => {
    const page = await api.admin.users.list({ sort: "lastSignInAt" });
    expect(emails(page).slice(0, 3)).toEqual(["alice", "root", "bob"]);
    // carol and dave never signed in: after the others, in id order (the tie-break).
    expect(emails(page).slice(3).sort()).toEqual(["carol", "dave"]);
    const root = page.items.find((u) => u.id === ids.root);
    expect(root?.lastSignInAt).toBe(new Date(Date.UTC(2026, 0, 15, 18, 0, 0)).toISOString());
    expect(page.items.find((u) => u.id === ids.dave)?.lastSignInAt).toBeNull();
  });
});

describe("filters", () => {
  it("by role and by status, with the total counting what matches", async () => {
    const admins = await api.admin.users.list({ role: "admin" });
    expect(emails(admins)).toEqual(["dave", "root"]);
    expect(admins.total).toBe(2);
    expect(emails(await api.admin.users.list({ status: "disabled" }))).toEqual(["bob"]);
    expect(emails(await api.admin.users.list({ status: "must_change_password" }))).toEqual(["carol"]);
    expect(emails(await api.admin.users.list({ status: "active" }))).toEqual(["alice", "dave", "root"]);
    const members = await api.admin.users.list({ role: "member", status: "active", sort: "createdAt" });
    expect(emails(members)).toEqual(["alice"]);
    expect((await api.admin.users.list({ role: "admin", search: "dav" })).total).toBe(1);
  });

  it("refuses an unknown sort, status, role or direction, naming the field", async () => {
    for (const [input, field] of [
      [{ sort: "name" }, "sort"],
      [{ status: "locked" }, "status"],
      [{ role: "owner" }, "role"],
      [{ direction: "up" }, "direction"],
    ] as const) {
      const error = await api.admin.users.list(input as never).then(
        () => null,
        (e: unknown) => e as { code: string; cause?: { issues?: Array<{ path: unknown[] }> } },
      );
      expect(error?.code, JSON.stringify(input)).toBe("BAD_REQUEST");
      expect(error?.cause?.issues?.map((i) => i.path.join("."))).toEqual([field]);
    }
  });
});

describe("paging in the order asked for", () => {
  async function walk(order: { sort: "email" | "createdAt" | "lastSignInAt"; direction?: "asc" | "desc" }) {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await api.admin.users.list({ ...order, limit: 2, cursor });
      seen.push(...emails(page));
      if (!page.nextCursor) return seen;
      cursor = page.nextCursor;
    }
    throw new Error("did not end");
  }

  it("pages of two walk the same order as one page, for every sort and direction", async () => {
    for (const sort of ["email", "createdAt", "lastSignInAt"] as const) {
      for (const direction of ["asc", "desc"] as const) {
        const whole = emails(await api.admin.users.list({ sort, direction }));
        expect(await walk({ sort, direction }), `${sort} ${direction}`).toEqual(whole);
      }
    }
  });

  it("refuses a cursor under another sort or direction, naming cursor; a forged one is a 400 too", async () => {
    const first = await api.admin.users.list({ sort: "createdAt", limit: 2 });
    const cursor = first.nextCursor as string;
    for (const other of [
      { sort: "email" },
      { sort: "createdAt", direction: "asc" },
      { sort: "lastSignInAt" },
    ] as const) {
      const error = await api.admin.users.list({ ...other, cursor }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(error?.code).toBe("BAD_REQUEST");
      expect(error?.message).toMatch(/^cursor: was returned for another order/);
    }
    // The right order but a key of the wrong shape (a string where a time goes).
    const forged = encodeCursor(["createdAt", "desc", "yesterday", ids.alice]);
    await expect(api.admin.users.list({ sort: "createdAt", cursor: forged })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^cursor:/),
    });
  });

  it("still honours a cursor of the old shape ([email, id]) in the email order", async () => {
    const old = encodeCursor(["bob@example.com", ids.bob]);
    expect(emails(await api.admin.users.list({ cursor: old }))).toEqual(["carol", "dave", "root"]);
  });
});

describe("over REST", () => {
  const token = async () =>
    (
      await createToken(
        { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "seed" } },
        ids.root,
        { name: `admin-${Math.random()}`, scopes: ["admin"] },
      )
    ).token;
  const get = async (query: string, bearer?: string) => {
    bearer ??= await token();
    const res = await handleRest(
      new Request(`${ORIGIN}/api/v1/admin/users${query}`, { headers: { ...peer, authorization: `Bearer ${bearer}` } }),
      rt,
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("takes sort, direction, role and status as query parameters; without them the answer is as before", async () => {
    const before = await get("");
    expect(before.status).toBe(200);
    expect((before.body.items as Array<{ email: string }>).map((u) => u.email)[0]).toBe("alice@example.com");
    const sorted = await get("?sort=createdAt&direction=asc&role=member&status=active");
    expect(sorted.status).toBe(200);
    expect((sorted.body.items as Array<{ email: string }>).map((u) => u.email)).toEqual(["alice@example.com"]);
  });

  it("answers an unknown sort with a 400 problem naming the field", async () => {
    const { status, body } = await get("?sort=password");
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain("sort");
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it("refuses a member's token and a forged one", async () => {
    const member = await seedUser(rt, "mallory@example.com", "member");
    const memberToken = (
      await createToken(
        { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "seed" } },
        member.user.id,
        { name: "m", scopes: ["contacts:read"] },
      )
    ).token;
    expect((await get("?sort=createdAt", memberToken)).status).toBe(403);
    expect((await get("?sort=createdAt", `${(await token()).slice(0, -4)}AAAA`)).status).toBe(401);
  });
});
