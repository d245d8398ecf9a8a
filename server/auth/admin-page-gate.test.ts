import { eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { beforeEach, describe, expect, it } from "vitest";
import { sessions, users } from "@/db/schema";
import { newId } from "../ids";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { adminPageVerdict, isAdminPagePath } from "./admin-page-gate";
import { sessionCookieName } from "./session-cookie";

describe("isAdminPagePath (which requests proxy.ts checks for an admin session)", () => {
  it.each([
    "/admin",
    "/admin/",
    "/admin/users",
    "/admin/audit/anything/deeper",
    "/admin.rsc",
    "/admin/users.rsc",
    "/admin.segments/_tree.segment.rsc",
    "//admin/users",
    "/Admin/users",
    "/ADMIN",
    "/%61dmin/users",
    "/admin%2Fusers",
    "/admin\\users",
  ])("%s is an admin path", (path) => {
    expect(isAdminPagePath(path)).toBe(true);
  });

  it.each(["/", "/contacts", "/administrator", "/api/admin/audit/export", "/signin", "/x/admin", "/%E0%A4%A"])(
    "%s is not",
    (path) => {
      expect(isAdminPagePath(path)).toBe(false);
    },
  );
});

describe("adminPageVerdict (what proxy.ts does with an admin page request)", () => {
  let rt: TestRuntime;
  const name = sessionCookieName(false);
  const cookie = async (sid: string, sub: string, secret = rt.config.authSecret) =>
    new Headers({ cookie: `${name}=${await encode({ token: { sid, sub }, secret, salt: name, maxAge: 3600 })}` });
  const verdict = (headers: Headers) => adminPageVerdict(headers, rt);

  beforeEach(() => {
    rt = createTestRuntime();
  });

  it("no live session of any kind: sign in (no cookie, garbage, another secret, ended, expired, disabled)", async () => {
    const admin = await seedUser(rt, "admin@example.com", "admin");
    const sid = admin.principal.sessionId as string;
    expect(await verdict(new Headers())).toBe("sign-in");
    expect(await verdict(new Headers({ cookie: `${name}=not-a-jwt` }))).toBe("sign-in");
    expect(await verdict(new Headers({ cookie: `__Host-${name}=x; other=1` }))).toBe("sign-in");
    expect(await verdict(await cookie(sid, admin.user.id, "another-secret-".repeat(3)))).toBe("sign-in");
    expect(await verdict(await cookie(newId("session"), admin.user.id))).toBe("sign-in");

    const live = await cookie(sid, admin.user.id);
    expect(await verdict(live)).toBe("admin");
    rt.clock.advance(rt.config.session.idleMs);
    expect(await verdict(live)).toBe("sign-in");

    const again = await seedUser(rt, "admin2@example.com", "admin");
    const second = await cookie(again.principal.sessionId as string, again.user.id);
    expect(await verdict(second)).toBe("admin");
    await rt.db.update(users).set({ disabledAt: rt.clock.now() }).where(eq(users.id, again.user.id)).run();
    expect(await verdict(second)).toBe("sign-in");

    const third = await seedUser(rt, "admin3@example.com", "admin");
    const ended = await cookie(third.principal.sessionId as string, third.user.id);
    await rt.db
      .delete(sessions)
      .where(eq(sessions.id, third.principal.sessionId as string))
      .run();
    expect(await verdict(ended)).toBe("sign-in");
  });

  it("a signed-in member: not found, as if admin pages did not exist", async () => {
    const member = await seedUser(rt, "member@example.com", "member");
    expect(await verdict(await cookie(member.principal.sessionId as string, member.user.id))).toBe("not-found");
  });

  it("an admin with a one-time password: change it first", async () => {
    const admin = await seedUser(rt, "otp@example.com", "admin");
    await rt.db.update(users).set({ mustChangePassword: true }).where(eq(users.id, admin.user.id)).run();
    expect(await verdict(await cookie(admin.principal.sessionId as string, admin.user.id))).toBe("change-password");
  });

  it("an admin without a second factor (ADMIN_2FA=required): enrol first; optional: pass; with one: pass", async () => {
    const bare = await seedUser(rt, "bare@example.com", "admin", undefined, { secondFactor: false });
    const bareCookie = await cookie(bare.principal.sessionId as string, bare.user.id);
    expect(await verdict(bareCookie)).toBe("enrol-second-factor");
    expect(
      await adminPageVerdict(bareCookie, { ...rt, config: { ...rt.config, secondFactors: { admin: "optional" } } }),
    ).toBe("admin");
    const enrolled = await seedUser(rt, "enrolled@example.com", "admin");
    expect(await verdict(await cookie(enrolled.principal.sessionId as string, enrolled.user.id))).toBe("admin");
    // A one-time password still comes first.
    await rt.db.update(users).set({ mustChangePassword: true }).where(eq(users.id, bare.user.id)).run();
    expect(await verdict(bareCookie)).toBe("change-password");
  });
});
