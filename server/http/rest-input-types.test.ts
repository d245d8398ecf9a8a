import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { corsOrigins, users } from "@/db/schema";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { handleRest } from "./rest-handler";
import { handleTrpc } from "./trpc-handler";

/**
 * The types a REST input arrives with. A JSON body is taken exactly as sent:
 * a string where the schema wants a boolean or a number is a 400 naming the
 * field, never converted (before, `{"disabled": "false"}` disabled the user,
 * since `Boolean("false")` is true). Only query strings are converted, and
 * a boolean only from `true` or `false`. And a REST call leaves the schemas
 * as they are, so the tRPC door stays just as strict after one.
 */
const ORIGIN = "http://localhost:3000";

describe("REST input types", () => {
  let rt: TestRuntime;
  let adminToken: string;
  let memberToken: string;
  let memberId: string;

  const svc = () => ({
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "t" },
  });
  const rest = (method: string, path: string, body?: unknown, token = adminToken) =>
    handleRest(
      new Request(`${ORIGIN}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      rt,
    );

  async function expectInvalid(res: Response, field: string) {
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { type: string; errors: Array<{ path: string }> };
    expect(problem.type).toBe("urn:gatehouse:problem:invalid_input");
    expect(problem.errors.map((e) => e.path)).toContain(field);
  }

  beforeEach(async () => {
    rt = createTestRuntime();
    const admin = await seedUser(rt, "root@example.com", "admin");
    const member = await seedUser(rt, "member@example.com");
    memberId = member.user.id;
    adminToken = (await createToken(svc(), admin.user.id, { name: "a", scopes: ["admin"] })).token;
    memberToken = (await createToken(svc(), memberId, { name: "m", scopes: ["contacts:read", "contacts:write"] }))
      .token;
  });

  it.each([["false"], ["true"], ["0"], [""], [0], [1], [null]])(
    "refuses disabled=%j in the body (a boolean is a JSON boolean) and leaves the user as it was",
    async (value) => {
      await expectInvalid(await rest("PUT", `/admin/users/${memberId}/disabled`, { disabled: value }), "disabled");
      const row = await rt.db.select().from(users).where(eq(users.id, memberId)).get();
      expect(row?.disabledAt ?? null).toBeNull();
    },
  );

  it("takes a real boolean in the body", async () => {
    expect((await rest("PUT", `/admin/users/${memberId}/disabled`, { disabled: true })).status).toBe(200);
    expect((await rt.db.select().from(users).where(eq(users.id, memberId)).get())?.disabledAt).not.toBeNull();
  });

  it('refuses a CORS origin whose allowCredentials is the string "false", and stores nothing', async () => {
    const res = await rest("POST", "/admin/cors-origins", {
      origin: "https://app.example.com",
      allowCredentials: "false",
    });
    await expectInvalid(res, "allowCredentials");
    expect(await rt.db.select().from(corsOrigins).all()).toHaveLength(0);
  });

  it.each([
    [
      "/admin/users/{member}/tokens",
      { name: "n", scopes: ["contacts:read"], expiresInSeconds: "3600" },
      "expiresInSeconds",
    ],
    [
      "/admin/oauth-clients",
      {
        name: "c",
        type: "confidential",
        redirectUris: [],
        grantTypes: ["client_credentials"],
        scopes: ["contacts:read"],
        accessTokenTtlSeconds: "600",
      },
      "accessTokenTtlSeconds",
    ],
    [
      "/admin/rate-limits/overrides",
      { target: { type: "user", id: "{member}" }, limit: "5", windowSeconds: 60 },
      "limit",
    ],
  ])("refuses a string where the body wants a number: POST %s", async (path, body, field) => {
    const withMember = (text: string) => text.replaceAll("{member}", memberId);
    await expectInvalid(await rest("POST", withMember(path), JSON.parse(withMember(JSON.stringify(body)))), field);
  });

  it("refuses a number where the body wants a string", async () => {
    await expectInvalid(await rest("POST", "/contacts", { name: 5, email: "a@example.com" }, memberToken), "name");
  });

  it("converts query strings: limit=2 is the number 2; text, a fraction, out of bounds or a repeated limit are 400 naming limit", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await rest("POST", "/contacts", { name: `C${i}`, email: `c${i}@example.com` }, memberToken);
      expect(res.status).toBe(201);
    }
    const page = await rest("GET", "/contacts?limit=2", undefined, memberToken);
    expect(page.status).toBe(200);
    expect(((await page.json()) as { items: unknown[] }).items).toHaveLength(2);
    for (const query of [
      "limit=abc",
      "limit=1.5",
      "limit=2&limit=3",
      "limit=",
      "limit=-1",
      "limit=101",
      "limit=true",
    ]) {
      const res = await rest("GET", `/contacts?${query}`, undefined, memberToken);
      expect(res.status, query).toBe(400);
      await expectInvalid(res, "limit");
    }
  });

  it("leaves the tRPC door strict after REST calls: a string for a boolean is still refused there", async () => {
    // A REST call of the same procedure first (it used to switch on coercion in the shared schema).
    await expectInvalid(await rest("PUT", `/admin/users/${memberId}/disabled`, { disabled: "false" }), "disabled");
    const admin = await seedUser(rt, "second-admin@example.com", "admin");
    const { encode } = await import("next-auth/jwt");
    const { sessionCookieName } = await import("../auth/session-cookie");
    const name = sessionCookieName(rt.config.secure);
    const cookie = `${name}=${await encode({ token: { sub: admin.user.id, sid: admin.session.id }, secret: rt.config.authSecret, salt: name })}`;
    const res = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/admin.users.setDisabled`, {
        method: "POST",
        headers: { cookie, origin: ORIGIN, "content-type": "application/json" },
        body: JSON.stringify({ id: memberId, disabled: "false" }),
      }),
      rt,
    );
    expect(res.status).toBe(400);
    expect((await rt.db.select().from(users).where(eq(users.id, memberId)).get())?.disabledAt ?? null).toBeNull();
  });

  it("matches paths exactly: /CONTACTS is no operation (404), not /contacts run under an unmatched label", async () => {
    const res = await rest("GET", "/CONTACTS", undefined, memberToken);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { type: string }).type).toBe("urn:gatehouse:problem:no_such_endpoint");
  });
});
