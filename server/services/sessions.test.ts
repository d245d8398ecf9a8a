import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { sessions, users } from "@/db/schema";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { createSession, endSession, endUserSessions, listUserSessions, resolveSession } from "./sessions";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const client = { ip: "192.0.2.1", userAgent: "vitest", requestId: "req_test" };

describe("sessions", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;

  const resolve = (id: string) => resolveSession(rt.db, rt.clock, rt.config.session, id);
  const row = (id: string) => rt.db.select().from(sessions).where(eq(sessions.id, id)).get();

  beforeEach(async () => {
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com");
  });

  it("creates a row with the absolute expiry and the client facts", async () => {
    const start = rt.clock.now().getTime();
    const s = await row(alice.session.id);
    expect(s?.userId).toBe(alice.user.id);
    expect(s?.createdAt.getTime()).toBe(start);
    expect(s?.lastSeenAt.getTime()).toBe(start);
    expect(s?.expiresAt.getTime()).toBe(start + 8 * HOUR);
    const other = await rt.db.transaction((tx) =>
      createSession(tx, rt.clock, rt.config.session, alice.user.id, { ...client, userAgent: "u".repeat(2000) }),
    );
    expect((await row(other.id))?.ip).toBe("192.0.2.1");
    expect((await row(other.id))?.userAgent).toHaveLength(512);
    expect(other.id).toMatch(/^ses_[0-9a-z]{20}$/);
  });

  it("resolves a live session to its row and user", async () => {
    const active = await resolve(alice.session.id);
    expect(active?.session.id).toBe(alice.session.id);
    expect(active?.user.id).toBe(alice.user.id);
    expect(await resolve("ses_aaaaaaaaaaaaaaaaaaaa")).toBeNull();
  });

  it("expires after the idle timeout and deletes the row", async () => {
    // Two sessions signed in at the same moment: one checked just before the timeout, one at it.
    const probe = await rt.db.transaction((tx) =>
      createSession(tx, rt.clock, rt.config.session, alice.user.id, client),
    );
    rt.clock.advance(30 * MINUTE - 1);
    expect(await resolve(probe.id)).not.toBeNull();

    rt.clock.advance(1); // alice's session: exactly 30 minutes without a request
    expect(await resolve(alice.session.id)).toBeNull();
    expect(await row(alice.session.id)).toBeUndefined();
    // Once gone, it stays gone.
    expect(await resolve(alice.session.id)).toBeNull();
  });

  it("stays alive while used, and the idle clock restarts at each recorded use", async () => {
    rt.clock.advance(20 * MINUTE);
    expect(await resolve(alice.session.id)).not.toBeNull();
    rt.clock.advance(29 * MINUTE); // 49 minutes after creation, 29 after the last use
    expect(await resolve(alice.session.id)).not.toBeNull();
    rt.clock.advance(30 * MINUTE);
    expect(await resolve(alice.session.id)).toBeNull();
    expect(await row(alice.session.id)).toBeUndefined();
  });

  it("expires at the absolute timeout even when used every 10 minutes", async () => {
    for (let t = 10; t < 8 * 60; t += 10) {
      rt.clock.advance(10 * MINUTE);
      expect(await resolve(alice.session.id), `after ${t} minutes`).not.toBeNull();
    }
    rt.clock.advance(10 * MINUTE); // 8 hours after sign-in
    expect(await resolve(alice.session.id)).toBeNull();
    expect(await row(alice.session.id)).toBeUndefined();
  });

  it("writes last_seen_at at most once per minute", async () => {
    const start = rt.clock.now().getTime();
    rt.clock.advance(30_000);
    expect(await resolve(alice.session.id)).not.toBeNull();
    expect((await row(alice.session.id))?.lastSeenAt.getTime()).toBe(start);

    rt.clock.advance(29_999);
    expect(await resolve(alice.session.id)).not.toBeNull();
    expect((await row(alice.session.id))?.lastSeenAt.getTime()).toBe(start);

    rt.clock.advance(1); // one minute since the last write
    expect(await resolve(alice.session.id)).not.toBeNull();
    expect((await row(alice.session.id))?.lastSeenAt.getTime()).toBe(start + MINUTE);

    rt.clock.advance(59_000);
    expect(await resolve(alice.session.id)).not.toBeNull();
    expect((await row(alice.session.id))?.lastSeenAt.getTime()).toBe(start + MINUTE);

    rt.clock.advance(5 * MINUTE);
    expect(await resolve(alice.session.id)).not.toBeNull();
    expect((await row(alice.session.id))?.lastSeenAt.getTime()).toBe(start + MINUTE + 59_000 + 5 * MINUTE);
  });

  it("refuses the session of a disabled user", async () => {
    await rt.db.update(users).set({ disabledAt: rt.clock.now() }).where(eq(users.id, alice.user.id)).run();
    expect(await resolve(alice.session.id)).toBeNull();
    await rt.db.update(users).set({ disabledAt: null }).where(eq(users.id, alice.user.id)).run();
    expect(await resolve(alice.session.id)).not.toBeNull();
  });

  it("ends one session, or all of a user's but the one kept", async () => {
    const bob = await seedUser(rt, "bob@example.com");
    const second = await rt.db.transaction((tx) =>
      createSession(tx, rt.clock, rt.config.session, alice.user.id, client),
    );
    const third = await rt.db.transaction((tx) =>
      createSession(tx, rt.clock, rt.config.session, alice.user.id, client),
    );
    expect(await listUserSessions(rt.db, alice.user.id)).toHaveLength(3);

    expect(await rt.db.transaction(async (tx) => endSession(tx, third.id))).toBe(true);
    expect(await rt.db.transaction(async (tx) => endSession(tx, third.id))).toBe(false);

    expect(await rt.db.transaction(async (tx) => endUserSessions(tx, alice.user.id, second.id))).toBe(1);
    expect((await listUserSessions(rt.db, alice.user.id)).map((s) => s.id)).toEqual([second.id]);
    expect(await rt.db.transaction(async (tx) => endUserSessions(tx, alice.user.id))).toBe(1);
    expect(await listUserSessions(rt.db, alice.user.id)).toHaveLength(0);
    // Bob is untouched.
    expect(await resolve(bob.session.id)).not.toBeNull();
  });
});
