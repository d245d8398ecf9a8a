import { eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { beforeEach, describe, expect, it } from "vitest";
import { sessions } from "@/db/schema";
import { SYSTEM_ACTOR } from "../services/audit";
import { createSession } from "../services/sessions";
import { endSessionsOfUser, setUserDisabled, setUserPassword } from "../services/users";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { sessionCookieName } from "./session-cookie";
import { SIGN_IN_REASONS, signInReasonFromCookie, signInReasonHint } from "./sign-in-reason";

describe("signInReasonHint (the URL's ?reason=: a key of a fixed table, never echoed)", () => {
  it.each(Object.keys(SIGN_IN_REASONS))("%s picks its line", (key) => {
    expect(signInReasonHint(key)).toBe(key);
    expect(signInReasonHint([key, "other"])).toBe(key);
  });
  it.each([
    undefined,
    null,
    "",
    "Expired",
    "expired ",
    "<b>hi</b>",
    "toString",
    "__proto__",
    "constructor",
    "hasOwnProperty",
    ["nope", "expired"],
    42,
  ])("%s says nothing", (value) => {
    expect(signInReasonHint(value)).toBeNull();
  });
});

describe("signInReasonFromCookie (what the holder of a dead session's cookie is told)", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  const name = sessionCookieName(false);
  const svc = (actor = SYSTEM_ACTOR) => ({
    db: rt.db,
    clock: rt.clock,
    actor,
    client: { ip: null, userAgent: null, requestId: "t" },
  });

  /** A cookie as NextAuth writes it (iat: now, on the real clock, like the runtime's). */
  async function cookieFor(sid: string, sub: string | undefined = alice.user.id, secret = rt.config.authSecret) {
    const token = await encode({ token: { sid, sub }, secret, salt: name, maxAge: 3600 });
    return new Headers({ cookie: `other=1; ${name}=${token}` });
  }
  const reasonOf = (headers: Headers) => signInReasonFromCookie(headers, rt);

  beforeEach(async () => {
    rt = createTestRuntime();
    // The cookie's iat comes from the real clock; the audit trail's times from the runtime's.
    rt.clock.set(Date.now());
    alice = await seedUser(rt, "alice@example.com");
  });

  it("says nothing without a cookie, with one that does not decode, or for a live session", async () => {
    expect(await reasonOf(new Headers())).toBeNull();
    expect(await reasonOf(new Headers({ cookie: `${name}=garbage` }))).toBeNull();
    expect(
      await reasonOf(await cookieFor(alice.principal.sessionId as string, alice.user.id, "another-secret-".repeat(3))),
    ).toBeNull();
    expect(await reasonOf(await cookieFor(alice.principal.sessionId as string))).toBeNull();
  });

  it("a session past its idle or absolute limit, or removed as such: expired", async () => {
    const sid = alice.principal.sessionId as string;
    const headers = await cookieFor(sid);
    rt.clock.advance(rt.config.session.idleMs);
    expect(await reasonOf(headers)).toBe("expired");
    rt.clock.set(Date.now());
    await rt.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1) })
      .where(eq(sessions.id, sid))
      .run();
    expect(await reasonOf(headers)).toBe("expired");
    // Gone without an audited ending: resolveSession removed it as expired.
    await rt.db.delete(sessions).where(eq(sessions.id, sid)).run();
    expect(await reasonOf(headers)).toBe("expired");
  });

  it("ended by an administrator (all, this one, disabled): ended", async () => {
    const admin = await seedUser(rt, "admin@example.com", "admin");
    const asAdmin = { kind: "user" as const, id: admin.user.id };
    for (const end of [
      () => endSessionsOfUser(svc(asAdmin), alice.user.id),
      (sid: string) => endSessionsOfUser(svc(asAdmin), alice.user.id, sid),
      () => setUserDisabled(svc(asAdmin), alice.user.id, true),
    ]) {
      await setUserDisabled(svc(asAdmin), alice.user.id, false);
      const fresh = await seedUser(rt, `a${Math.random()}@example.com`);
      const sid = fresh.principal.sessionId as string;
      const headers = await cookieFor(sid, fresh.user.id);
      alice = fresh;
      await end(sid);
      expect(await reasonOf(headers)).toBe("ended");
    }
  });

  it("another session of the same user ended by id says nothing about this one", async () => {
    const admin = await seedUser(rt, "admin@example.com", "admin");
    const other = (
      await rt.db.transaction((tx) =>
        createSession(tx, rt.clock, rt.config.session, alice.user.id, { ip: null, userAgent: null, requestId: "t" }),
      )
    ).id;
    const mine = alice.principal.sessionId as string;
    const headers = await cookieFor(mine);
    await endSessionsOfUser(svc({ kind: "user", id: admin.user.id }), alice.user.id, other);
    expect(await reasonOf(headers)).toBeNull();
    // This one then goes without an audited ending of its own (removed as expired).
    await rt.db.delete(sessions).where(eq(sessions.id, mine)).run();
    expect(await reasonOf(headers)).toBe("expired");
  });

  it("ended by the user from another session: ended_elsewhere; a password change or reset: password_changed", async () => {
    const sid = alice.principal.sessionId as string;
    const headers = await cookieFor(sid);
    await endSessionsOfUser(svc({ kind: "user", id: alice.user.id }), alice.user.id);
    expect(await reasonOf(headers)).toBe("ended_elsewhere");

    const bob = await seedUser(rt, "bob@example.com");
    const bobHeaders = await cookieFor(bob.principal.sessionId as string, bob.user.id);
    await setUserPassword(svc(), bob.user.id, "an entirely new passphrase 42");
    expect(await reasonOf(bobHeaders)).toBe("password_changed");
  });

  it("an ending recorded before the session began says nothing about it", async () => {
    const admin = await seedUser(rt, "admin@example.com", "admin");
    await endSessionsOfUser(svc({ kind: "user", id: admin.user.id }), alice.user.id);
    rt.clock.advance(5_000);
    const fresh = await rt.db.transaction((tx) =>
      // A later session of the same user, then removed without an audited ending (expiry).
      tx
        .insert(sessions)
        .values({
          id: "ses_later",
          userId: alice.user.id,
          createdAt: rt.clock.now(),
          lastSeenAt: rt.clock.now(),
          expiresAt: new Date(rt.clock.now().getTime() + 60000),
          ip: null,
          userAgent: null,
        })
        .run(),
    );
    expect(fresh.changes).toBe(1);
    await new Promise((r) => setTimeout(r, 2_100)); // the cookie's iat (seconds) after the ending
    const headers = await cookieFor("ses_later");
    await rt.db.delete(sessions).where(eq(sessions.id, "ses_later")).run();
    expect(await reasonOf(headers)).toBe("expired");
  });
});
