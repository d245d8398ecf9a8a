import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, sessions, users } from "@/db/schema";
import { resolveSession } from "../services/sessions";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { signInWithPassword, signOutSession } from "./sign-in";

const PASSWORD = "correct horse battery staple";
const client = { ip: "198.51.100.7", userAgent: "vitest-browser", requestId: "req_signin_test" };

describe("signInWithPassword", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;

  const auditRows = (action: string) => rt.db.select().from(auditLog).where(eq(auditLog.action, action)).all();
  const sessionsOf = (userId: string) => rt.db.select().from(sessions).where(eq(sessions.userId, userId)).all();

  beforeEach(async () => {
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com", "member", PASSWORD);
  });

  it("on success creates a live session row and audits session.login", async () => {
    const before = (await sessionsOf(alice.user.id)).length;
    const result = await signInWithPassword(rt, { email: "  Alice@Example.COM ", password: PASSWORD }, client);
    expect(result).not.toBeNull();
    expect(result?.userId).toBe(alice.user.id);
    expect(result?.sessionId).toMatch(/^ses_[0-9a-z]{20}$/);

    expect(await sessionsOf(alice.user.id)).toHaveLength(before + 1);
    const row = await rt.db
      .select()
      .from(sessions)
      .where(eq(sessions.id, result?.sessionId ?? ""))
      .get();
    expect(row).toMatchObject({ userId: alice.user.id, ip: client.ip, userAgent: client.userAgent });
    expect((await resolveSession(rt.db, rt.clock, rt.config.session, result?.sessionId ?? ""))?.user.id).toBe(
      alice.user.id,
    );

    const [entry, ...more] = await auditRows("session.login");
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({
      actorKind: "user",
      actorId: alice.user.id,
      targetType: "session",
      targetId: result?.sessionId,
      outcome: "success",
      ip: client.ip,
      userAgent: client.userAgent,
      requestId: client.requestId,
    });
    expect(await auditRows("session.login_failed")).toHaveLength(0);
  });

  const failures: Array<[string, () => Record<string, unknown>, string, boolean]> = [
    ["an unknown email", () => ({ email: "nobody@example.com", password: PASSWORD }), "unknown_user", false],
    ["a wrong password", () => ({ email: "alice@example.com", password: `${PASSWORD}!` }), "wrong_password", true],
    [
      "a disabled user with the right password",
      () => ({ email: "alice@example.com", password: PASSWORD }),
      "disabled",
      true,
    ],
  ];

  for (const [label, credentials, reason, knownUser] of failures) {
    it(`refuses ${label}: null, no session, and session.login_failed with outcome failure`, async () => {
      if (reason === "disabled") {
        await rt.db.update(users).set({ disabledAt: rt.clock.now() }).where(eq(users.id, alice.user.id)).run();
      }
      const before = (await rt.db.select().from(sessions).all()).length;
      expect(await signInWithPassword(rt, credentials(), client)).toBeNull();
      expect(await rt.db.select().from(sessions).all()).toHaveLength(before);
      expect(await auditRows("session.login")).toHaveLength(0);

      const [entry, ...more] = await auditRows("session.login_failed");
      expect(more).toHaveLength(0);
      expect(entry).toMatchObject({
        outcome: "failure",
        actorKind: knownUser ? "user" : "anonymous",
        actorId: knownUser ? alice.user.id : null,
        targetId: knownUser ? alice.user.id : null,
        ip: client.ip,
        requestId: client.requestId,
      });
      expect(entry?.detail).toMatchObject({ reason });
    });
  }

  it("refuses malformed credentials without throwing, and audits them", async () => {
    for (const credentials of [
      null,
      "alice@example.com",
      {},
      { email: "alice@example.com" },
      { email: "", password: "x" },
    ]) {
      expect(await signInWithPassword(rt, credentials, client)).toBeNull();
    }
    const failed = await auditRows("session.login_failed");
    expect(failed).toHaveLength(5);
    expect(failed.every((r) => r.outcome === "failure")).toBe(true);
  });

  it("never writes a password, right or wrong, or the hash into the audit table", async () => {
    const wrong = "a-wrong-password-42";
    await signInWithPassword(rt, { email: "alice@example.com", password: wrong }, client);
    await signInWithPassword(rt, { email: "nobody@example.com", password: wrong }, client);
    await signInWithPassword(rt, { email: "alice@example.com", password: PASSWORD }, client);
    const hash = (await rt.db.select().from(users).where(eq(users.id, alice.user.id)).get())?.passwordHash ?? "";
    expect(hash).toMatch(/^\$argon2id\$/);

    const dump = JSON.stringify(await rt.db.select().from(auditLog).all());
    expect(dump).toContain("session.login_failed");
    expect(dump).toContain("session.login");
    expect(dump).not.toContain(PASSWORD);
    expect(dump).not.toContain(wrong);
    expect(dump).not.toContain(hash);
    expect(dump).not.toContain("$argon2");
  });

  it("signs out by deleting the row, auditing session.logout once", async () => {
    const result = await signInWithPassword(rt, { email: "alice@example.com", password: PASSWORD }, client);
    const sessionId = result?.sessionId ?? "";
    await signOutSession(rt, sessionId, alice.user.id, client);
    expect(await resolveSession(rt.db, rt.clock, rt.config.session, sessionId)).toBeNull();
    await signOutSession(rt, sessionId, alice.user.id, client); // already gone: nothing to record
    const logouts = await auditRows("session.logout");
    expect(logouts).toHaveLength(1);
    expect(logouts[0]).toMatchObject({ actorId: alice.user.id, targetId: sessionId, outcome: "success" });
  });
});
