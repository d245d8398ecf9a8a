import { eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog, sessions } from "@/db/schema";
import { handleRest } from "../http/rest-handler";
import { handleTrpc } from "../http/trpc-handler";
import { setLogger } from "../logger";
import { PEER_STAMP_ENV } from "../security/client-ip";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { createTestRuntime, nextTotpCode, seedUser, type TestRuntime } from "../testing/harness";
import { sessionCookieName } from "./session-cookie";
import { STEP_UP_WINDOW_MS } from "./step-up";

/**
 * The admin gate (ADMIN_2FA) and step-up, on both doors over HTTP: tRPC with
 * the session cookie, REST with an admin's API token (never gated). The
 * requests go through the real handlers and pipeline, as in production.
 */
const STAMP = "step-up-test-stamp";
const ORIGIN = "http://localhost:3000";
let rt: TestRuntime;

beforeAll(() => {
  vi.stubEnv(PEER_STAMP_ENV, STAMP);
  setLogger(undefined);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

async function cookieOf(sessionId: string, userId: string): Promise<string> {
  const name = sessionCookieName(false);
  return `${name}=${await encode({ token: { sid: sessionId, sub: userId }, secret: rt.config.authSecret, salt: name, maxAge: 3600 })}`;
}

const peer = { "x-gatehouse-peer": "203.0.113.60", "x-gatehouse-peer-stamp": STAMP, "x-gatehouse-peer-tls": "0" };

/** A mutation when `input` is given; a query otherwise (lists with `{}`, who-am-I style ones with none). */
async function trpc(cookie: string, procedure: string, input?: unknown): Promise<{ status: number; reason: unknown }> {
  const mutation = input !== undefined;
  const voidQuery = procedure.startsWith("account.");
  const url = mutation
    ? `${ORIGIN}/api/trpc/${procedure}`
    : `${ORIGIN}/api/trpc/${procedure}${voidQuery ? "" : `?input=${encodeURIComponent("{}")}`}`;
  const res = await handleTrpc(
    new Request(url, {
      method: mutation ? "POST" : "GET",
      headers: { ...peer, cookie, origin: ORIGIN, ...(mutation ? { "content-type": "application/json" } : {}) },
      body: mutation ? JSON.stringify(input) : undefined,
    }),
    rt,
  );
  const body = (await res.json()) as { error?: { data?: { reason?: unknown } } };
  return { status: res.status, reason: body.error?.data?.reason ?? null };
}

async function rest(token: string, method: string, path: string, body?: unknown) {
  const res = await handleRest(
    new Request(`${ORIGIN}/api/v1${path}`, {
      method,
      headers: { ...peer, authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }),
    rt,
  );
  return res.status;
}

const adminToken = async (userId: string) =>
  (
    await createToken(
      { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "seed" } },
      userId,
      { name: `admin-${Math.random()}`, scopes: ["admin"] },
    )
  ).token;

beforeEach(() => {
  rt = createTestRuntime();
});

describe("ADMIN_2FA gate", () => {
  it("required (default): an admin session without a factor may only enrol; a member is not held to it", async () => {
    const admin = await seedUser(rt, "bare-admin@example.com", "admin", undefined, { secondFactor: false });
    const cookie = await cookieOf(admin.session.id, admin.user.id);
    expect(await trpc(cookie, "admin.users.list")).toEqual({ status: 403, reason: "second_factor_required" });
    expect(await trpc(cookie, "contacts.list")).toEqual({ status: 403, reason: "second_factor_required" });
    expect((await trpc(cookie, "account.me")).status).toBe(200);
    expect((await trpc(cookie, "account.secondFactors.list")).status).toBe(200);
    expect((await trpc(cookie, "account.secondFactors.startTotp", {})).status).toBe(200);

    const member = await seedUser(rt, "member@example.com", "member");
    expect((await trpc(await cookieOf(member.session.id, member.user.id), "contacts.list")).status).toBe(200);
  });

  it("required: the admin's REST token is not gated; enrolling lifts the gate on the next request", async () => {
    const admin = await seedUser(rt, "bare-admin@example.com", "admin", undefined, { secondFactor: false });
    expect(await rest(await adminToken(admin.user.id), "GET", "/admin/users")).toBe(200);
    const cookie = await cookieOf(admin.session.id, admin.user.id);
    const started = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/account.secondFactors.startTotp`, {
        method: "POST",
        headers: { ...peer, cookie, origin: ORIGIN, "content-type": "application/json" },
        body: "{}",
      }),
      rt,
    );
    const { result } = (await started.json()) as { result: { data: { factorId: string; secret: string } } };
    const code = nextTotpCode(rt, result.data.secret);
    expect(
      (await trpc(cookie, "account.secondFactors.confirmTotp", { factorId: result.data.factorId, code })).status,
    ).toBe(200);
    expect((await trpc(cookie, "admin.users.list")).status).toBe(200);
  });

  it("optional: an admin without a factor may act, and step-up has nothing to ask", async () => {
    rt = createTestRuntime({ secondFactors: { admin: "optional" } });
    const admin = await seedUser(rt, "bare-admin@example.com", "admin", undefined, { secondFactor: false });
    const member = await seedUser(rt, "member@example.com", "member");
    const cookie = await cookieOf(admin.session.id, admin.user.id);
    expect((await trpc(cookie, "admin.users.list")).status).toBe(200);
    expect((await trpc(cookie, "admin.users.setRole", { id: member.user.id, role: "admin" })).status).toBe(200);
  });
});

describe("step-up", () => {
  let admin: Awaited<ReturnType<typeof seedUser>>;
  let member: Awaited<ReturnType<typeof seedUser>>;
  let cookie: string;

  beforeEach(async () => {
    admin = await seedUser(rt, "root@example.com", "admin"); // session checked at seed time
    member = await seedUser(rt, "member@example.com", "member");
    cookie = await cookieOf(admin.session.id, admin.user.id);
  });

  const stale = () => rt.clock.advance(STEP_UP_WINDOW_MS);

  it("within ten minutes of the check: raising a role passes; after: 403 step_up_required, until account.stepUp", async () => {
    const other = await seedUser(rt, "other@example.com", "member");
    expect((await trpc(cookie, "admin.users.setRole", { id: member.user.id, role: "admin" })).status).toBe(200);
    stale();
    expect(await trpc(cookie, "admin.users.setRole", { id: other.user.id, role: "admin" })).toEqual({
      status: 403,
      reason: "step_up_required",
    });
    // Lowering a role is not a step-up action.
    expect((await trpc(cookie, "admin.users.setRole", { id: member.user.id, role: "member" })).status).toBe(200);

    // A wrong code: 400 naming the field, audited as a failure; the session is not marked.
    expect(await trpc(cookie, "account.stepUp", { code: "000000" })).toEqual({ status: 400, reason: "invalid_code" });
    expect(await trpc(cookie, "admin.users.setRole", { id: other.user.id, role: "admin" })).toMatchObject({
      status: 403,
    });

    const code = nextTotpCode(rt, admin.totpSecret as string);
    expect((await trpc(cookie, "account.stepUp", { code })).status).toBe(200);
    const row = await rt.db.select().from(sessions).where(eq(sessions.id, admin.session.id)).get();
    expect(row?.secondFactorAt?.getTime()).toBe(rt.clock.now().getTime());
    expect((await trpc(cookie, "admin.users.setRole", { id: other.user.id, role: "admin" })).status).toBe(200);
    // The same code again is a replay.
    expect(await trpc(cookie, "account.stepUp", { code })).toEqual({ status: 400, reason: "invalid_code" });
    const actions = await rt.db.select({ a: auditLog.action, o: auditLog.outcome }).from(auditLog).all();
    expect(actions).toContainEqual({ a: "second_factor.use", o: "success" });
    expect(actions).toContainEqual({ a: "second_factor.use_failed", o: "failure" });
  });

  it("every listed action asks on a stale session (tRPC), none asks an admin token (REST)", async () => {
    const otherAdmin = await seedUser(rt, "other-admin@example.com", "admin");
    stale();
    const calls: Array<[string, unknown]> = [
      ["admin.users.setRole", { id: member.user.id, role: "admin" }],
      ["admin.users.setDisabled", { id: otherAdmin.user.id, disabled: true }],
      ["admin.users.createToken", { id: member.user.id, name: "x", scopes: ["contacts:read"] }],
      ["admin.users.createToken", { id: admin.user.id, name: "adm", scopes: ["admin"] }],
      ["tokens.create", { name: "own-admin", scopes: ["admin"] }],
      ["admin.encryption.rotate", {}],
      ["admin.oauthClients.rotateSigningKey", {}],
      ["admin.oauthClients.delete", { id: "ocl_00000000000000000000" }],
    ];
    const answers = [];
    for (const [procedure, input] of calls) answers.push([procedure, (await trpc(cookie, procedure, input)).reason]);
    expect(answers).toEqual([
      ["admin.users.setRole", "step_up_required"],
      ["admin.users.setDisabled", "step_up_required"],
      // A token without the admin scope is not a step-up action (it fails or passes on its own rules).
      ["admin.users.createToken", null],
      ["admin.users.createToken", "step_up_required"],
      ["tokens.create", "step_up_required"],
      ["admin.encryption.rotate", "step_up_required"],
      ["admin.oauthClients.rotateSigningKey", "step_up_required"],
      ["admin.oauthClients.delete", "step_up_required"],
    ]);
    // Disabling a member, or oneself being refused for its own reasons, is not step-up.
    expect((await trpc(cookie, "admin.users.setDisabled", { id: member.user.id, disabled: true })).reason).not.toBe(
      "step_up_required",
    );

    const token = await adminToken(admin.user.id);
    const third = await seedUser(rt, "third@example.com", "member");
    expect(await rest(token, "PUT", `/admin/users/${third.user.id}/role`, { role: "admin" })).toBe(200);
    expect(await rest(token, "PUT", `/admin/users/${otherAdmin.user.id}/disabled`, { disabled: true })).toBe(200);
    expect(
      await rest(token, "POST", `/admin/users/${admin.user.id}/tokens`, { name: "rest-adm", scopes: ["admin"] }),
    ).toBe(201);
    expect(await rest(token, "POST", "/admin/oauth-signing-keys/rotate", {})).toBe(200);
  });

  it("the recovery code steps up once; a member's own admin-scoped token is refused by scope, not step-up", async () => {
    stale();
    const recovery = admin.recoveryCodes[0] as string;
    expect((await trpc(cookie, "account.stepUp", { code: recovery })).status).toBe(200);
    stale();
    expect(await trpc(cookie, "account.stepUp", { code: recovery })).toEqual({ status: 400, reason: "invalid_code" });
    const memberCookie = await cookieOf(member.session.id, member.user.id);
    expect((await trpc(memberCookie, "tokens.create", { name: "m", scopes: ["contacts:read"] })).status).toBe(200);
  });

  it("account.stepUp and the second-factor procedures are session-only: a bearer credential is refused", async () => {
    const res = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/account.stepUp`, {
        method: "POST",
        headers: {
          ...peer,
          authorization: `Bearer ${await adminToken(admin.user.id)}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ code: "123456" }),
      }),
      rt,
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { data: { reason: string } } }).error.data.reason).toBe("session_required");
  });
});
