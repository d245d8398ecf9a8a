import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { handleRest } from "../http/rest-handler";
import { setLogger } from "../logger";
import { PEER_STAMP_ENV } from "../security/client-ip";
import { callerFor, createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { recordAudit, SYSTEM_ACTOR } from "./audit";
import { encodeCursor } from "./page-cursor";
import { createToken } from "./tokens";

/**
 * admin.audit.list by time either way: newest first (the default) or oldest
 * first, keyset-paged on seq in the direction asked for, with every filter
 * (the full-text one goes through FTS5, a query of its own shape). A cursor
 * carries its direction and is refused under the other, naming `cursor`; the
 * cursor from before ([seq]) still reads newest first.
 */

const STAMP = "audit-list-test-stamp";
const ORIGIN = "http://localhost:3000";
const peer = { "x-gatehouse-peer": "203.0.113.62", "x-gatehouse-peer-stamp": STAMP, "x-gatehouse-peer-tls": "0" };
const client = { ip: "192.0.2.46", userAgent: "vitest", requestId: "req_audit_list_test" };
const MINUTE = 60_000;

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

/** Seven entries a minute apart, e0 oldest; the even ones mention "orchid" in their detail. */
const SEEDED = ["e0", "e1", "e2", "e3", "e4", "e5", "e6"];

beforeEach(async () => {
  rt = createTestRuntime();
  const root = await seedUser(rt, "root@example.com", "admin");
  rootId = root.user.id;
  const start = rt.clock.now().getTime();
  for (const [i, name] of SEEDED.entries()) {
    rt.clock.set(start + (i + 1) * MINUTE);
    await rt.db.transaction(async (tx) =>
      recordAudit(tx, rt.clock, {
        actor: { kind: "user", id: rootId },
        action: "test.order",
        target: { type: "thing", id: name },
        outcome: i % 3 === 0 ? "failure" : "success",
        client,
        detail: { note: i % 2 === 0 ? `orchid ${name}` : `tulip ${name}` },
      }),
    );
  }
  rt.clock.set(start + 10 * MINUTE);
  api = callerFor(rt, root.principal);
});

const targets = (page: { items: Array<{ targetId: string | null }> }) => page.items.map((e) => e.targetId);

describe("ordered by time", () => {
  it("newest first unless asked otherwise; oldest first with direction asc", async () => {
    expect(targets(await api.admin.audit.list({ action: "test.order" }))).toEqual([...SEEDED].reverse());
    expect(targets(await api.admin.audit.list({ action: "test.order", direction: "desc" }))).toEqual(
      [...SEEDED].reverse(),
    );
    const oldest = await api.admin.audit.list({ action: "test.order", direction: "asc" });
    expect(targets(oldest)).toEqual(SEEDED);
    const times = oldest.items.map((e) => e.at);
    expect(times).toEqual([...times].sort());
  });

  it("keeps every filter in either direction, the full-text one too", async () => {
    for (const direction of ["asc", "desc"] as const) {
      const flip = (list: string[]) => (direction === "asc" ? list : [...list].reverse());
      expect(targets(await api.admin.audit.list({ text: "orchid", direction }))).toEqual(
        flip(["e0", "e2", "e4", "e6"]),
      );
      expect(targets(await api.admin.audit.list({ action: "test.", outcome: "failure", direction }))).toEqual(
        flip(["e0", "e3", "e6"]),
      );
      expect(targets(await api.admin.audit.list({ actorId: "root@example.com", action: "test.", direction }))).toEqual(
        flip(SEEDED),
      );
    }
  });

  it("refuses an unknown direction, naming the field", async () => {
    for (const direction of ["up", "ASC", ""]) {
      const error = await api.admin.audit.list({ direction } as never).then(
        () => null,
        (e: unknown) => e as { code: string; cause?: { issues?: Array<{ path: unknown[]; message: string }> } },
      );
      expect(error?.code, direction).toBe("BAD_REQUEST");
      expect(error?.cause?.issues?.map((i) => i.path.join("."))).toEqual(["direction"]);
      expect(error?.cause?.issues?.[0]?.message).toBe("must be asc or desc");
    }
  });
});

describe("paging in the direction asked for", () => {
  async function walk(input: { direction: "asc" | "desc"; text?: string; action?: string }) {
    const seen: Array<string | null> = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = await api.admin.audit.list({ ...input, limit: 2, cursor });
      seen.push(...targets(page));
      if (!page.nextCursor) return seen;
      cursor = page.nextCursor;
    }
    throw new Error("did not end");
  }

  it("pages of two walk the same entries as one page, each direction, with and without full text", async () => {
    for (const direction of ["asc", "desc"] as const) {
      for (const filter of [{ action: "test.order" }, { text: "orchid" }, { text: "tulip", action: "test." }]) {
        const whole = targets(await api.admin.audit.list({ ...filter, direction }));
        expect(whole.length, JSON.stringify(filter)).toBeGreaterThan(2);
        expect(await walk({ ...filter, direction }), `${direction} ${JSON.stringify(filter)}`).toEqual(whole);
      }
    }
    // Unfiltered too (the seeded user's own entries included): every entry once.
    const all = targets(await api.admin.audit.list({ direction: "asc", limit: 200 }));
    expect(await walk({ direction: "asc" })).toEqual(all);
    expect(await walk({ direction: "desc" })).toEqual([...all].reverse());
  });

  it("refuses a cursor under the other direction, naming cursor; a forged one is a 400 too", async () => {
    for (const [made, other] of [
      ["desc", "asc"],
      ["asc", "desc"],
    ] as const) {
      const first = await api.admin.audit.list({ action: "test.order", direction: made, limit: 2 });
      const error = await api.admin.audit
        .list({ action: "test.order", direction: other, cursor: first.nextCursor as string })
        .then(
          () => null,
          (e: unknown) => e as { code: string; message: string },
        );
      expect(error?.code).toBe("BAD_REQUEST");
      expect(error?.message).toMatch(/^cursor: was returned for another order \(seq /);
    }
    // The right order but a key of the wrong shape, and another list's sort name.
    for (const forged of [encodeCursor(["seq", "asc", "three"]), encodeCursor(["email", "asc", 3])]) {
      await expect(api.admin.audit.list({ direction: "asc", cursor: forged })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/^cursor:/),
      });
    }
  });

  it("still honours a cursor of the old shape ([seq]) newest first, and only there", async () => {
    const page = await api.admin.audit.list({ action: "test.order", limit: 3 });
    const third = page.items[2] as { seq: number };
    const old = encodeCursor([third.seq]);
    expect(targets(await api.admin.audit.list({ action: "test.order", cursor: old }))).toEqual([
      "e3",
      "e2",
      "e1",
      "e0",
    ]);
    await expect(api.admin.audit.list({ action: "test.order", direction: "asc", cursor: old })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^cursor:/),
    });
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
      new Request(`${ORIGIN}/api/v1/admin/audit${query}`, {
        headers: { ...peer, authorization: `Bearer ${await token()}` },
      }),
      rt,
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const restTargets = (body: Record<string, unknown>) =>
    (body.items as Array<{ targetId: string | null }>).map((e) => e.targetId);

  it("takes direction as a query parameter and pages with its cursor; without it, newest first as before", async () => {
    const before = await get("?action=test.order");
    expect(before.status).toBe(200);
    expect(restTargets(before.body)).toEqual([...SEEDED].reverse());
    const first = await get("?action=test.order&direction=asc&limit=4");
    expect(first.status).toBe(200);
    expect(restTargets(first.body)).toEqual(SEEDED.slice(0, 4));
    const next = await get(`?action=test.order&direction=asc&limit=4&cursor=${first.body.nextCursor as string}`);
    expect(next.status).toBe(200);
    expect(restTargets(next.body)).toEqual(SEEDED.slice(4));
    expect(next.body.nextCursor).toBeNull();
  });

  it("answers a bad direction with a 400 problem naming the field, and a cursor of the other direction with one naming cursor", async () => {
    const bad = await get("?direction=sideways");
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: "direction" })]);
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.ts:\d+/);

    const desc = await get("?action=test.order&limit=2");
    const crossed = await get(`?action=test.order&direction=asc&cursor=${desc.body.nextCursor as string}`);
    expect(crossed.status).toBe(400);
    expect(crossed.body.type).toBe("urn:gatehouse:problem:cursor_order_mismatch");
    expect(String(crossed.body.detail)).toMatch(/^cursor:/);
  });
});
