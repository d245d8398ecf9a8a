import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, sessions, users } from "@/db/schema";
import { verifyPassword } from "../auth/password";
import { AppError, appErrorOf } from "../errors";
import { callerFor, codeOf, createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import type { ServiceContext } from "./context";
import { encodeSortedCursor } from "./page-cursor";
import { createSession, resolveSession } from "./sessions";
import {
  changeOwnPassword,
  createUser,
  endSessionsOfUser,
  getUserRow,
  setUserDisabled,
  setUserPassword,
  setUserRole,
} from "./users";

const ADMIN_PASSWORD = "root password for tests";
const ALICE_PASSWORD = "alice password for tests";
const client = { ip: "192.0.2.44", userAgent: "vitest", requestId: "req_users_test" };

/** The error a promise or a function rejects with; fails the test when it succeeds. */
async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("users service", () => {
  let rt: TestRuntime;
  let root: Awaited<ReturnType<typeof seedUser>>;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let svc: ServiceContext;

  const auditRows = (action?: string) =>
    rt.db
      .select()
      .from(auditLog)
      .where(action ? eq(auditLog.action, action) : undefined)
      .all();
  const sessionsOf = (userId: string) => rt.db.select().from(sessions).where(eq(sessions.userId, userId)).all();
  const newSession = (userId: string) =>
    rt.db.transaction((tx) => createSession(tx, rt.clock, rt.config.session, userId, client));
  const alive = async (sessionId: string) =>
    (await resolveSession(rt.db, rt.clock, rt.config.session, sessionId)) !== null;

  beforeEach(async () => {
    rt = createTestRuntime();
    root = await seedUser(rt, "root@example.com", "admin", ADMIN_PASSWORD);
    alice = await seedUser(rt, "alice@example.com", "member", ALICE_PASSWORD);
    svc = { db: rt.db, clock: rt.clock, actor: { kind: "user", id: root.user.id }, client };
  });

  describe("createUser", () => {
    it("stores a normalized email and an argon2id hash, and audits user.create with the actor", async () => {
      const created = await createUser(svc, {
        email: "  Bob@Example.COM ",
        role: "member",
        password: "bob password 123",
      });
      expect(created).toMatchObject({ email: "bob@example.com", role: "member", disabled: false, activeSessions: 0 });
      const row = await getUserRow(rt.db, created.id);
      expect(row.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await verifyPassword(row.passwordHash, "bob password 123")).toBe(true);

      const [entry, ...more] = (await auditRows("user.create")).filter((r) => r.targetId === created.id);
      expect(more).toHaveLength(0);
      expect(entry).toMatchObject({
        actorKind: "user",
        actorId: root.user.id,
        targetType: "user",
        outcome: "success",
        ip: client.ip,
        requestId: client.requestId,
        detail: { email: "bob@example.com", role: "member" },
      });
    });

    it("refuses a duplicate email, whatever its case, with CONFLICT email_taken and writes nothing", async () => {
      const auditBefore = (await auditRows()).length;
      for (const email of ["alice@example.com", "ALICE@example.com", " Alice@Example.Com "]) {
        const error = await errorOf(() => createUser(svc, { email, role: "member", password: "another password" }));
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe("CONFLICT");
        expect((error as AppError).reason).toBe("email_taken");
      }
      expect(await rt.db.select().from(users).where(eq(users.email, "alice@example.com")).all()).toHaveLength(1);
      expect(await rt.db.select().from(users).all()).toHaveLength(2);
      expect(await auditRows()).toHaveLength(auditBefore);
    });
  });

  describe("the last active admin", () => {
    it("can be neither disabled nor demoted (CONFLICT last_admin), and nothing changes", async () => {
      const auditBefore = (await auditRows()).length;
      for (const run of [
        () => setUserDisabled(svc, root.user.id, true),
        () => setUserRole(svc, root.user.id, "member"),
      ]) {
        const error = await errorOf(run);
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe("CONFLICT");
        expect((error as AppError).reason).toBe("last_admin");
      }
      const row = await getUserRow(rt.db, root.user.id);
      expect(row.role).toBe("admin");
      expect(row.disabledAt).toBeNull();
      expect(await alive(root.session.id)).toBe(true);
      expect(await auditRows()).toHaveLength(auditBefore);
    });

    it("does not count a disabled admin as another admin", async () => {
      const spare = await seedUser(rt, "spare@example.com", "admin");
      await setUserDisabled(svc, spare.user.id, true);
      const error = await errorOf(() => setUserRole(svc, root.user.id, "member"));
      expect((error as AppError).reason).toBe("last_admin");
    });

    it("can be disabled or demoted once another active admin exists, with the audit entries", async () => {
      const spare = await seedUser(rt, "spare@example.com", "admin");
      const demoted = await setUserRole(svc, root.user.id, "member");
      expect(demoted.role).toBe("member");
      const [roleEntry] = await auditRows("user.role_change");
      expect(roleEntry).toMatchObject({
        actorKind: "user",
        actorId: root.user.id,
        targetId: root.user.id,
        detail: { from: "admin", to: "member" },
      });
      // Now spare is the last one.
      expect(((await errorOf(() => setUserDisabled(svc, spare.user.id, true))) as AppError).reason).toBe("last_admin");

      await setUserRole(svc, root.user.id, "admin");
      const disabled = await setUserDisabled(svc, spare.user.id, true);
      expect(disabled.disabled).toBe(true);
      expect(await auditRows("user.disable")).toHaveLength(1);
      // Setting the role a user already has changes and records nothing.
      const roleChanges = (await auditRows("user.role_change")).length;
      await setUserRole(svc, root.user.id, "admin");
      expect(await auditRows("user.role_change")).toHaveLength(roleChanges);
    });
  });

  it("disabling a user ends their sessions at once; enabling does not revive them", async () => {
    const second = await newSession(alice.user.id);
    expect(await alive(alice.session.id)).toBe(true);

    const summary = await setUserDisabled(svc, alice.user.id, true);
    expect(summary.disabled).toBe(true);
    expect(await sessionsOf(alice.user.id)).toHaveLength(0);
    expect(await alive(alice.session.id)).toBe(false);
    expect(await alive(second.id)).toBe(false);
    expect(await alive(root.session.id)).toBe(true);
    const [disable] = await auditRows("user.disable");
    expect(disable).toMatchObject({
      actorKind: "user",
      actorId: root.user.id,
      targetType: "user",
      targetId: alice.user.id,
      outcome: "success",
      detail: { sessionsEnded: 2 },
    });

    const enabled = await setUserDisabled(svc, alice.user.id, false);
    expect(enabled.disabled).toBe(false);
    expect(await alive(alice.session.id)).toBe(false);
    const [enable] = await auditRows("user.enable");
    expect(enable).toMatchObject({ actorId: root.user.id, targetId: alice.user.id, outcome: "success" });
  });

  it("an admin setting a password ends every session of the user and audits user.password_reset", async () => {
    const second = await newSession(alice.user.id);
    const summary = await setUserPassword(svc, alice.user.id, "reset by the admin", { mustChange: true });
    expect(summary.mustChangePassword).toBe(true);
    expect(await alive(alice.session.id)).toBe(false);
    expect(await alive(second.id)).toBe(false);
    expect(await sessionsOf(alice.user.id)).toHaveLength(0);

    const row = await getUserRow(rt.db, alice.user.id);
    expect(await verifyPassword(row.passwordHash, "reset by the admin")).toBe(true);
    expect(await verifyPassword(row.passwordHash, ALICE_PASSWORD)).toBe(false);

    const [entry] = await auditRows("user.password_reset");
    expect(entry).toMatchObject({
      actorKind: "user",
      actorId: root.user.id,
      targetId: alice.user.id,
      outcome: "success",
      detail: { sessionsEnded: 2 },
    });

    expect((await setUserPassword(svc, alice.user.id, "reset without forcing")).mustChangePassword).toBe(false);
  });

  describe("changeOwnPassword", () => {
    const aliceSvc = (): ServiceContext => ({ ...svc, actor: { kind: "user", id: alice.user.id } });

    it("requires the right current password, audits the failure and changes nothing", async () => {
      const hashBefore = (await getUserRow(rt.db, alice.user.id)).passwordHash;
      const other = await newSession(alice.user.id);
      const error = await errorOf(async () =>
        changeOwnPassword(aliceSvc(), alice.user.id, alice.session.id, "not my password", "a brand new password"),
      );
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe("BAD_REQUEST");
      expect((error as AppError).reason).toBe("wrong_password");
      expect((await getUserRow(rt.db, alice.user.id)).passwordHash).toBe(hashBefore);
      expect(await alive(other.id)).toBe(true);
      const [entry] = await auditRows("user.password_change");
      expect(entry).toMatchObject({
        actorKind: "user",
        actorId: alice.user.id,
        targetId: alice.user.id,
        outcome: "failure",
        detail: { reason: "wrong_current_password" },
      });
    });

    it("refuses the same password again", async () => {
      const error = await errorOf(async () =>
        changeOwnPassword(aliceSvc(), alice.user.id, alice.session.id, ALICE_PASSWORD, ALICE_PASSWORD),
      );
      expect((error as AppError).reason).toBe("same_password");
    });

    it("keeps the current session, ends the others, clears mustChangePassword and audits the change", async () => {
      await setUserPassword(svc, alice.user.id, "one-time password 1", { mustChange: true });
      const current = await newSession(alice.user.id);
      const other = await newSession(alice.user.id);
      const bobsSession = (await seedUser(rt, "bob@example.com")).session;
      expect((await getUserRow(rt.db, alice.user.id)).mustChangePassword).toBe(true);

      await changeOwnPassword(aliceSvc(), alice.user.id, current.id, "one-time password 1", "my own new password");

      expect(await alive(current.id)).toBe(true);
      expect(await alive(other.id)).toBe(false);
      expect(await alive(bobsSession.id)).toBe(true);
      const row = await getUserRow(rt.db, alice.user.id);
      expect(row.mustChangePassword).toBe(false);
      expect(await verifyPassword(row.passwordHash, "my own new password")).toBe(true);
      const entry = (await auditRows("user.password_change")).find((r) => r.outcome === "success");
      expect(entry).toMatchObject({
        actorKind: "user",
        actorId: alice.user.id,
        targetId: alice.user.id,
        detail: { otherSessionsEnded: 1 },
      });
    });
  });

  it("ends all sessions of a user, or one, auditing session.end_all / session.end", async () => {
    const second = await newSession(alice.user.id);
    const third = await newSession(alice.user.id);
    expect(await endSessionsOfUser(svc, alice.user.id, third.id)).toBe(1);
    expect(await alive(third.id)).toBe(false);
    expect(await alive(second.id)).toBe(true);
    const [one] = await auditRows("session.end");
    expect(one).toMatchObject({ actorId: root.user.id, targetId: alice.user.id, detail: { sessionId: third.id } });

    const missing = await errorOf(() => endSessionsOfUser(svc, alice.user.id, third.id));
    expect((missing as AppError).code).toBe("NOT_FOUND");

    expect(await endSessionsOfUser(svc, alice.user.id)).toBe(2);
    expect(await sessionsOf(alice.user.id)).toHaveLength(0);
    const [all] = await auditRows("session.end_all");
    expect(all).toMatchObject({
      actorKind: "user",
      actorId: root.user.id,
      targetType: "user",
      targetId: alice.user.id,
      outcome: "success",
      detail: { sessionsEnded: 2 },
    });
  });

  it("never writes a password or a password hash into the audit log", async () => {
    const passwords = [
      "bob initial password",
      "bob reset password 1",
      "wrong current password",
      "bob chosen password 2",
      "carol via the router",
      "carol reset via router",
    ];
    const hashes: string[] = [];
    const remember = async (id: string) => hashes.push((await getUserRow(rt.db, id)).passwordHash);

    const bob = await createUser(svc, { email: "bob@example.com", role: "member", password: passwords[0] as string });
    await remember(bob.id);
    await setUserPassword(svc, bob.id, passwords[1] as string, { mustChange: true });
    await remember(bob.id);
    const bobSvc: ServiceContext = { ...svc, actor: { kind: "user", id: bob.id } };
    await errorOf(() => changeOwnPassword(bobSvc, bob.id, null, passwords[2] as string, "whatever password"));
    await changeOwnPassword(bobSvc, bob.id, null, passwords[1] as string, passwords[3] as string);
    await remember(bob.id);
    await setUserDisabled(svc, bob.id, true);
    await setUserDisabled(svc, bob.id, false);
    await endSessionsOfUser(svc, bob.id);

    const api = callerFor(rt, root.principal);
    const carol = await api.admin.users.create({
      email: "carol@example.com",
      role: "member",
      password: passwords[4] as string,
    });
    await remember(carol.id);
    await api.admin.users.setPassword({ id: carol.id, password: passwords[5] as string });
    await remember(carol.id);
    hashes.push(
      (await getUserRow(rt.db, root.user.id)).passwordHash,
      (await getUserRow(rt.db, alice.user.id)).passwordHash,
    );

    const dump = JSON.stringify(await rt.db.select().from(auditLog).all());
    for (const action of ["user.create", "user.password_reset", "user.password_change", "user.disable"]) {
      expect(dump).toContain(action);
    }
    for (const secret of [...passwords, ADMIN_PASSWORD, ALICE_PASSWORD, ...hashes]) {
      expect(dump).not.toContain(secret);
    }
    expect(dump).not.toContain("$argon2");
  });
});

describe("admin routers", () => {
  let rt: TestRuntime;
  let root: Awaited<ReturnType<typeof seedUser>>;
  let alice: Awaited<ReturnType<typeof seedUser>>;

  beforeEach(async () => {
    rt = createTestRuntime();
    root = await seedUser(rt, "root@example.com", "admin", ADMIN_PASSWORD);
    alice = await seedUser(rt, "alice@example.com", "member", ALICE_PASSWORD);
  });

  it("refuses anonymous callers (UNAUTHORIZED) and members (FORBIDDEN) on every admin procedure", async () => {
    const anon = callerFor(rt, null);
    const member = callerFor(rt, alice.principal);
    expect(await codeOf(anon.admin.users.list({}))).toBe("UNAUTHORIZED");
    expect(await codeOf(anon.admin.audit.list({}))).toBe("UNAUTHORIZED");
    expect(await codeOf(member.admin.users.list({}))).toBe("FORBIDDEN");
    expect(await codeOf(member.admin.audit.list({}))).toBe("FORBIDDEN");
    expect(await codeOf(member.admin.users.setRole({ id: alice.user.id, role: "admin" }))).toBe("FORBIDDEN");
    expect(
      await codeOf(member.admin.users.create({ email: "x@example.com", role: "admin", password: "x".repeat(12) })),
    ).toBe("FORBIDDEN");
    expect(await codeOf(member.admin.users.endSessions({ id: root.user.id }))).toBe("FORBIDDEN");
    expect((await getUserRow(rt.db, alice.user.id)).role).toBe("member");
    expect(await rt.db.select().from(users).all()).toHaveLength(2);
    expect(await resolveSession(rt.db, rt.clock, rt.config.session, root.session.id)).not.toBeNull();
  });

  it("counts each user's sessions in the list", async () => {
    await rt.db.transaction((tx) => createSession(tx, rt.clock, rt.config.session, alice.user.id, client));
    const list = await callerFor(rt, root.principal).admin.users.list({});
    const count = (id: string) => list.items.find((u) => u.id === id)?.activeSessions;
    expect(count(alice.user.id)).toBe(2);
    expect(count(root.user.id)).toBe(1);
  });

  it("lists, searches and manages users as an admin, mapping service conflicts to tRPC codes", async () => {
    const api = callerFor(rt, root.principal);
    const all = await api.admin.users.list({});
    expect(all.total).toBe(2);
    expect(all.items.map((u) => u.email)).toEqual(["alice@example.com", "root@example.com"]);
    expect((await api.admin.users.list({ search: "ALI" })).items.map((u) => u.id)).toEqual([alice.user.id]);
    expect((await api.admin.users.list({ search: "%" })).total).toBe(0);

    expect(
      await codeOf(
        api.admin.users.create({ email: "Alice@Example.com", role: "member", password: "conflicting passphrase 12" }),
      ),
    ).toBe("CONFLICT");
    const selfDisable = await errorOf(() => api.admin.users.setDisabled({ id: root.user.id, disabled: true }));
    expect(selfDisable).toBeInstanceOf(TRPCError);
    expect((selfDisable as TRPCError).code).toBe("CONFLICT");
    expect(appErrorOf(selfDisable)?.reason).toBe("last_admin");
    expect(await codeOf(api.admin.users.setRole({ id: root.user.id, role: "member" }))).toBe("CONFLICT");
    expect(await codeOf(api.admin.users.setDisabled({ id: "usr_aaaaaaaaaaaaaaaaaaaa", disabled: true }))).toBe(
      "NOT_FOUND",
    );
    expect(await codeOf(api.admin.users.setDisabled({ id: "nope", disabled: true }))).toBe("BAD_REQUEST");
    expect(
      await codeOf(api.admin.users.create({ email: "short@example.com", role: "member", password: "too short" })),
    ).toBe("BAD_REQUEST");

    const disabled = await api.admin.users.setDisabled({ id: alice.user.id, disabled: true });
    expect(disabled.disabled).toBe(true);
    expect(await resolveSession(rt.db, rt.clock, rt.config.session, alice.session.id)).toBeNull();
    expect((await api.admin.users.sessions({ id: alice.user.id })).items).toEqual([]);

    const entry = await rt.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "user.disable"), eq(auditLog.targetId, alice.user.id)))
      .get();
    expect(entry).toMatchObject({ actorKind: "user", actorId: root.user.id });
  });

  it("lets a user with a one-time password change it and nothing else, keeping the current session", async () => {
    const api = callerFor(rt, root.principal);
    await api.admin.users.setPassword({ id: alice.user.id, password: "one-time password 1" });
    expect((await getUserRow(rt.db, alice.user.id)).mustChangePassword).toBe(true);
    const current = await rt.db.transaction((tx) =>
      createSession(tx, rt.clock, rt.config.session, alice.user.id, client),
    );
    const other = await rt.db.transaction((tx) =>
      createSession(tx, rt.clock, rt.config.session, alice.user.id, client),
    );
    const me = callerFor(rt, { ...alice.principal, sessionId: current.id, mustChangePassword: true });

    expect(await codeOf(me.contacts.list({}))).toBe("FORBIDDEN");
    expect((await me.account.me()).mustChangePassword).toBe(true);
    expect(
      await codeOf(me.account.changePassword({ currentPassword: "wrong", newPassword: "my own new password" })),
    ).toBe("BAD_REQUEST");
    expect(
      await me.account.changePassword({ currentPassword: "one-time password 1", newPassword: "my own new password" }),
    ).toEqual({ ok: true });
    expect((await getUserRow(rt.db, alice.user.id)).mustChangePassword).toBe(false);
    expect(await resolveSession(rt.db, rt.clock, rt.config.session, current.id)).not.toBeNull();
    expect(await resolveSession(rt.db, rt.clock, rt.config.session, other.id)).toBeNull();
  });

  it("filters the audit log by exact action, by area prefix and by actor, and pages with nextCursor", async () => {
    const api = callerFor(rt, root.principal);
    const mine = callerFor(rt, alice.principal);
    for (let i = 0; i < 7; i++) await mine.contacts.create({ name: `C${i}`, email: `c${i}@example.com` });
    const first = await mine.contacts.list({});
    await mine.contacts.update({ id: first.items[0]?.id as string, name: "Changed" });
    await api.admin.users.setDisabled({ id: alice.user.id, disabled: true });

    const creates = await api.admin.audit.list({ action: "contact.create" });
    expect(creates.items).toHaveLength(7);
    expect(creates.items.every((e) => e.action === "contact.create" && e.actorId === alice.user.id)).toBe(true);
    expect(creates.nextCursor).toBeNull();

    const area = await api.admin.audit.list({ action: "contact." });
    expect(area.items.map((e) => e.action).sort()).toEqual([...Array(7).fill("contact.create"), "contact.update"]);

    const userArea = await api.admin.audit.list({ action: "user." });
    expect(new Set(userArea.items.map((e) => e.action))).toEqual(new Set(["user.create", "user.disable"]));

    const byRoot = await api.admin.audit.list({ actorId: root.user.id });
    expect(byRoot.items.map((e) => e.action)).toEqual(["user.disable"]);

    // Pages of 3 over the 8 contact entries: 3 + 3 + 2, newest first, no overlap.
    const seen: number[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    for (;;) {
      const page = await api.admin.audit.list({ action: "contact.", limit: 3, cursor });
      sizes.push(page.items.length);
      seen.push(...page.items.map((e) => e.seq));
      if (page.nextCursor === null) break;
      // Opaque (services/page-cursor.ts): it wraps the seq of the last entry shown, after its order.
      expect(page.nextCursor).toBe(
        encodeSortedCursor({ sort: "seq", direction: "desc" }, [page.items.at(-1)?.seq as number]),
      );
      cursor = page.nextCursor;
    }
    expect(sizes).toEqual([3, 3, 2]);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(8);
    expect(seen).toEqual(area.items.map((e) => e.seq));

    const newest = (await api.admin.audit.list({ limit: 1 })).items[0];
    expect(newest?.action).toBe("user.disable");
    expect(newest?.at).toBe(rt.clock.now().toISOString());

    expect(await codeOf(api.admin.audit.list({ action: "contact%" }))).toBe("BAD_REQUEST");
    expect(await codeOf(api.admin.audit.list({ action: "contact" }))).toBe("BAD_REQUEST");
  });
});
