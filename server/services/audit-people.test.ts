import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { sqliteOf } from "@/db";
import { users } from "@/db/schema";
import { auditFilterInput, toAuditFilter } from "../audit/filter";
import { attemptSecondStep, attemptSignIn } from "../auth/sign-in";
import { countRequest, resetTraffic } from "../observability/traffic";
import {
  callerFor,
  codeOf,
  createTestRuntime,
  nextTotpCode,
  ON_POSTGRES,
  seedUser,
  type TestRuntime,
} from "../testing/harness";
import {
  type Actor,
  auditTransaction,
  describeAuditRows,
  describeRecordedActors,
  listAudit,
  recordAudit,
  SYSTEM_ACTOR,
} from "./audit";
import { addCorsOrigin } from "./cors-origins";
import { createClient } from "./oauth-clients";
import { createToken } from "./tokens";

/**
 * People instead of ids: every actor and target of an audit page comes back
 * with an email and a name (a token with its owner, an OAuth client with its
 * name, "system"), resolved in one statement per page; and the actor filter
 * takes an email.
 */
let rt: TestRuntime;
const client = { ip: "192.0.2.7", userAgent: "vitest", requestId: "req_people" };
const svc = () => ({ db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client });

async function add(actor: Actor, target?: { type: string; id: string }, detail?: Record<string, unknown>) {
  await auditTransaction(rt.db, (tx) =>
    recordAudit(tx, rt.clock, { actor, action: "test.people", target, client, detail }),
  );
  rt.clock.advance(1_000);
}

/** How many statements SQLite prepared while `run` ran (drizzle prepares every query it runs). */
async function statementsDuring<T>(run: () => T): Promise<{ result: Awaited<T>; statements: string[] }> {
  const spy = vi.spyOn(sqliteOf(rt.db), "prepare");
  try {
    const result = await run();
    return { result, statements: spy.mock.calls.map((call) => String(call[0])) };
  } finally {
    spy.mockRestore();
  }
}

beforeEach(() => {
  rt = createTestRuntime();
});

describe("audit entries name people", () => {
  it("resolves users, tokens (with their owner), OAuth clients, system and anonymous", async () => {
    const ada = await seedUser(rt, "Ada@Example.com", "admin");
    await rt.db.update(users).set({ name: "Ada Lovelace" }).where(eq(users.id, ada.user.id)).run();
    const bob = await seedUser(rt, "bob@example.com");
    const token = await createToken(svc(), bob.user.id, { name: "deploy bot", scopes: ["contacts:read"] });
    const app = (
      await createClient(svc(), {
        name: "Billing dashboard",
        type: "public",
        redirectUris: ["https://billing.example.com/callback"],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["contacts:read"],
      })
    ).client;

    await add({ kind: "user", id: ada.user.id }, { type: "user", id: bob.user.id });
    await add({ kind: "token", id: token.id, userId: bob.user.id }, { type: "contact", id: "con_123" });
    await add({ kind: "oauth_client", id: app.id, userId: ada.user.id }, { type: "oauth_client", id: app.id });
    await add(SYSTEM_ACTOR);
    await add({ kind: "anonymous", id: null }, undefined, { email: "nobody@example.com", reason: "unknown_user" });

    const [anon, system, byClient, byToken, byAda] = (await listAudit(rt.db, { limit: 5, action: "test." })).items;
    expect(byAda?.actor).toEqual({
      kind: "user",
      id: ada.user.id,
      label: "ada@example.com",
      email: "ada@example.com",
      name: "Ada Lovelace",
      userId: ada.user.id,
      deleted: false,
    });
    expect(byAda?.target).toMatchObject({ kind: "user", id: bob.user.id, label: "bob@example.com", deleted: false });
    expect(byToken?.actor).toMatchObject({
      kind: "token",
      id: token.id,
      email: "bob@example.com",
      name: "deploy bot",
      userId: bob.user.id,
      deleted: false,
    });
    expect(byToken?.actor.label).toContain("deploy bot");
    expect(byToken?.actor.label).toContain("bob@example.com");
    // Not a person: the id is all there is, shown as it is.
    expect(byToken?.target).toMatchObject({ kind: "other", id: "con_123", label: "con_123", email: null });
    expect(byClient?.actor).toMatchObject({
      kind: "oauth_client",
      id: app.id,
      label: "Billing dashboard",
      email: null,
    });
    expect(byClient?.target).toMatchObject({ kind: "oauth_client", label: "Billing dashboard" });
    expect(system?.actor).toMatchObject({ kind: "system", id: null, label: "system", email: null });
    expect(system?.target).toBeNull();
    expect(anon?.actor).toMatchObject({ kind: "anonymous", label: "anonymous", email: "nobody@example.com" });
  });

  it("shows a deleted user's id, marked deleted, and a deleted token with the user it acted for", async () => {
    const gone = await seedUser(rt, "gone@example.com");
    const kept = await seedUser(rt, "kept@example.com");
    await add({ kind: "user", id: gone.user.id }, { type: "user", id: gone.user.id });
    await add({ kind: "token", id: "tok_deleted000000000000", userId: kept.user.id });
    await add({ kind: "token", id: "tok_deletedtoo000000000", userId: gone.user.id });
    await rt.db.delete(users).where(eq(users.id, gone.user.id)).run();

    const [orphan, deletedToken, byGone] = (await listAudit(rt.db, { limit: 3, action: "test." })).items;
    expect(byGone?.actor).toEqual({
      kind: "user",
      id: gone.user.id,
      label: "deleted user",
      email: null,
      name: null,
      userId: null,
      deleted: true,
    });
    expect(byGone?.target).toMatchObject({ id: gone.user.id, label: "deleted user", deleted: true });
    expect(deletedToken?.actor).toMatchObject({
      kind: "token",
      id: "tok_deleted000000000000",
      label: "deleted API token of kept@example.com",
      email: "kept@example.com",
      userId: kept.user.id,
      deleted: true,
    });
    expect(orphan?.actor).toMatchObject({ label: "deleted API token", email: null, deleted: true });
  });

  // Counts the statements SQLite prepares (a spy on the connection): the rule holds on PostgreSQL too, the count is SQLite's.
  it.skipIf(ON_POSTGRES)("resolves a whole page in one statement, however many people are on it", async () => {
    const people = [];
    for (let i = 0; i < 12; i++) people.push(await seedUser(rt, `p${i}@example.com`));
    for (const [i, p] of people.entries()) {
      const other = people[(i + 1) % people.length];
      await add({ kind: "user", id: p.user.id }, other ? { type: "user", id: other.user.id } : undefined);
      await createToken({ ...svc(), actor: { kind: "user", id: p.user.id } }, p.user.id, {
        name: `t${i}`,
        scopes: ["contacts:read"],
      });
    }
    const rows = (await listAudit(rt.db, { limit: 200 })).items.map(({ actor: _a, target: _t, ...row }) => row);
    expect(rows.length).toBeGreaterThan(24);
    const { result, statements } = await statementsDuring(() => describeAuditRows(rt.db, rows));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/union all/i);
    expect(result.filter((r) => r.actor.email?.endsWith("@example.com")).length).toBeGreaterThanOrEqual(24);
    // An empty page asks nothing at all.
    expect((await statementsDuring(() => describeAuditRows(rt.db, []))).statements).toHaveLength(0);
    // The list itself: the page query plus the one lookup, never one per entry.
    expect((await statementsDuring(() => listAudit(rt.db, { limit: 200 }))).statements).toHaveLength(2);
  });

  it("is what the audit list procedure returns", async () => {
    const admin = await seedUser(rt, "root@example.com", "admin");
    await add({ kind: "user", id: admin.user.id });
    const page = await callerFor(rt, admin.principal).admin.audit.list({ action: "test.people" });
    expect(page.items[0]?.actor).toMatchObject({ label: "root@example.com", id: admin.user.id });
  });
});

describe("the actor filter takes an email", () => {
  const runtime = () => ({ ...rt, config: rt.config });
  const byEmail = async (email: string) =>
    (await listAudit(rt.db, { limit: 50, ...toAuditFilter(auditFilterInput.parse({ actorId: email })) })).items.map(
      (e) => `${e.action}:${e.actor.label}`,
    );

  it("finds the user's sign-ins, failed sign-ins and token actions, case-insensitively, and nobody else's", async () => {
    const ada = await seedUser(rt, "ada@example.com", "member", "ada's long passphrase");
    await seedUser(rt, "bada@example.com", "member", "bada's long passphrase");
    const token = await createToken(svc(), ada.user.id, { name: "ci", scopes: ["contacts:read"] });
    await add({ kind: "token", id: token.id, userId: ada.user.id });
    for (const [email, password] of [
      ["ada@example.com", "ada's long passphrase"],
      ["ada@example.com", "a wrong passphrase"],
      ["bada@example.com", "bada's long passphrase"],
      ["ada@example.com.evil", "whatever it is"],
    ] as const) {
      await attemptSignIn(runtime(), { email, password }, client);
    }
    for (const variant of ["ada@example.com", "ADA@Example.COM", "  ada@example.com "]) {
      expect(await byEmail(variant)).toEqual([
        "session.login_failed:ada@example.com",
        "session.login:ada@example.com",
        expect.stringMatching(/^test\.people:token “ci” of ada@example\.com$/),
      ]);
    }
    expect(await byEmail("nobody@example.com")).toEqual([]);
    expect(await byEmail("ada@example")).toEqual([]);
  });

  it("finds failed sign-ins of an address with no account by the email they recorded, exactly", async () => {
    for (const email of ["ghost@example.com", "ghost@example.com.evil", "x.ghost@example.com"]) {
      await attemptSignIn(runtime(), { email, password: "not a password of anyone" }, client);
    }
    expect(await byEmail("Ghost@example.com")).toEqual(["session.login_failed:anonymous"]);
    const [entry] = (await listAudit(rt.db, { limit: 5, ...toAuditFilter({ actorId: "ghost@example.com" }) })).items;
    expect(entry?.actor.email).toBe("ghost@example.com");
    expect(entry?.detail).toMatchObject({ email: "ghost@example.com", reason: "unknown_user" });
  });

  it("still finds a deleted user's failed sign-ins by email, and combines with the other filters", async () => {
    const gone = await seedUser(rt, "gone@example.com", "member", "gone's long passphrase");
    await attemptSignIn(runtime(), { email: "gone@example.com", password: "wrong wrong wrong" }, client);
    await attemptSignIn(runtime(), { email: "gone@example.com", password: "gone's long passphrase" }, client);
    expect(await byEmail("gone@example.com")).toHaveLength(2);
    const filtered = (
      await listAudit(rt.db, {
        limit: 50,
        ...toAuditFilter({ actorId: "gone@example.com", action: "session.login_failed" }),
      })
    ).items;
    expect(filtered.map((e) => e.action)).toEqual(["session.login_failed"]);
    await rt.db.delete(users).where(eq(users.id, gone.user.id)).run();
    // The account is gone; the failed sign-in recorded the address, so it is still found.
    expect(await byEmail("gone@example.com")).toEqual(["session.login_failed:deleted user"]);
  });

  it("keeps an id an id", async () => {
    const ada = await seedUser(rt, "ada@example.com");
    await add({ kind: "user", id: ada.user.id });
    expect(toAuditFilter({ actorId: ada.user.id })).toMatchObject({ actorId: ada.user.id, actorEmail: undefined });
    expect((await listAudit(rt.db, { limit: 5, ...toAuditFilter({ actorId: ada.user.id }) })).items).toHaveLength(1);
  });
});

describe("the overview's busiest principals", () => {
  it("are people too: a user's email, a token with its owner, a deleted user by id", async () => {
    resetTraffic();
    const admin = await seedUser(rt, "root@example.com", "admin");
    const bob = await seedUser(rt, "bob@example.com");
    const gone = await seedUser(rt, "gone@example.com");
    const token = await createToken(svc(), bob.user.id, { name: "deploy bot", scopes: ["contacts:read"] });
    const at = rt.clock.now();
    for (const [principalId, times] of [
      [admin.user.id, 3],
      [token.id, 2],
      [gone.user.id, 1],
    ] as const) {
      for (let i = 0; i < times; i++) countRequest({ at, status: 200, principalId, ip: "192.0.2.1" });
    }
    await rt.db.delete(users).where(eq(users.id, gone.user.id)).run();
    const traffic = await callerFor(rt, admin.principal).admin.overview.traffic({ range: "24h" });
    expect(traffic.topPrincipals).toEqual([
      expect.objectContaining({ id: admin.user.id, kind: "user", label: "root@example.com", count: 3, deleted: false }),
      expect.objectContaining({ id: token.id, kind: "token", email: "bob@example.com", userId: bob.user.id, count: 2 }),
      expect.objectContaining({ id: gone.user.id, kind: "user", label: "deleted user", deleted: true, count: 1 }),
    ]);
    resetTraffic();
  });
});

describe("who added a CORS origin", () => {
  // Counts the statements SQLite prepares (a spy on the connection): the rule holds on PostgreSQL too, the count is SQLite's.
  it.skipIf(ON_POSTGRES)(
    "is a person in the list: email, command line, deleted user; one lookup for the page",
    async () => {
      const admin = await seedUser(rt, "root@example.com", "admin");
      const gone = await seedUser(rt, "gone@example.com", "admin");
      await addCorsOrigin(
        { ...svc(), actor: { kind: "user", id: admin.user.id } },
        { origin: "https://a.example.com" },
      );
      await addCorsOrigin({ ...svc(), actor: { kind: "cli", id: null } }, { origin: "https://b.example.com" });
      await addCorsOrigin({ ...svc(), actor: { kind: "user", id: gone.user.id } }, { origin: "https://c.example.com" });
      await rt.db.delete(users).where(eq(users.id, gone.user.id)).run();
      const { result } = await statementsDuring(() =>
        describeRecordedActors(rt.db, [admin.user.id, "cli", gone.user.id, null, "system"]),
      );
      expect(result.map((p) => p?.label ?? null)).toEqual([
        "root@example.com",
        "command line",
        "deleted user",
        null,
        "system",
      ]);
      expect(
        (await statementsDuring(() => describeRecordedActors(rt.db, [admin.user.id, gone.user.id]))).statements,
      ).toHaveLength(1);

      const page = await callerFor(rt, admin.principal).admin.cors.list();
      const byOrigin = Object.fromEntries(page.items.map((o) => [o.origin, o.addedBy]));
      expect(byOrigin["https://a.example.com"]).toMatchObject({
        kind: "user",
        label: "root@example.com",
        id: admin.user.id,
      });
      expect(byOrigin["https://b.example.com"]).toMatchObject({ kind: "cli", label: "command line", id: null });
      expect(byOrigin["https://c.example.com"]).toMatchObject({
        id: gone.user.id,
        label: "deleted user",
        deleted: true,
      });
    },
  );
});

describe("admin.audit.list with an email", () => {
  it("takes an email up to 254 characters, refuses longer, and is for admins only", async () => {
    const admin = await seedUser(rt, "root@example.com", "admin", "root's long passphrase");
    const member = await seedUser(rt, "member@example.com");
    // An admin signs in in two steps: the password, then a code (server/auth/sign-in.ts).
    const first = await attemptSignIn(
      { ...rt },
      { email: "ROOT@example.com", password: "root's long passphrase" },
      client,
    );
    if (first.ok || first.reason !== "second_factor") throw new Error("expected the second step");
    await attemptSecondStep({ ...rt }, first.handle, { code: nextTotpCode(rt, admin.totpSecret as string) }, client);
    const api = callerFor(rt, admin.principal).admin.audit;
    const mine = await api.list({ actorId: "Root@Example.com", action: "session.login" });
    expect(mine.items.map((e) => [e.action, e.actor.label])).toEqual([["session.login", "root@example.com"]]);
    const long = `${"a".repeat(254 - "@example.com".length)}@example.com`;
    expect((await api.list({ actorId: long })).items).toEqual([]);
    expect(await codeOf(api.list({ actorId: `a${long}` }))).toBe("BAD_REQUEST");
    expect(await codeOf(callerFor(rt, member.principal).admin.audit.list({ actorId: "root@example.com" }))).toBe(
      "FORBIDDEN",
    );
    expect(await codeOf(callerFor(rt, null).admin.audit.list({ actorId: "root@example.com" }))).toBe("UNAUTHORIZED");
  });
});
