import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { sqliteOf } from "@/db";
import { apiTokens, auditLog, sessions } from "@/db/schema";
import type { Principal } from "../../auth/principal";
import { createContextInner } from "../../context";
import { createCaller } from "../../root";
import { CLI_ACTOR } from "../../services/audit";
import { createToken, listTokens, revokeAllForUser, revokeToken } from "../../services/tokens";
import {
  callerFor,
  createTestRuntime,
  failureOf as failure,
  ON_POSTGRES,
  seedUser,
  type TestRuntime,
} from "../../testing/harness";

const DAY = 86_400_000;

describe("tokens router", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let bob: Awaited<ReturnType<typeof seedUser>>;
  let admin: Awaited<ReturnType<typeof seedUser>>;

  beforeEach(async () => {
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com");
    bob = await seedUser(rt, "bob@example.com");
    admin = await seedUser(rt, "root@example.com", "admin");
  });

  const audits = (action: string) => rt.db.select().from(auditLog).where(eq(auditLog.action, action)).all();

  it("refuses every procedure without a principal", async () => {
    const anon = callerFor(rt, null);
    expect(await failure(anon.tokens.list({}))).toBe("UNAUTHORIZED:missing_credentials");
    expect(await failure(anon.tokens.create({ name: "x", scopes: ["contacts:read"] }))).toBe(
      "UNAUTHORIZED:missing_credentials",
    );
    expect(await failure(anon.tokens.revokeAll({}))).toBe("UNAUTHORIZED:missing_credentials");
  });

  it("creates a token shown once, lists it without the secret, and audits the id only", async () => {
    const api = callerFor(rt, alice.principal);
    const created = await api.tokens.create({ name: " CI deploy ", scopes: ["contacts:write", "contacts:read"] });
    expect(created.token).toMatch(/^gth_[0-9A-Za-z]{49}$/);
    expect(created).toMatchObject({
      name: "CI deploy",
      scopes: ["contacts:read", "contacts:write"], // catalogue order
      status: "active",
      display: `gth_…${created.token.slice(-4)}`,
      expiresAt: new Date(rt.clock.now().getTime() + 90 * DAY).toISOString(),
      owner: { id: alice.user.id, email: "alice@example.com", disabled: false },
    });
    const listed = await api.tokens.list({});
    expect(listed.total).toBe(1);
    expect(listed.items[0]?.id).toBe(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(listed.items[0]).not.toHaveProperty("token");

    const [entry] = await audits("token.create");
    expect(entry).toMatchObject({ actorKind: "user", actorId: alice.user.id, targetId: created.id });
    expect(JSON.stringify(entry)).not.toContain(created.token);
  });

  it("validates name, scopes and expiry, and writes nothing on a bad input", async () => {
    const api = callerFor(rt, alice.principal);
    const bad = [
      { name: "", scopes: ["contacts:read"] },
      { name: "x".repeat(101), scopes: ["contacts:read"] },
      { name: "a\u0000b", scopes: ["contacts:read"] },
      { name: "x", scopes: [] },
      { name: "x", scopes: ["contacts:delete"] },
      { name: "x", scopes: ["contacts:read"], expiresInSeconds: 10 },
      { name: "x", scopes: ["contacts:read"], expiresInSeconds: 1.5 },
      { name: "x", scopes: ["contacts:read"], ownerId: bob.user.id },
    ];
    for (const input of bad) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
      expect(await failure(api.tokens.create(input as any))).toMatch(/^BAD_REQUEST/);
    }
    // The default policy: at most 365 days, and no "never".
    expect(
      await failure(api.tokens.create({ name: "x", scopes: ["contacts:read"], expiresInSeconds: 366 * 86_400 })),
    ).toBe("BAD_REQUEST:expiry_too_long");
    expect(await failure(api.tokens.create({ name: "x", scopes: ["contacts:read"], expiresInSeconds: null }))).toBe(
      "BAD_REQUEST:expiry_required",
    );
    expect(await rt.db.select().from(apiTokens).all()).toHaveLength(0);
  });

  it("follows the configured policy: a shorter maximum, and 'never' where allowed", async () => {
    const ctx = (principal: Principal, allowNoExpiry: boolean) =>
      createCaller(
        createContextInner({
          db: rt.db,
          clock: rt.clock,
          principal,
          tokenPolicy: { defaultTtlMs: 7 * DAY, maxTtlMs: 30 * DAY, allowNoExpiry },
        }),
      );
    const strict = ctx(alice.principal, false);
    expect((await strict.tokens.create({ name: "d", scopes: ["contacts:read"] })).expiresAt).toBe(
      new Date(rt.clock.now().getTime() + 7 * DAY).toISOString(),
    );
    expect(
      await failure(strict.tokens.create({ name: "x", scopes: ["contacts:read"], expiresInSeconds: 31 * 86_400 })),
    ).toBe("BAD_REQUEST:expiry_too_long");
    const lax = ctx(alice.principal, true);
    expect(
      (await lax.tokens.create({ name: "n", scopes: ["contacts:read"], expiresInSeconds: null })).expiresAt,
    ).toBeNull();
  });

  it("never grants more than the owner's role, nor more than the credential asking holds", async () => {
    const api = callerFor(rt, alice.principal);
    expect(await failure(api.tokens.create({ name: "x", scopes: ["admin"] }))).toBe("FORBIDDEN:scope_exceeds_role");
    // The CLI path has no grantor, but the role still bounds it.
    const cli = {
      db: rt.db,
      clock: rt.clock,
      actor: CLI_ACTOR,
      client: { ip: null, userAgent: "cli", requestId: "c" },
    };
    await expect(createToken(cli, alice.user.id, { name: "x", scopes: ["admin"] })).rejects.toThrow(
      /does not allow admin/,
    );

    // A token holding tokens:write + contacts:read cannot mint contacts:write, nor rotate a stronger token.
    const strong = await api.tokens.create({ name: "strong", scopes: ["contacts:read", "contacts:write"] });
    const weak: Principal = {
      kind: "token",
      tokenId: "tok_aaaaaaaaaaaaaaaaaaaa",
      userId: alice.user.id,
      email: alice.user.email,
      role: "member",
      scopes: ["contacts:read", "tokens:read", "tokens:write"],
      mustChangePassword: false,
    };
    const viaToken = callerFor(rt, weak);
    expect(await failure(viaToken.tokens.create({ name: "x", scopes: ["contacts:write"] }))).toBe(
      "FORBIDDEN:scope_not_held",
    );
    expect(await failure(viaToken.tokens.rotate({ id: strong.id }))).toBe("FORBIDDEN:scope_not_held");
    expect((await viaToken.tokens.create({ name: "ok", scopes: ["contacts:read"] })).scopes).toEqual(["contacts:read"]);

    const adminToken = await callerFor(rt, admin.principal).tokens.create({ name: "ops", scopes: ["admin"] });
    expect(adminToken.scopes).toEqual(["admin"]);
  });

  it("revokes only one's own tokens: another user's id is NOT_FOUND and changes nothing", async () => {
    const mine = await callerFor(rt, alice.principal).tokens.create({ name: "a", scopes: ["contacts:read"] });
    const other = callerFor(rt, bob.principal);
    expect(await failure(other.tokens.revoke({ id: mine.id }))).toBe("NOT_FOUND");
    expect(await failure(other.tokens.rotate({ id: mine.id }))).toBe("NOT_FOUND");
    expect(await failure(other.tokens.revoke({ id: "nope" }))).toBe("BAD_REQUEST");
    expect((await other.tokens.list({})).total).toBe(0);
    expect((await rt.db.select().from(apiTokens).get())?.revokedAt).toBeNull();

    rt.clock.advance(1000);
    const revoked = await callerFor(rt, alice.principal).tokens.revoke({ id: mine.id });
    expect(revoked).toMatchObject({ status: "revoked", revokedBy: alice.user.id, revokedReason: "revoked" });
    // Idempotent: a second revoke changes nothing and is not audited again.
    await callerFor(rt, alice.principal).tokens.revoke({ id: mine.id });
    expect(await audits("token.revoke")).toHaveLength(1);
    expect((await audits("token.revoke"))[0]).toMatchObject({ targetId: mine.id, actorId: alice.user.id });
  });

  it("rotates: a new token with the same name and scopes, the old one kept for the grace period", async () => {
    const api = callerFor(rt, alice.principal);
    const old = await api.tokens.create({ name: "deploy", scopes: ["contacts:read"], expiresInSeconds: 30 * 86_400 });
    rt.clock.advance(DAY);
    const rotated = await api.tokens.rotate({ id: old.id, graceSeconds: 3600 });
    expect(rotated.token).not.toBe(old.token);
    expect(rotated).toMatchObject({ name: "deploy", scopes: ["contacts:read"], rotatedFromId: old.id });
    expect(rotated.expiresAt).toBe(new Date(rt.clock.now().getTime() + 30 * DAY).toISOString());
    expect(rotated.previous).toMatchObject({
      id: old.id,
      status: "active",
      replacedById: rotated.id,
      graceUntil: new Date(rt.clock.now().getTime() + 3600_000).toISOString(),
    });
    expect(await failure(api.tokens.rotate({ id: old.id }))).toBe("CONFLICT:already_rotated");
    expect(await failure(api.tokens.rotate({ id: rotated.id, graceSeconds: 8 * 86_400 }))).toBe("BAD_REQUEST");
    rt.clock.advance(3600_000);
    expect((await api.tokens.list({ status: "expired" })).items.map((t) => t.id)).toEqual([old.id]);

    // Grace 0 revokes the old one at once.
    const now = await api.tokens.rotate({ id: rotated.id, graceSeconds: 0 });
    expect(now.previous).toMatchObject({ status: "revoked", revokedReason: "rotated" });
    expect((await audits("token.rotate")).map((e) => e.targetId)).toEqual([old.id, rotated.id]);
  });

  it("signs out everywhere: all sessions and tokens of the caller end in one audited step", async () => {
    const api = callerFor(rt, alice.principal);
    await api.tokens.create({ name: "a", scopes: ["contacts:read"] });
    await api.tokens.create({ name: "b", scopes: ["contacts:write"] });
    const bobs = await callerFor(rt, bob.principal).tokens.create({ name: "b", scopes: ["contacts:read"] });
    expect(await api.tokens.revokeAll({})).toEqual({ sessionsEnded: 1, tokensRevoked: 2, oauthGrantsRevoked: 0 });
    expect(await rt.db.select().from(sessions).where(eq(sessions.userId, alice.user.id)).all()).toHaveLength(0);
    expect((await callerFor(rt, alice.principal).tokens.list({ status: "active" })).total).toBe(0);
    expect((await callerFor(rt, bob.principal).tokens.list({ status: "active" })).items[0]?.id).toBe(bobs.id);
    const [entry] = await audits("user.revoke_all");
    expect(entry).toMatchObject({ targetId: alice.user.id, detail: { sessionsEnded: 1, keysRevoked: 2 } });
  });

  // The failure is injected with a SQLite trigger.
  it.skipIf(ON_POSTGRES)("rolls back the whole revoke-everything when any part fails", async () => {
    await callerFor(rt, alice.principal).tokens.create({ name: "a", scopes: ["contacts:read"] });
    // A trigger that makes the audit insert fail: nothing else may stick.
    sqliteOf(rt.db).exec(
      "create temp trigger fail_audit before insert on audit_log when new.action = 'user.revoke_all' begin select raise(abort, 'boom'); end",
    );
    const svc = { db: rt.db, clock: rt.clock, actor: CLI_ACTOR, client: { ip: null, userAgent: null, requestId: "x" } };
    await expect(revokeAllForUser(svc, alice.user.id)).rejects.toThrow(/boom/);
    expect(await rt.db.select().from(sessions).where(eq(sessions.userId, alice.user.id)).all()).toHaveLength(1);
    expect((await rt.db.select().from(apiTokens).get())?.revokedAt).toBeNull();
  });

  describe("admin", () => {
    it("is for admins only", async () => {
      const member = callerFor(rt, alice.principal);
      expect(await failure(member.admin.tokens.list({}))).toBe("FORBIDDEN:insufficient_scope");
      expect(await failure(member.admin.users.revokeAll({ id: bob.user.id }))).toBe("FORBIDDEN:insufficient_scope");
    });

    it("lists every token with its owner, filtered by owner email, search and status, and revokes any", async () => {
      const a1 = await callerFor(rt, alice.principal).tokens.create({ name: "laptop", scopes: ["contacts:read"] });
      rt.clock.advance(1000);
      const b1 = await callerFor(rt, bob.principal).tokens.create({ name: "ci", scopes: ["contacts:read"] });
      const ops = callerFor(rt, admin.principal);
      const all = await ops.admin.tokens.list({});
      expect(all.items.map((t) => [t.id, t.owner.email])).toEqual([
        [b1.id, "bob@example.com"],
        [a1.id, "alice@example.com"],
      ]);
      expect((await ops.admin.tokens.list({ ownerEmail: "ALICE@example.com" })).items.map((t) => t.id)).toEqual([
        a1.id,
      ]);
      expect((await ops.admin.tokens.list({ search: "bob" })).items.map((t) => t.id)).toEqual([b1.id]);
      expect((await ops.admin.tokens.list({ search: "LAPTOP" })).items.map((t) => t.id)).toEqual([a1.id]);
      expect((await ops.admin.tokens.list({ search: "%" })).total).toBe(0);

      const revoked = await ops.admin.tokens.revoke({ id: b1.id });
      expect(revoked).toMatchObject({ status: "revoked", revokedBy: admin.user.id });
      expect((await ops.admin.tokens.list({ status: "revoked" })).items.map((t) => t.id)).toEqual([b1.id]);
      expect((await ops.admin.tokens.list({ status: "active" })).items.map((t) => t.id)).toEqual([a1.id]);
      rt.clock.advance(91 * DAY);
      expect((await ops.admin.tokens.list({ status: "expired" })).items.map((t) => t.id)).toEqual([a1.id]);
      expect((await audits("token.revoke"))[0]).toMatchObject({ actorId: admin.user.id, targetId: b1.id });
    });

    it("revokes everything of a user", async () => {
      await callerFor(rt, bob.principal).tokens.create({ name: "ci", scopes: ["contacts:read"] });
      const result = await callerFor(rt, admin.principal).admin.users.revokeAll({ id: bob.user.id });
      expect(result).toEqual({ sessionsEnded: 1, tokensRevoked: 1, oauthGrantsRevoked: 0 });
      expect(
        await failure(callerFor(rt, admin.principal).admin.users.revokeAll({ id: "usr_aaaaaaaaaaaaaaaaaaaa" })),
      ).toBe("NOT_FOUND");
      const [entry] = await audits("user.revoke_all");
      expect(entry).toMatchObject({ actorId: admin.user.id, targetId: bob.user.id });
    });
  });

  it("tells the create form the expiry rules and which scopes the caller can grant", async () => {
    const options = await callerFor(rt, alice.principal).tokens.options({});
    expect(options).toMatchObject({
      defaultExpiresInSeconds: 90 * 86_400,
      maxExpiresInSeconds: 365 * 86_400,
      allowNoExpiry: false,
      maxGraceSeconds: 7 * 86_400,
    });
    const grantable = options.scopes.filter((s) => s.grantable).map((s) => s.scope);
    expect(grantable).toEqual(["contacts:read", "contacts:write", "tokens:read", "tokens:write"]);
    expect(options.scopes.find((s) => s.scope === "admin")).toMatchObject({ grantable: false });
    const forAdmin = await callerFor(rt, admin.principal).tokens.options({});
    expect(forAdmin.scopes.every((s) => s.grantable)).toBe(true);
  });

  it("offers the CLI the same functions", async () => {
    const cli = {
      db: rt.db,
      clock: rt.clock,
      actor: CLI_ACTOR,
      client: { ip: null, userAgent: "cli", requestId: "c" },
    };
    const created = await createToken(cli, bob.user.id, {
      name: "script",
      scopes: ["contacts:read"],
      expiresInMs: DAY,
    });
    expect(created.token).toMatch(/^gth_/);
    expect((await listTokens(cli, { ownerEmail: "bob@example.com" })).items.map((t) => t.id)).toEqual([created.id]);
    expect(await revokeToken(cli, created.id)).toMatchObject({ status: "revoked", revokedBy: "cli" });
    await expect(revokeToken(cli, "tok_aaaaaaaaaaaaaaaaaaaa")).rejects.toThrow(/not found/);
    expect((await audits("token.create"))[0]).toMatchObject({ actorKind: "cli", actorId: null });
  });
});
