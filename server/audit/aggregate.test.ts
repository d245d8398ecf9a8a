import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import type { Principal } from "../auth/principal";
import { createContextInner } from "../context";
import { createCaller } from "../root";
import { ANONYMOUS_ACTOR } from "../services/audit";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { AGGREGATE_WINDOW_MS, flushAggregated, MAX_GROUPS, pendingAggregated, recordAggregated } from "./aggregate";
import { verifyAuditChain } from "./verify";

/**
 * Authorization failures and other floods are audited as one entry per
 * caller and window, carrying the count: an attacker gets their attempts
 * counted but cannot grow the log by one row per request.
 */
let rt: TestRuntime;

beforeEach(() => {
  rt = createTestRuntime();
});

function callerAs(principal: Principal | null, ip = "198.51.100.20") {
  return createCaller(
    createContextInner({
      db: rt.db,
      clock: rt.clock,
      principal,
      keyring: rt.keyring,
      client: { ip, userAgent: "attacker", requestId: `req_${Math.random().toString(36).slice(2, 12)}` },
    }),
  );
}

async function entries(action: string) {
  return (
    await rt.db.all<{ actor_id: string | null; ip: string | null; outcome: string; detail: string }>(
      sql`select actor_id, ip, outcome, detail from audit_log where action = ${action} order by seq`,
    )
  ).map((e) => ({ ...e, detail: JSON.parse(e.detail) as Record<string, unknown> }));
}

describe("aggregated authorization failures", () => {
  it("turns 100 refused calls into one entry with the count (403, wrong role)", async () => {
    const member = await seedUser(rt, "mallory@example.com");
    for (let i = 0; i < 100; i++) {
      await expect(callerAs(member.principal).admin.users.list({})).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    expect(await entries("access.forbidden")).toHaveLength(0); // nothing written per request
    expect(await flushAggregated(rt.db)).toBe(1);
    const [entry, ...rest] = await entries("access.forbidden");
    expect(rest).toHaveLength(0);
    expect(entry).toMatchObject({ actor_id: member.user.id, ip: "198.51.100.20", outcome: "denied" });
    expect(entry?.detail).toMatchObject({
      aggregated: true,
      count: 100,
      status: 403,
      procedure: "admin.users.list",
      windowSeconds: AGGREGATE_WINDOW_MS / 1000,
    });
    expect(entry?.detail.sampleRequestIds).toHaveLength(3);
  });

  it("records 401s by IP, and 404s on other people's records", async () => {
    for (let i = 0; i < 5; i++) {
      await expect(callerAs(null, "192.0.2.1").contacts.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    }
    const alice = await seedUser(rt, "alice@example.com");
    const bob = await seedUser(rt, "bob@example.com");
    const contact = await callerAs(alice.principal).contacts.create({ name: "Ada", email: "ada@example.com" });
    await expect(callerAs(bob.principal).contacts.get({ id: contact.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await flushAggregated(rt.db);

    expect(await entries("access.unauthenticated")).toEqual([
      expect.objectContaining({
        actor_id: null,
        ip: "192.0.2.1",
        detail: expect.objectContaining({ count: 5, status: 401, reason: "missing_credentials" }),
      }),
    ]);
    expect(await entries("access.not_found")).toEqual([
      expect.objectContaining({
        actor_id: bob.user.id,
        detail: expect.objectContaining({ count: 1, status: 404, procedure: "contacts.get" }),
      }),
    ]);
  });

  it("keeps windows apart: the first event after a window closes writes the previous one", async () => {
    const event = {
      action: "test.flood",
      actor: ANONYMOUS_ACTOR,
      client: { ip: "192.0.2.9", userAgent: null, requestId: "r" },
    } as const;
    await recordAggregated(rt.db, rt.clock, event);
    await recordAggregated(rt.db, rt.clock, event);
    rt.clock.advance(AGGREGATE_WINDOW_MS + 1);
    await recordAggregated(rt.db, rt.clock, event);
    expect((await entries("test.flood")).map((e) => e.detail.count)).toEqual([2]);
    expect(pendingAggregated(rt.db)).toBe(1);
    await flushAggregated(rt.db);
    expect((await entries("test.flood")).map((e) => e.detail.count)).toEqual([2, 1]);
  });

  it("bounds the number of entries when an attacker rotates addresses, and keeps the total count", async () => {
    const n = MAX_GROUPS + 50;
    for (let i = 0; i < n; i++) {
      await recordAggregated(rt.db, rt.clock, {
        action: "test.flood",
        actor: ANONYMOUS_ACTOR,
        client: { ip: `10.0.${Math.floor(i / 250)}.${i % 250}`, userAgent: null, requestId: `r${i}` },
      });
    }
    expect(await flushAggregated(rt.db)).toBe(MAX_GROUPS + 1);
    const written = await entries("test.flood");
    expect(written).toHaveLength(MAX_GROUPS + 1);
    expect(written.reduce((sum, e) => sum + Number(e.detail.count), 0)).toBe(n);
    expect(written.at(-1)?.detail).toMatchObject({ overflow: true, count: 50 });
    expect(written.at(-1)?.ip).toBeNull();
  });

  it("chains aggregated entries like any other", async () => {
    const member = await seedUser(rt, "eve@example.com");
    await expect(callerAs(member.principal).admin.audit.list({})).rejects.toThrow();
    await flushAggregated(rt.db);
    expect(await verifyAuditChain(rt.db)).toMatchObject({ ok: true, broken: null });
  });
});
