import { beforeEach, describe, expect, it } from "vitest";
import type { Outcome } from "@/db/schema";
import { auditTransaction, listAudit, recordAudit } from "../services/audit";
import { createTestRuntime, type TestRuntime } from "../testing/harness";
import { CLOCK_SKEW_MS, ftsQuery } from "./filter";

let rt: TestRuntime;
const MINUTE = 60_000;

async function add(
  action: `${string}.${string}`,
  opts: { actor?: string; target?: string; outcome?: Outcome; ip?: string; request?: string; detail?: object } = {},
) {
  await auditTransaction(rt.db, (tx) =>
    recordAudit(tx, rt.clock, {
      actor: { kind: "user", id: opts.actor ?? "usr_a" },
      action,
      target: opts.target ? { type: "contact", id: opts.target } : undefined,
      outcome: opts.outcome,
      client: { ip: opts.ip ?? "192.0.2.1", userAgent: null, requestId: opts.request ?? "req_x" },
      detail: opts.detail as Record<string, unknown> | undefined,
    }),
  );
  rt.clock.advance(MINUTE);
}

const actions = async (query: Parameters<typeof listAudit>[1]) =>
  (await listAudit(rt.db, query)).items.map((e) => e.action);

beforeEach(async () => {
  rt = createTestRuntime();
  await add("contact.create", { actor: "usr_a", target: "con_1", detail: { email: "ada@example.com" } }); // 12:00
  await add("contact.delete", { actor: "usr_b", target: "con_1", ip: "192.0.2.99" }); // 12:01
  await add("session.login_failed", {
    outcome: "failure",
    detail: { email: "mallory@example.com", reason: "unknown_user" },
  });
  await add("session.login", { actor: "usr_b", request: "req_special" }); // 12:03
  await add("user.role_change", { detail: { from: "member", to: "admin" } }); // 12:04
});

describe("audit filters", () => {
  it("filters by actor, exact action, area, target, outcome, IP and request id", async () => {
    expect(await actions({ limit: 50, actorId: "usr_b" })).toEqual(["session.login", "contact.delete"]);
    expect(await actions({ limit: 50, action: "contact.delete" })).toEqual(["contact.delete"]);
    expect(await actions({ limit: 50, action: "contact." })).toEqual(["contact.delete", "contact.create"]);
    expect(await actions({ limit: 50, targetId: "con_1" })).toEqual(["contact.delete", "contact.create"]);
    expect(await actions({ limit: 50, outcome: "failure" })).toEqual(["session.login_failed"]);
    expect(await actions({ limit: 50, ip: "192.0.2.99" })).toEqual(["contact.delete"]);
    expect(await actions({ limit: 50, requestId: "req_special" })).toEqual(["session.login"]);
    expect(await actions({ limit: 50, actorId: "usr_b", action: "session." })).toEqual(["session.login"]);
  });

  it("filters by time range, inclusive", async () => {
    const at = (minutes: number) => new Date(Date.UTC(2026, 0, 15, 12, minutes));
    expect(await actions({ limit: 50, since: at(1), until: at(3) })).toEqual([
      "session.login",
      "session.login_failed",
      "contact.delete",
    ]);
    expect(await actions({ limit: 50, since: at(10) })).toEqual([]);
    expect(await actions({ limit: 50, until: at(0) })).toEqual(["contact.create"]);
  });

  it("still finds entries written by clocks that disagree, within the allowed skew", async () => {
    rt.clock.advance(-(CLOCK_SKEW_MS - MINUTE)); // a second process, 9 minutes behind: 11:56
    await add("contact.update", { target: "con_late" });
    rt.clock.set(Date.UTC(2026, 0, 15, 12, 20));
    await add("contact.update", { target: "con_after" }); // 12:20
    rt.clock.set(Date.UTC(2026, 0, 15, 12, 11)); // and one 9 minutes behind that
    await add("contact.update", { target: "con_behind" }); // 12:11, written after 12:20
    const at = (h: number, m: number) => new Date(Date.UTC(2026, 0, 15, h, m));
    const targets = async (since: Date, until: Date) =>
      (await listAudit(rt.db, { limit: 50, since, until })).items.map((e) => e.targetId ?? e.action);
    expect(await targets(at(11, 56), at(11, 56))).toEqual(["con_late"]);
    expect(await targets(at(11, 50), at(12, 0))).toEqual(["con_late", "con_1"]);
    expect(await targets(at(12, 4), at(12, 15))).toEqual(["con_behind", "user.role_change"]);
    expect(await targets(at(12, 11), at(12, 30))).toEqual(["con_behind", "con_after"]);
  });

  it("searches the detail by whole words, an email as a phrase", async () => {
    expect(await actions({ limit: 50, text: "ada@example.com" })).toEqual(["contact.create"]);
    expect(await actions({ limit: 50, text: "example.com" })).toEqual(["session.login_failed", "contact.create"]);
    expect(await actions({ limit: 50, text: "unknown_user mallory" })).toEqual(["session.login_failed"]);
    expect(await actions({ limit: 50, text: "ADMIN" })).toEqual(["user.role_change"]);
    expect(await actions({ limit: 50, text: "exam" })).toEqual([]);
    expect(await actions({ limit: 50, text: "example.com", action: "contact." })).toEqual(["contact.create"]);
    expect(await actions({ limit: 50, text: "!!! ???" })).toEqual([]);
  });

  it("pages a full-text result by keyset, newest first", async () => {
    for (let i = 0; i < 5; i++) await add("contact.update", { detail: { note: "paged entry" } });
    const first = await listAudit(rt.db, { limit: 2, text: "paged" });
    expect(first.items.map((e) => e.seq)).toEqual([10, 9]);
    const second = await listAudit(rt.db, { limit: 2, text: "paged", cursor: first.nextCursor ?? 0 });
    expect(second.items.map((e) => e.seq)).toEqual([8, 7]);
    const third = await listAudit(rt.db, { limit: 2, text: "paged", cursor: second.nextCursor ?? 0 });
    expect(third.items.map((e) => e.seq)).toEqual([6]);
    expect(third.nextCursor).toBeNull();
  });

  it("turns any text into quoted phrases: no FTS syntax gets through", async () => {
    expect(ftsQuery("ada@example.com")).toBe('"ada example com"');
    expect(ftsQuery('NEAR(a b) OR "x" * detail:secret')).toBe('"NEAR a" AND "b" AND "OR" AND "x" AND "detail secret"');
    expect(ftsQuery("  ")).toBeNull();
    expect(ftsQuery("***")).toBeNull();
    // And the result runs: a hostile search is just a search that finds nothing.
    expect(await actions({ limit: 50, text: 'NEAR(a b) OR "x" * detail:secret' })).toEqual([]);
  });
});
