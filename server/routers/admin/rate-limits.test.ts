import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, rateLimitOverrides } from "@/db/schema";
import type { Principal } from "../../auth/principal";
import { attemptSignIn } from "../../auth/sign-in";
import { createContextInner } from "../../context";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../../ratelimit/config";
import { limiterFor } from "../../ratelimit/runtime";
import { createCaller } from "../../root";
import { SYSTEM_ACTOR } from "../../services/audit";
import { createToken, revokeToken } from "../../services/tokens";
import { createTestRuntime, ON_POSTGRES, seedUser, type TestRuntime } from "../../testing/harness";

const PASSWORD = "correct horse battery staple";

describe("admin.rateLimits and rateLimits.tokens", () => {
  let rt: TestRuntime;
  let admin: Awaited<ReturnType<typeof seedUser>>;
  let member: Awaited<ReturnType<typeof seedUser>>;
  const svc = () => ({
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "t" },
  });
  const as = (principal: Principal) =>
    createCaller(createContextInner({ db: rt.db, clock: rt.clock, principal, limiter: limiterFor(rt) }));
  const audit = (action: string) => rt.db.select().from(auditLog).where(eq(auditLog.action, action)).all();

  beforeEach(async () => {
    rt = createTestRuntime({
      rateLimit: {
        ...DEFAULT_RATE_LIMIT_CONFIG,
        api: { limit: 250, windowMs: 60_000 },
        signin: { limit: 2, windowMs: 900_000 },
      },
    });
    admin = await seedUser(rt, "admin@example.com", "admin", PASSWORD);
    member = await seedUser(rt, "member@example.com", "member", PASSWORD);
  });

  it("is for administrators only", async () => {
    const m = as(member.principal);
    for (const call of [
      () => m.admin.rateLimits.overview(),
      () => m.admin.rateLimits.overrides(),
      () => m.admin.rateLimits.activity(),
      () => m.admin.rateLimits.unlock({ email: "admin@example.com" }),
      () =>
        m.admin.rateLimits.setOverride({
          target: { type: "user", email: "member@example.com" },
          limit: 9,
          windowSeconds: 60,
        }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    expect(await rt.db.select().from(rateLimitOverrides).all()).toHaveLength(0);
  });

  it("shows every policy with its current value, the store and its health", async () => {
    const overview = await as(admin.principal).admin.rateLimits.overview();
    // Without Redis: the embedded store on SQLite, the PostgreSQL-backed one on PostgreSQL.
    expect(overview.store).toMatchObject({ kind: ON_POSTGRES ? "postgres" : "embedded", ok: true });
    expect(overview.policies.find((p) => p.name === "api")).toMatchObject({
      limit: 250,
      windowSeconds: 60,
      env: "RATE_LIMIT_API",
    });
    expect(overview.policies.find((p) => p.name === "signin-account")).toMatchObject({
      limit: 2,
      onStoreFailure: "closed",
    });
    expect(overview.procedures).toContainEqual({ path: "tokens.create", cost: 1, sensitive: true });
  });

  it("sets, replaces and removes overrides, each audited", async () => {
    const a = as(admin.principal).admin.rateLimits;
    const first = await a.setOverride({
      target: { type: "user", email: "MEMBER@example.com" },
      limit: 5000,
      windowSeconds: 60,
      expiresInSeconds: 86_400,
      note: "load test",
    });
    expect(first).toMatchObject({
      subject: { type: "user", id: member.user.id, label: "member@example.com" },
      limit: 5000,
    });
    const second = await a.setOverride({
      target: { type: "user", email: "member@example.com" },
      limit: 10,
      windowSeconds: 3600,
    });
    expect(second.id).toBe(first.id);
    expect((await a.overrides()).items).toEqual([
      expect.objectContaining({ id: first.id, limit: 10, windowSeconds: 3600, expiresAt: null }),
    ]);

    const set = await audit("ratelimit.override_set");
    expect(set).toHaveLength(2);
    expect(set[0]).toMatchObject({ actorId: admin.user.id, targetType: "user", targetId: member.user.id });
    expect(set[1]?.detail).toMatchObject({ limit: 10, window: "1h", previous: { limit: 5000, window: "1m" } });

    await a.removeOverride({ id: first.id });
    expect((await a.overrides()).items).toEqual([]);
    expect(await audit("ratelimit.override_remove")).toHaveLength(1);
    await expect(a.removeOverride({ id: first.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses bad overrides with the field named, and changes nothing", async () => {
    const a = as(admin.principal).admin.rateLimits;
    await expect(
      a.setOverride({ target: { type: "user", email: "nobody@example.com" }, limit: 5, windowSeconds: 60 }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      a.setOverride({ target: { type: "user", email: "member@example.com" }, limit: 0, windowSeconds: 60 }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      a.setOverride({ target: { type: "user", email: "member@example.com" }, limit: 5, windowSeconds: 10 * 86_400 }),
    ).rejects.toBeInstanceOf(TRPCError);
    const token = await createToken(svc(), member.user.id, { name: "t", scopes: ["contacts:read"] });
    await revokeToken(svc(), token.id);
    await expect(
      a.setOverride({ target: { type: "token", id: token.id }, limit: 5, windowSeconds: 60 }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await rt.db.select().from(rateLimitOverrides).all()).toHaveLength(0);
    expect(await audit("ratelimit.override_set")).toHaveLength(0);
  });

  it("lists lockouts by email and clears one from the list, audited", async () => {
    const client = { ip: "203.0.113.5", userAgent: null, requestId: "r" };
    for (let i = 0; i < 2; i++)
      await attemptSignIn(rt, { email: "member@example.com", password: "wrong wrong wrong" }, client);
    expect(await attemptSignIn(rt, { email: "member@example.com", password: PASSWORD }, client)).toMatchObject({
      reason: "locked",
    });

    const a = as(admin.principal).admin.rateLimits;
    const activity = await a.activity();
    const lock = activity.lockouts.find((l) => l.kind === "account");
    expect(lock).toMatchObject({ label: "member@example.com", id: member.user.id, level: 1 });
    expect(activity.top).toContainEqual(
      expect.objectContaining({ kind: "account", label: "member@example.com", count: 1 }),
    );

    expect(await a.unlock({ subject: lock?.subject ?? "" })).toMatchObject({ cleared: true });
    expect((await a.activity()).lockouts.filter((l) => l.kind === "account")).toEqual([]);
    expect(await attemptSignIn(rt, { email: "member@example.com", password: PASSWORD }, client)).toMatchObject({
      ok: true,
    });
    expect((await audit("ratelimit.unlock"))[0]).toMatchObject({ actorId: admin.user.id, targetId: member.user.id });
    await expect(a.unlock({ subject: "user:whatever" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("tells each token's effective limit: the token's override, else its owner's, else the default", async () => {
    const t1 = await createToken(svc(), member.user.id, { name: "one", scopes: ["contacts:read"] });
    const t2 = await createToken(svc(), member.user.id, { name: "two", scopes: ["contacts:read"] });
    const a = as(admin.principal).admin.rateLimits;
    const byToken = async () =>
      Object.fromEntries((await as(member.principal).rateLimits.tokens({})).items.map((i) => [i.tokenId, i]));

    expect((await byToken())[t1.id]).toMatchObject({ limit: 250, windowSeconds: 60, source: "default" });
    await a.setOverride({ target: { type: "user", email: "member@example.com" }, limit: 40, windowSeconds: 60 });
    await a.setOverride({ target: { type: "token", id: t2.id }, limit: 7, windowSeconds: 1, expiresInSeconds: 3600 });
    const limits = await byToken();
    expect(limits[t1.id]).toMatchObject({ limit: 40, source: "user", overrideExpiresAt: null });
    expect(limits[t2.id]).toMatchObject({ limit: 7, windowSeconds: 1, source: "token" });
    expect(limits[t2.id]?.overrideExpiresAt).not.toBeNull();

    // The admin view of the same user agrees; another user's tokens are not in the member's list.
    const adminView = await a.tokenLimits({ userId: member.user.id });
    expect(adminView.items).toHaveLength(2);
    await createToken(svc(), admin.user.id, { name: "admin's", scopes: ["contacts:read"] });
    expect((await as(member.principal).rateLimits.tokens({})).items).toHaveLength(2);
  });
});
