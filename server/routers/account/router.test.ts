import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, sessions } from "@/db/schema";
import type { Principal } from "../../auth/principal";
import { newId } from "../../ids";
import { createSession, resolveSession } from "../../services/sessions";
import { callerFor, createTestRuntime, failureOf as failure, seedUser, type TestRuntime } from "../../testing/harness";

/** account.sessions / endSession / endOtherSessions: a person's own sessions, and nobody else's. */
describe("account sessions", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let bob: Awaited<ReturnType<typeof seedUser>>;

  const UA_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

  /** Another browser of the same user: a session row of its own, with its own device and address. */
  async function anotherSession(userId: string, ip = "198.51.100.7", userAgent: string | null = UA_FIREFOX) {
    return (
      await rt.db.transaction((tx) =>
        createSession(tx, rt.clock, rt.config.session, userId, { ip, userAgent, requestId: "seed" }),
      )
    ).id;
  }
  const alive = async (sessionId: string) =>
    (await resolveSession(rt.db, rt.clock, rt.config.session, sessionId)) !== null;
  const auditOf = (action: string) => rt.db.select().from(auditLog).where(eq(auditLog.action, action)).all();

  beforeEach(async () => {
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com");
    bob = await seedUser(rt, "bob@example.com", "admin");
  });

  it("lists only the caller's own sessions, the current one marked, most recently used first", async () => {
    rt.clock.advance(1_000);
    const firefox = await anotherSession(alice.user.id);
    await anotherSession(bob.user.id, "203.0.113.50");
    rt.clock.advance(120_000);
    // The current session is used now: it moves to the top.
    expect(await alive(alice.principal.sessionId as string)).toBe(true);
    const list = await callerFor(rt, alice.principal).account.sessions();
    expect(list.map((s) => [s.id, s.current])).toEqual([
      [alice.principal.sessionId, true],
      [firefox, false],
    ]);
    expect(list[1]).toMatchObject({ ip: "198.51.100.7", userAgent: UA_FIREFOX });
    for (const s of list) {
      for (const t of [s.createdAt, s.lastSeenAt, s.expiresAt]) expect(new Date(t).toISOString()).toBe(t);
    }
    expect(JSON.stringify(list)).not.toContain("203.0.113.50");
  });

  it("leaves out sessions past their absolute limit", async () => {
    const old = await anotherSession(alice.user.id);
    await rt.db
      .update(sessions)
      .set({ expiresAt: new Date(rt.clock.now().getTime() - 1) })
      .where(eq(sessions.id, old))
      .run();
    const ids = (await callerFor(rt, alice.principal).account.sessions()).map((s) => s.id);
    expect(ids).toEqual([alice.principal.sessionId]);
  });

  it("ends another session of the caller's, audited, and that browser is signed out", async () => {
    const firefox = await anotherSession(alice.user.id);
    const result = await callerFor(rt, alice.principal).account.endSession({ id: firefox });
    expect(result).toEqual({ ended: true, current: false });
    expect(await alive(firefox)).toBe(false);
    expect(await alive(alice.principal.sessionId as string)).toBe(true);
    const [entry] = await auditOf("session.end");
    expect(entry).toMatchObject({ actorId: alice.user.id, targetType: "user", targetId: alice.user.id });
    expect(entry?.detail).toMatchObject({ sessionId: firefox, sessionsEnded: 1 });
  });

  it("ending the current session signs the caller out", async () => {
    const current = alice.principal.sessionId as string;
    expect(await callerFor(rt, alice.principal).account.endSession({ id: current })).toEqual({
      ended: true,
      current: true,
    });
    expect(await alive(current)).toBe(false);
  });

  it("another user's session, a made-up id or one already ended: the same 404, and nothing ends", async () => {
    const bobs = await anotherSession(bob.user.id);
    const caller = callerFor(rt, alice.principal);
    for (const id of [bobs, bob.principal.sessionId as string, newId("session"), "ses_", "x", `${bobs} `]) {
      expect(await failure(caller.account.endSession({ id })), id).toBe("NOT_FOUND");
    }
    const mine = await anotherSession(alice.user.id);
    await caller.account.endSession({ id: mine });
    expect(await failure(caller.account.endSession({ id: mine }))).toBe("NOT_FOUND");
    expect(await alive(bobs)).toBe(true);
    expect(await alive(bob.principal.sessionId as string)).toBe(true);
    expect(await auditOf("session.end")).toHaveLength(1);
  });

  it("refuses inputs that are not one id", async () => {
    const caller = callerFor(rt, alice.principal);
    for (const input of [{}, { id: "" }, { id: 7 }, { id: "a".repeat(65) }, { id: "x", userId: bob.user.id }]) {
      expect(await failure(caller.account.endSession(input as { id: string })), JSON.stringify(input)).toMatch(
        /^BAD_REQUEST/,
      );
    }
  });

  it("ends every other session of the caller's, keeps the current one and other users', audited", async () => {
    const a = await anotherSession(alice.user.id);
    const b = await anotherSession(alice.user.id, "198.51.100.8", null);
    const bobs = await anotherSession(bob.user.id);
    const caller = callerFor(rt, alice.principal);
    expect(await caller.account.endOtherSessions()).toEqual({ ended: 2 });
    expect([
      await alive(a),
      await alive(b),
      await alive(alice.principal.sessionId as string),
      await alive(bobs),
    ]).toEqual([false, false, true, true]);
    expect((await caller.account.sessions()).map((s) => s.id)).toEqual([alice.principal.sessionId]);
    expect(await caller.account.endOtherSessions()).toEqual({ ended: 0 });
    const entries = await auditOf("session.end_others");
    expect(entries.map((e) => [e.actorId, e.targetId, (e.detail as { sessionsEnded: number }).sessionsEnded])).toEqual([
      [alice.user.id, alice.user.id, 2],
      [alice.user.id, alice.user.id, 0],
    ]);
  });

  it("is for signed-in people only: no session -> 401, an API token with every scope -> session_required", async () => {
    const anon = callerFor(rt, null);
    expect(await failure(anon.account.sessions())).toBe("UNAUTHORIZED:missing_credentials");
    expect(await failure(anon.account.endSession({ id: alice.principal.sessionId as string }))).toBe(
      "UNAUTHORIZED:missing_credentials",
    );
    expect(await failure(anon.account.endOtherSessions())).toBe("UNAUTHORIZED:missing_credentials");
    const token: Principal = {
      kind: "token",
      tokenId: newId("token"),
      userId: alice.user.id,
      email: alice.user.email,
      role: "member",
      scopes: ["contacts:read", "contacts:write", "tokens:read", "tokens:write"],
      mustChangePassword: false,
    };
    const viaToken = callerFor(rt, token);
    expect(await failure(viaToken.account.sessions())).toBe("FORBIDDEN:session_required");
    expect(await failure(viaToken.account.endSession({ id: alice.principal.sessionId as string }))).toBe(
      "FORBIDDEN:session_required",
    );
    expect(await failure(viaToken.account.endOtherSessions())).toBe("FORBIDDEN:session_required");
    expect(await alive(alice.principal.sessionId as string)).toBe(true);
  });
});
