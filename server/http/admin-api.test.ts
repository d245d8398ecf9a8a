import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { auditLog, contacts } from "@/db/schema";
import { loadOrCreateSecrets, SECRETS_FILE } from "../config/secrets";
import { keyIdOf } from "../crypto/envelope";
import { newKeySetEntry } from "../crypto/key-set";
import { fileKeyring, KEYRING_RECHECK_MS, staticKeyring } from "../crypto/keyring";
import { setLogger } from "../logger";
import { authorizationCodeTokens, createTestbed, type Testbed, tokenRequest } from "../oauth/testing/testbed";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../ratelimit/config";
import { appRouter } from "../root";
import { PEER_STAMP_ENV } from "../security/client-ip";
import { SYSTEM_ACTOR } from "../services/audit";
import { getContact } from "../services/contacts";
import { createSession } from "../services/sessions";
import { createToken } from "../services/tokens";
import { setUserRole } from "../services/users";
import { createTestRuntime, ON_POSTGRES, seedUser, storedRows, type TestRuntime } from "../testing/harness";
import type { NodeHandler } from "./front/listener";
import { createFrontServer, type FrontServer } from "./front/server";
import { handleRest } from "./rest-handler";

/**
 * The admin API over real HTTP (the node:http front on 127.0.0.1:0, as a
 * worker serves it), attacked as an outsider would: the wrong credentials of
 * every kind, other users' and malformed ids, and the resource conventions
 * (201 + Location that GETs the same resource, 204 with no body, 405 with
 * Allow), the streamed export, tokens an admin creates for a user, and key
 * rotation that no worker can get ahead of.
 */

const STAMP = "admin-api-stamp";
const lenient = { limit: 1_000_000, windowMs: 60_000 };
const ZERO_IDS = {
  user: "usr_00000000000000000000",
  token: "tok_00000000000000000000",
  cors: "cor_00000000000000000000",
  client: "ocl_00000000000000000000",
  override: "rlo_00000000000000000000",
  session: "ses_00000000000000000000",
};

type Answer = { status: number; headers: Headers; text: string; json: Record<string, unknown> | null };

let bed: Testbed;
let rt: TestRuntime;
let front: FrontServer;
let base: string;

const nextStub: NodeHandler = (_req, res) => {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("next");
};

beforeAll(async () => {
  vi.stubEnv(PEER_STAMP_ENV, STAMP);
  setLogger(undefined);
  bed = createTestbed({
    rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, api: lenient, anon: lenient, sensitive: lenient },
  });
  rt = bed.rt;
  front = createFrontServer({ runtime: () => rt, next: nextStub, stamp: STAMP });
  await new Promise<void>((resolve) => front.server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(front.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  front?.server.closeAllConnections();
  await new Promise<void>((resolve) => (front ? front.server.close(() => resolve()) : resolve()));
  vi.unstubAllEnvs();
});

async function call(
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const target = url.startsWith("http") ? url : `${base}${url.startsWith("/api/") ? "" : "/api/v1"}${url}`;
  const res = await fetch(target, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  const json = text && /json/.test(res.headers.get("content-type") ?? "") ? JSON.parse(text) : null;
  return { status: res.status, headers: res.headers, text, json };
}

function expectProblem(answer: Answer, status: number, reason?: string): Record<string, unknown> {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  const body = answer.json as Record<string, unknown>;
  expect(body.status).toBe(status);
  if (reason) expect(body.type).toBe(`urn:gatehouse:problem:${reason}`);
  return body;
}

const svc = () => ({
  db: rt.db,
  clock: rt.clock,
  actor: SYSTEM_ACTOR,
  client: { ip: null, userAgent: null, requestId: "t" },
});
const issue = async (userId: string, scopes: string[]) =>
  (await createToken(svc(), userId, { name: `t-${scopes.join("-")}`, scopes: scopes as never })).token;

type Seeded = Awaited<ReturnType<typeof seedUser>>;
let root: Seeded;
let alice: Seeded;
let bob: Seeded;
let adminToken: string;
let seq = 0;

beforeAll(async () => {
  root = await bed.user("root@example.com", "admin");
  alice = await bed.user("alice@example.com");
  bob = await bed.user("bob@example.com");
  adminToken = await issue(root.user.id, ["admin"]);
});

const unique = (prefix: string) => `${prefix}${++seq}`;

describe("who may call the admin API", () => {
  const probes: Array<[string, string, unknown?]> = [
    ["GET", "/admin/users"],
    ["POST", "/admin/users", { email: "x@example.com", role: "member", password: "a long enough password 1" }],
    ["GET", "/admin/audit?limit=5"],
    ["GET", "/admin/audit/export?format=csv"],
    ["POST", "/admin/encryption/rotate", {}],
    ["DELETE", `/admin/users/${ZERO_IDS.user}/sessions`],
  ];

  it("refuses no credential (401 with a challenge) and changes nothing", async () => {
    const before = (await rt.db.select().from(auditLog).all()).length;
    for (const [method, url, body] of probes) {
      const answer = await call(method, url, { body });
      expectProblem(answer, 401, "missing_credentials");
      expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
    // Refusals are audited in aggregate at most; no user was created.
    expect(
      (await rt.db.select().from(auditLog).all()).filter((e) => e.action === "user.create" && e.outcome === "success")
        .length,
    ).toBe(
      (await rt.db.select().from(auditLog).all())
        .slice(0, before)
        .filter((e) => e.action === "user.create" && e.outcome === "success").length,
    );
  });

  it("refuses a member's token that carries the admin scope (403), on every probe", async () => {
    // The token was made while its owner was an admin; the owner has since been demoted.
    const former = await bed.user(`${unique("former")}@example.com`, "admin");
    const token = await issue(former.user.id, ["admin", "contacts:read"]);
    expect((await call("GET", "/admin/users", { token })).status).toBe(200);
    await setUserRole({ ...svc() }, former.user.id, "member");
    for (const [method, url, body] of probes) {
      const answer = await call(method, url, { token, body });
      expect(answer.status, `${method} ${url}`).toBe(403);
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
    }
    // And a member can never be given one.
    const refused = await call("POST", `/admin/users/${alice.user.id}/tokens`, {
      token: adminToken,
      body: { name: "sneaky", scopes: ["admin"] },
    });
    expect(refused.status).toBe(403);
  });

  it("refuses an admin's token without the admin scope: 403 insufficient_scope naming the scope", async () => {
    for (const scopes of [["contacts:read"], ["tokens:read", "tokens:write"], ["metrics:read"]]) {
      const token = await issue(root.user.id, scopes);
      for (const [method, url, body] of probes) {
        const problem = expectProblem(await call(method, url, { token, body }), 403, "insufficient_scope");
        expect(problem.scopes).toEqual(["admin"]);
      }
    }
  });

  it("refuses an admin's session cookie on REST (401), even with a same-origin Origin", async () => {
    const cookie = await bed.sessionCookie(root.user, root.session.id);
    for (const [method, url, body] of probes) {
      const answer = await call(method, url, { body, headers: { cookie, origin: "http://127.0.0.1:3000" } });
      expectProblem(answer, 401);
    }
  });

  it("takes an OAuth access token with the admin scope only from a client allowed it, for an admin", async () => {
    const allowed = await bed.registerClient({ name: "Ops console", scopes: ["admin", "contacts:read"] });
    const tokens = await authorizationCodeTokens(bed, allowed, root, "admin");
    expect(tokens.scope).toBe("admin");
    const listed = await call("GET", "/admin/users?limit=3", { token: tokens.access_token });
    expect(listed.status, listed.text).toBe(200);

    // The same client's service account is a member: its token cannot use admin.
    const cc = await tokenRequest(bed, allowed, { grant_type: "client_credentials", scope: "admin" });
    if (cc.status === 200) {
      expect((await call("GET", "/admin/users", { token: cc.body.access_token })).status).toBe(403);
    } else {
      expect(cc.body.error).toBe("invalid_scope");
    }

    // A client not registered with admin cannot get it, for anyone.
    const plain = await bed.registerClient({ name: "Contacts app", scopes: ["contacts:read"] });
    const narrow = await authorizationCodeTokens(bed, plain, root, "contacts:read");
    expectProblem(await call("GET", "/admin/users", { token: narrow.access_token }), 403, "insufficient_scope");
  });
});

describe("HEAD", () => {
  it("runs the GET operation through the chain and answers its status and headers without a body", async () => {
    const anonymous = await call("HEAD", "/admin/users");
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).toBe("");
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const member = await issue(alice.user.id, ["contacts:read"]);
    expect((await call("HEAD", "/admin/users", { token: member })).status).toBe(403);
    expect((await call("HEAD", "/contacts", { token: member })).status).toBe(200);

    const ok = await call("HEAD", "/admin/users?limit=1", { token: adminToken });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe("");
    expect(ok.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(ok.headers.get("ratelimit")).toBeTruthy();
    // Validation applies too, and an unknown path is a 404, never the bridge's bare 204.
    expect((await call("HEAD", "/admin/users/usr_bad", { token: adminToken })).status).toBe(400);
    expect((await call("HEAD", `/admin/users/${ZERO_IDS.user}`, { token: adminToken })).status).toBe(404);
    expect((await call("HEAD", "/admin/nothing-here", { token: adminToken })).status).toBe(404);
    // A streamed answer: its headers, no rows.
    const exported = await call("HEAD", "/admin/audit/export?format=csv", { token: adminToken });
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(exported.text).toBe("");
  });
});

describe("ids", () => {
  it("answers 400 naming the field for a malformed id, wherever it is", async () => {
    const cases: Array<[string, string, string, unknown?]> = [
      ["GET", "/admin/users/usr_short", "id"],
      ["GET", "/admin/users/con_00000000000000000000", "id"],
      ["PUT", "/admin/users/nope/role", "id", { role: "member" }],
      ["GET", "/admin/users/usr_%27%20or%201%3D1/sessions", "id"],
      ["DELETE", `/admin/users/${alice.user.id}/sessions/ses_bad`, "sessionId"],
      ["GET", "/admin/tokens/tok_UPPERCASE0000000000000", "id"],
      ["POST", "/admin/tokens/x/revoke", "id"],
      ["DELETE", "/admin/cors-origins/cor_", "id"],
      ["GET", "/admin/oauth-clients/usr_00000000000000000000", "id"],
      ["POST", "/admin/oauth-grants/ogr_x/revoke", "grantId"],
      ["DELETE", "/admin/rate-limits/overrides/rlo_0", "id"],
      ["GET", "/admin/users/usr_bad/token-limits", "userId"],
    ];
    for (const [method, url, field, body] of cases) {
      const problem = expectProblem(await call(method, url, { token: adminToken, body }), 400, "invalid_input");
      expect(problem.errors, `${method} ${url}`).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: field })]),
      );
    }
  });

  it("takes one session only by its path: a sessionId in the query of the end-all DELETE is refused", async () => {
    const before = (await call("GET", `/admin/users/${bob.user.id}/sessions`, { token: adminToken })).json as {
      items: unknown[];
    };
    const answer = await call("DELETE", `/admin/users/${bob.user.id}/sessions?sessionId=${bob.session.id}`, {
      token: adminToken,
    });
    expectProblem(answer, 400, "invalid_input");
    expect(answer.text).toContain("sessionId");
    const after = (await call("GET", `/admin/users/${bob.user.id}/sessions`, { token: adminToken })).json as {
      items: unknown[];
    };
    expect(after.items).toEqual(before.items);
  });

  it("answers 404 for a well-formed id that names nothing", async () => {
    const cases: Array<[string, string, unknown?]> = [
      ["GET", `/admin/users/${ZERO_IDS.user}`],
      ["GET", `/admin/users/${ZERO_IDS.user}/sessions`],
      ["GET", `/admin/users/${ZERO_IDS.user}/tokens`],
      ["GET", `/admin/users/${ZERO_IDS.user}/token-limits`],
      ["POST", `/admin/users/${ZERO_IDS.user}/tokens`, { name: "x", scopes: ["contacts:read"] }],
      ["PUT", `/admin/users/${ZERO_IDS.user}/disabled`, { disabled: true }],
      ["GET", `/admin/tokens/${ZERO_IDS.token}`],
      ["POST", `/admin/tokens/${ZERO_IDS.token}/revoke`],
      ["GET", `/admin/cors-origins/${ZERO_IDS.cors}`],
      ["DELETE", `/admin/cors-origins/${ZERO_IDS.cors}`],
      ["GET", `/admin/oauth-clients/${ZERO_IDS.client}`],
      ["DELETE", `/admin/oauth-clients/${ZERO_IDS.client}`],
      ["GET", `/admin/rate-limits/overrides/${ZERO_IDS.override}`],
      ["DELETE", `/admin/rate-limits/overrides/${ZERO_IDS.override}`],
      ["DELETE", `/admin/users/${alice.user.id}/sessions/${ZERO_IDS.session}`],
    ];
    for (const [method, url, body] of cases) {
      expectProblem(await call(method, url, { token: adminToken, body }), 404);
    }
  });

  it("keeps another user's records apart: a session of bob under alice, bob's token for alice, are 404", async () => {
    const bobToken = await issue(bob.user.id, ["tokens:read"]);
    const [bobTokenId] = await storedRows<{ id: string }>(
      rt.db,
      "select id from api_tokens where user_id = ? limit 1",
      bob.user.id,
    );
    expectProblem(
      await call("DELETE", `/admin/users/${alice.user.id}/sessions/${bob.session.id}`, { token: adminToken }),
      404,
    );
    // bob's session survived.
    const bobSessions = await call("GET", `/admin/users/${bob.user.id}/sessions`, { token: adminToken });
    expect((bobSessions.json as { items: Array<{ id: string }> }).items.map((s) => s.id)).toContain(bob.session.id);
    // A user's own token endpoint: another user's token is not found (and the admin one finds it).
    const aliceToken = await issue(alice.user.id, ["tokens:read"]);
    expectProblem(await call("GET", `/tokens/${bobTokenId?.id}`, { token: aliceToken }), 404);
    expect((await call("GET", `/tokens/${bobTokenId?.id}`, { token: bobToken })).status).toBe(200);
    expect((await call("GET", `/admin/tokens/${bobTokenId?.id}`, { token: adminToken })).status).toBe(200);
  });
});

/** The procedures whose meta says `created`, and those on DELETE: the tests below must exercise each one. */
describe("operations without input", () => {
  // Every REST operation whose procedure takes z.void(): the bridge would hand it nothing, so a
  // query parameter would be dropped silently; it is refused as an unknown field is anywhere else.
  const voidOperations = Object.values(
    appRouter._def.procedures as unknown as Record<
      string,
      {
        _def: {
          meta?: { openapi?: { method: string; path: string } };
          inputs: Array<{ _zod?: { def?: { type?: string } } }>;
        };
      }
    >,
  )
    .filter((p) => p._def.meta?.openapi && p._def.inputs.every((input) => input._zod?.def?.type === "void"))
    .map((p) => p._def.meta?.openapi as { method: string; path: string });

  it("exist (the walk below is not empty)", () => {
    expect(voidOperations.length).toBeGreaterThanOrEqual(4);
  });

  it("refuse any query parameter with 400 naming it, and answer without one", async () => {
    for (const { method, path: template } of voidOperations) {
      if (method !== "GET") continue;
      const url = template.replace(/\{[^}]+\}/g, ZERO_IDS.user);
      for (const query of ["verbose=1", "limit=5", "x%00y=1", `${"q".repeat(200)}=1`]) {
        const answer = await call("GET", `${url}?${query}`, { token: adminToken });
        const body = expectProblem(answer, 400, "invalid_input");
        const errors = body.errors as Array<{ path: string; message: string }>;
        expect(errors[0]?.message, `${template}?${query}`).toMatch(/takes no input/);
        expect(errors[0]?.path.length).toBeLessThanOrEqual(60);
      }
      expect((await call("GET", url, { token: adminToken })).status, template).toBe(200);
    }
  });
});

function operationsWhere(pick: (meta: { openapi?: { method: string; path: string }; created?: unknown }) => boolean) {
  const all = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { meta?: { openapi?: { method: string; path: string }; created?: unknown } } }
  >;
  return Object.values(all)
    .map((p) => p._def.meta ?? {})
    .filter((meta) => meta.openapi && pick(meta))
    .map((meta) => `${meta.openapi?.method} ${meta.openapi?.path}`)
    .sort();
}

describe("resource conventions", () => {
  const exercised = { created: new Set<string>(), deleted: new Set<string>() };

  async function create(template: string, url: string, body: unknown, token = adminToken) {
    const answer = await call("POST", url, { token, body });
    expect(answer.status, answer.text).toBe(201);
    const location = answer.headers.get("location") as string;
    expect(location).toMatch(/^\/api\/v1\/[a-z-]+(\/[A-Za-z0-9_-]+)+$/);
    // The Location GETs the same resource.
    const fetched = await call("GET", location, { token });
    expect(fetched.status, `${location}: ${fetched.text}`).toBe(200);
    exercised.created.add(`POST ${template}`);
    return { answer, location, fetched };
  }

  async function remove(template: string, url: string, token = adminToken) {
    const answer = await call("DELETE", url, { token });
    expect(answer.status, answer.text).toBe(204);
    expect(answer.text).toBe("");
    expect(answer.headers.get("content-type")).toBeNull();
    expect(answer.headers.get("x-request-id")).toBeTruthy();
    exercised.deleted.add(`DELETE ${template}`);
    return answer;
  }

  it("answers 201 with a Location that GETs the same resource, for every creation", async () => {
    const user = await create("/admin/users", "/admin/users", {
      email: `${unique("carol")}@example.com`,
      role: "member",
      password: "a long enough password 1",
    });
    expect(user.fetched.json?.id).toBe(user.answer.json?.id);
    expect(user.location).toBe(`/api/v1/admin/users/${user.answer.json?.id}`);

    const token = await create("/admin/users/{id}/tokens", `/admin/users/${alice.user.id}/tokens`, {
      name: "ci",
      scopes: ["contacts:read"],
    });
    expect(token.location).toBe(`/api/v1/admin/tokens/${token.answer.json?.id}`);
    expect(token.fetched.json).toMatchObject({ id: token.answer.json?.id, owner: { id: alice.user.id } });
    expect(token.fetched.json).not.toHaveProperty("token");

    const client = await create("/admin/oauth-clients", "/admin/oauth-clients", {
      name: "Billing",
      type: "confidential",
      redirectUris: ["https://billing.example.com/cb"],
      grantTypes: ["authorization_code"],
      scopes: ["contacts:read"],
    });
    const clientId = (client.answer.json as { client: { id: string } }).client.id;
    expect(client.location).toBe(`/api/v1/admin/oauth-clients/${clientId}`);
    expect(client.fetched.json?.id).toBe(clientId);
    expect(client.fetched.text).not.toContain(client.answer.json?.clientSecret as string);

    const origin = await create("/admin/cors-origins", "/admin/cors-origins", {
      origin: `https://${unique("app")}.example.com`,
    });
    expect(origin.fetched.json).toEqual(origin.answer.json);

    const override = await create("/admin/rate-limits/overrides", "/admin/rate-limits/overrides", {
      target: { type: "user", email: "alice@example.com" },
      limit: 50,
      windowSeconds: 60,
    });
    expect(override.fetched.json?.id).toBe(override.answer.json?.id);

    // The user's own doors follow the same rule.
    const own = await issue(alice.user.id, ["contacts:write", "contacts:read", "tokens:read", "tokens:write"]);
    const contact = await create("/contacts", "/contacts", { name: "Ada", email: "ada@example.com" }, own);
    expect(contact.fetched.json).toEqual(contact.answer.json);
    const minted = await create("/tokens", "/tokens", { name: "child", scopes: ["contacts:read"] }, own);
    expect(minted.fetched.json?.id).toBe(minted.answer.json?.id);
    expect(minted.fetched.json).not.toHaveProperty("token");

    // A refused creation is no 201 and has no Location.
    const dup = await call("POST", "/admin/users", {
      token: adminToken,
      body: { email: "alice@example.com", role: "member", password: "a long enough password 1" },
    });
    expect(dup.status).toBe(409);
    expect(dup.headers.get("location")).toBeNull();

    expect([...exercised.created].sort()).toEqual(operationsWhere((m) => Boolean(m.created)));
  });

  it("answers 204 with no body and no content type to every DELETE, and the thing is gone", async () => {
    const dave = await bed.user(`${unique("dave")}@example.com`);
    const extra = await rt.db.transaction((tx) =>
      createSession(tx, rt.clock, rt.config.session, dave.user.id, { ip: null, userAgent: null, requestId: "t" }),
    );
    await remove("/admin/users/{id}/sessions/{sessionId}", `/admin/users/${dave.user.id}/sessions/${extra.id}`);
    let sessions = (
      (await call("GET", `/admin/users/${dave.user.id}/sessions`, { token: adminToken })).json as {
        items: Array<{ id: string }>;
      }
    ).items;
    expect(sessions.map((s) => s.id)).toEqual([dave.session.id]);
    await remove("/admin/users/{id}/sessions", `/admin/users/${dave.user.id}/sessions`);
    sessions = (
      (await call("GET", `/admin/users/${dave.user.id}/sessions`, { token: adminToken })).json as {
        items: Array<{ id: string }>;
      }
    ).items;
    expect(sessions).toEqual([]);

    const origin = await call("POST", "/admin/cors-origins", {
      token: adminToken,
      body: { origin: `https://${unique("gone")}.example.com` },
    });
    await remove("/admin/cors-origins/{id}", `/admin/cors-origins/${origin.json?.id}`);
    expectProblem(await call("GET", `/admin/cors-origins/${origin.json?.id}`, { token: adminToken }), 404);
    // A second DELETE of the same thing is a 404 problem, not another 204.
    expectProblem(await call("DELETE", `/admin/cors-origins/${origin.json?.id}`, { token: adminToken }), 404);

    const client = await call("POST", "/admin/oauth-clients", {
      token: adminToken,
      body: {
        name: "Temp",
        type: "public",
        redirectUris: ["https://temp.example.com/cb"],
        grantTypes: ["authorization_code"],
        scopes: ["contacts:read"],
      },
    });
    const clientId = (client.json as { client: { id: string } }).client.id;
    await remove("/admin/oauth-clients/{id}", `/admin/oauth-clients/${clientId}`);
    expectProblem(await call("GET", `/admin/oauth-clients/${clientId}`, { token: adminToken }), 404);

    const override = await call("POST", "/admin/rate-limits/overrides", {
      token: adminToken,
      body: { target: { type: "user", email: dave.user.email }, limit: 5, windowSeconds: 10 },
    });
    await remove("/admin/rate-limits/overrides/{id}", `/admin/rate-limits/overrides/${override.json?.id}`);
    expectProblem(await call("GET", `/admin/rate-limits/overrides/${override.json?.id}`, { token: adminToken }), 404);

    const own = await issue(dave.user.id, ["contacts:write", "contacts:read"]);
    const contact = await call("POST", "/contacts", {
      token: own,
      body: { name: "Bo", email: "bo@example.com" },
    });
    await remove("/contacts/{id}", `/contacts/${contact.json?.id}`, own);
    expectProblem(await call("GET", `/contacts/${contact.json?.id}`, { token: own }), 404);

    expect([...exercised.deleted].sort()).toEqual(operationsWhere((m) => m.openapi?.method === "DELETE"));
  });

  it("answers 405 with Allow for a verb a new path does not take", async () => {
    const cases: Array<[string, string, string]> = [
      ["PUT", "/admin/users", "GET, HEAD, POST, OPTIONS"],
      ["DELETE", "/admin/users", "GET, HEAD, POST, OPTIONS"],
      ["POST", `/admin/users/${alice.user.id}`, "GET, HEAD, OPTIONS"],
      ["PATCH", `/admin/users/${alice.user.id}/role`, "PUT, OPTIONS"],
      ["GET", "/admin/encryption/rotate", "POST, OPTIONS"],
      ["DELETE", "/admin/audit", "GET, HEAD, OPTIONS"],
      ["POST", "/admin/audit/export", "GET, HEAD, OPTIONS"],
      ["PUT", `/admin/users/${alice.user.id}/sessions`, "GET, HEAD, DELETE, OPTIONS"],
      ["GET", `/admin/users/${alice.user.id}/revoke-all`, "POST, OPTIONS"],
      ["PUT", "/admin/cors-origins/cor_00000000000000000000", "GET, HEAD, DELETE, PATCH, OPTIONS"],
      // A literal path is its own resource, not an id of the parameterised one beside it.
      ["GET", "/tokens/revoke-all", "POST, OPTIONS"],
      ["POST", "/tokens/options", "GET, HEAD, OPTIONS"],
      ["DELETE", "/admin/oauth-signing-keys/rotate", "POST, OPTIONS"],
    ];
    for (const [method, url, allow] of cases) {
      const answer = await call(method, url, { token: adminToken, body: method === "GET" ? undefined : {} });
      expectProblem(answer, 405, "method_not_allowed");
      expect((answer.headers.get("allow") as string).split(", ").sort(), `${method} ${url}`).toEqual(
        allow.split(", ").sort(),
      );
    }
  });
});

describe("one cursor scheme", () => {
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) await bed.user(`${unique("page")}@example.com`);
    for (let i = 0; i < 5; i++) await issue(alice.user.id, ["contacts:read"]);
    for (let i = 0; i < 4; i++) {
      await call("POST", "/admin/cors-origins", {
        token: adminToken,
        body: { origin: `https://${unique("p")}.example.com` },
      });
      await call("POST", "/admin/oauth-clients", {
        token: adminToken,
        body: {
          name: unique("Paged "),
          type: "public",
          redirectUris: ["https://paged.example.com/cb"],
          grantTypes: ["authorization_code"],
          scopes: ["contacts:read"],
        },
      });
      const user = await bed.user(`${unique("limited")}@example.com`);
      await call("POST", "/admin/rate-limits/overrides", {
        token: adminToken,
        body: { target: { type: "user", email: user.user.email }, limit: 10 + i, windowSeconds: 60 },
      });
      await rt.db.transaction((tx) =>
        createSession(tx, rt.clock, rt.config.session, alice.user.id, { ip: null, userAgent: null, requestId: "p" }),
      );
    }
    await call("POST", "/admin/oauth-signing-keys/rotate", { token: adminToken, body: {} });
    await call("POST", "/admin/oauth-signing-keys/rotate", { token: adminToken, body: {} });
  });

  async function walk(url: string, limit: number): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const sep = url.includes("?") ? "&" : "?";
      const answer = await call("GET", `${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, {
        token: adminToken,
      });
      expect(answer.status, answer.text).toBe(200);
      const page = answer.json as { items: Array<Record<string, unknown>>; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      if (page.nextCursor === null) return items;
      expect(page.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      cursor = page.nextCursor;
    }
    throw new Error("no last page");
  }

  it("pages users, tokens, a user's tokens and the audit log with cursor + limit into { items, nextCursor }", async () => {
    for (const [url, total] of [
      ["/admin/users", null],
      ["/admin/tokens", null],
      [`/admin/users/${alice.user.id}/tokens`, null],
      ["/admin/audit", "audit"],
      ["/admin/cors-origins", null],
      ["/admin/oauth-clients", null],
      ["/admin/rate-limits/overrides", null],
      [`/admin/users/${alice.user.id}/sessions`, null],
    ] as const) {
      const whole = await call("GET", `${url}${url.includes("?") ? "&" : "?"}limit=100`, { token: adminToken });
      expect(whole.status, `${url}: ${whole.text}`).toBe(200);
      const idOf = (i: Record<string, unknown>) => (i.id ?? i.kid) as string;
      const everything = (whole.json as { items: Array<Record<string, unknown>> }).items.map(idOf);
      expect(everything.length, url).toBeGreaterThan(3);
      for (const limit of [1, 2, 3]) {
        const walked = (await walk(url, limit)).map(idOf);
        expect(walked, `${url} limit ${limit}`).toEqual(everything.slice(0, walked.length));
        expect(new Set(walked).size).toBe(walked.length);
        if (total === null) expect(walked).toEqual(everything);
      }
    }
  });

  it("refuses a cursor it did not make, and cursor with offset, naming the field", async () => {
    for (const url of [
      "/admin/users",
      "/admin/tokens",
      "/admin/audit",
      `/admin/users/${alice.user.id}/tokens`,
      "/admin/cors-origins",
      `/admin/users/${alice.user.id}/sessions`,
    ]) {
      for (const bad of [
        "!!",
        "a".repeat(600),
        Buffer.from('["x"]').toString("base64url"),
        Buffer.from("[1,2,3]").toString("base64url"),
      ]) {
        const problem = expectProblem(
          await call("GET", `${url}?cursor=${encodeURIComponent(bad)}`, { token: adminToken }),
          400,
        );
        expect(JSON.stringify(problem)).toContain("cursor");
      }
    }
    const page = (await call("GET", "/admin/users?limit=1", { token: adminToken })).json as { nextCursor: string };
    const both = expectProblem(
      await call("GET", `/admin/users?limit=1&offset=1&cursor=${page.nextCursor}`, { token: adminToken }),
      400,
      "invalid_input",
    );
    expect(both.errors).toEqual([expect.objectContaining({ path: "offset" })]);
    // A cursor of one list is no cursor of another.
    const auditPage = (await call("GET", "/admin/audit?limit=1", { token: adminToken })).json as { nextCursor: string };
    expectProblem(await call("GET", `/admin/users?cursor=${auditPage.nextCursor}`, { token: adminToken }), 400);
  });
});

describe("the audit export on REST", () => {
  it("streams the entries matching the filters as NDJSON or CSV, and records the export", async () => {
    const own = await issue(alice.user.id, ["contacts:write"]);
    for (let i = 0; i < 3; i++) {
      await call("POST", "/contacts", { token: own, body: { name: `E${i}`, email: `e${i}@example.com` } });
    }
    const exportsBefore = (await rt.db.select().from(auditLog).where(eq(auditLog.action, "audit.export")).all()).length;

    const ndjson = await fetch(`${base}/api/v1/admin/audit/export?format=ndjson&action=contact.create`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(ndjson.headers.get("content-disposition")).toMatch(/^attachment; filename="[^"]+\.ndjson"$/);
    // Streamed (chunked), never built whole with a length.
    expect(ndjson.headers.get("content-length")).toBeNull();
    expect(ndjson.headers.get("x-request-id")).toBeTruthy();
    const lines = (await ndjson.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; actorId: string });
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatchObject({ action: "contact.create" });

    const csv = await fetch(`${base}/api/v1/admin/audit/export?format=csv&action=contact.`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const rows = (await csv.text()).trim().split(/\r?\n/);
    expect(rows[0]).toMatch(/^"seq","id","at",/);
    expect(rows.length - 1).toBeGreaterThanOrEqual(lines.length);

    // Each export is an audit entry with the admin's token as actor and the filter it used.
    const exportsAfter = await rt.db.select().from(auditLog).where(eq(auditLog.action, "audit.export")).all();
    expect(exportsAfter.length).toBe(exportsBefore + 2);
    const [first] = exportsAfter.slice(exportsBefore);
    expect(first).toMatchObject({ actorKind: "token", outcome: "success" });
    expect(JSON.stringify(first?.detail)).toContain("contact.create");

    // Bad filters are a 400 naming the field, and no export is recorded.
    for (const [query, field] of [
      ["format=xml", "format"],
      ["format=csv&since=yesterday", "since"],
      ["format=csv&outcome=maybe", "outcome"],
      ["format=csv&bogus=1", "bogus"],
      ["", "format"],
    ]) {
      const problem = expectProblem(await call("GET", `/admin/audit/export?${query}`, { token: adminToken }), 400);
      expect(JSON.stringify(problem.errors ?? problem.detail), query).toContain(field);
    }
    expect((await rt.db.select().from(auditLog).where(eq(auditLog.action, "audit.export")).all()).length).toBe(
      exportsBefore + 2,
    );
  });
});

describe("tokens an admin creates for a user", () => {
  it("work on /api/v1/contacts as that user, and are audited with the admin as actor", async () => {
    const created = await call("POST", `/admin/users/${bob.user.id}/tokens`, {
      token: adminToken,
      body: { name: "import job", scopes: ["contacts:read", "contacts:write"], expiresInSeconds: 3600 },
    });
    expect(created.status, created.text).toBe(201);
    // Minting a credential counts against the stricter sensitive policy, as POST /tokens does.
    expect(created.headers.get("ratelimit-policy")).toContain('"sensitive"');
    const secret = created.json?.token as string;
    expect(secret).toMatch(/^gth_/);
    expect(created.json?.owner).toMatchObject({ id: bob.user.id });

    const contact = await call("POST", "/contacts", {
      token: secret,
      body: { name: "Imported", email: "imp@example.com" },
    });
    expect(contact.status).toBe(201);
    const row = await rt.db
      .select()
      .from(contacts)
      .where(eq(contacts.id, contact.json?.id as string))
      .get();
    expect(row?.ownerId).toBe(bob.user.id);
    // Bob's token sees Bob's contacts, not Alice's.
    const listed = (await call("GET", "/contacts?limit=100", { token: secret })).json as {
      items: Array<{ id: string }>;
    };
    expect(listed.items.map((c) => c.id)).toContain(contact.json?.id);
    const aliceContacts = await rt.db.select().from(contacts).where(eq(contacts.ownerId, alice.user.id)).all();
    for (const c of aliceContacts) expect(listed.items.map((i) => i.id)).not.toContain(c.id);

    const entry = await rt.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "token.create"), eq(auditLog.targetId, created.json?.id as string)))
      .get();
    const [adminTokenId] = await storedRows<{ id: string }>(
      rt.db,
      "select id from api_tokens where user_id = ? and name = 't-admin'",
      root.user.id,
    );
    expect(entry).toMatchObject({ actorKind: "token", actorId: adminTokenId?.id, outcome: "success" });
    expect(entry?.detail).toMatchObject({ ownerId: bob.user.id });
    expect(JSON.stringify(entry)).not.toContain(secret);

    // The secret is shown once: neither the list nor the GET carries it.
    for (const url of [`/admin/users/${bob.user.id}/tokens`, `/admin/tokens/${created.json?.id}`]) {
      expect((await call("GET", url, { token: adminToken })).text).not.toContain(secret);
    }
  });

  it("are bounded by the owner's role, and an admin-scoped token cannot mint its own owner wider scopes", async () => {
    expectProblem(
      await call("POST", `/admin/users/${bob.user.id}/tokens`, {
        token: adminToken,
        body: { name: "x", scopes: ["metrics:read"] },
      }),
      403,
    );
    const self = await call("POST", `/admin/users/${root.user.id}/tokens`, {
      token: adminToken,
      body: { name: "x", scopes: ["contacts:read"] },
    });
    expect(self.status).toBe(403);
    // Within the caller's own scopes it may.
    expect(
      (
        await call("POST", `/admin/users/${root.user.id}/tokens`, {
          token: adminToken,
          body: { name: "y", scopes: ["admin"] },
        })
      ).status,
    ).toBe(201);
  });
});

describe("encryption keys over REST", () => {
  it("refuses rotation with a fixed keyring, and with keys from the environment says where to rotate", async () => {
    expectProblem(
      await call("POST", "/admin/encryption/rotate", { token: adminToken, body: {} }),
      409,
      "keyring_fixed",
    );
    const envRt = {
      ...createTestRuntime(),
      keyring: staticKeyring({ activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date(0))] }, "env"),
    };
    const admin = await seedUser(envRt, "env-admin@example.com", "admin");
    const token = (
      await createToken(
        {
          db: envRt.db,
          clock: envRt.clock,
          actor: SYSTEM_ACTOR,
          client: { ip: null, userAgent: null, requestId: "t" },
        },
        admin.user.id,
        { name: "t", scopes: ["admin"] },
      )
    ).token;
    const res = await handleRest(
      new Request("http://localhost:3000/api/v1/admin/encryption/rotate", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: "{}",
      }),
      envRt,
    );
    expect(res.status).toBe(409);
    const body = (await res.json()) as { type: string; detail: string };
    expect(body.type).toBe("urn:gatehouse:problem:keys_in_environment");
    expect(body.detail).toContain("ENCRYPTION_KEYS");
    expect(body.detail).not.toMatch(/ENCRYPTION_KEYS=/);
  });

  // A SQLite file in a data folder of its own.
  describe.skipIf(ON_POSTGRES)("with the keys in the data folder, as several workers share them", () => {
    let dir: string;
    let a: TestRuntime;
    let token: string;

    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-admin-keys-"));
      const base0 = createTestRuntime({ dataDir: dir, databaseFile: path.join(dir, "gatehouse.db") });
      const db = openDatabase(path.join(dir, "gatehouse.db"));
      a = { ...base0, db, keyring: fileKeyring(dir, loadOrCreateSecrets(dir).encryption) };
      const admin = await seedUser(a, "keys-admin@example.com", "admin");
      token = (
        await createToken(
          { db: a.db, clock: a.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "t" } },
          admin.user.id,
          { name: "t", scopes: ["admin", "contacts:read", "contacts:write"] },
        )
      ).token;
    });
    afterEach(() => {
      sqliteOf(a.db).close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const restA = (method: string, url: string, body?: unknown) =>
      handleRest(
        new Request(`http://localhost:3000/api/v1${url}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
        a,
      );

    it("adds the key inactive first and makes it active only after every worker has looked at the file", async () => {
      // A second worker on the same data folder, with its own ring loaded at start.
      const other = fileKeyring(dir, loadOrCreateSecrets(dir).encryption);
      const file = path.join(dir, SECRETS_FILE);
      const seen: Array<{ at: number; active: string; ids: string[] }> = [];
      let done = false;
      const watcher = (async () => {
        while (!done) {
          const stored = JSON.parse(fs.readFileSync(file, "utf8")) as {
            encryption: { activeKeyId: string; keys: Array<{ id: string }> };
          };
          seen.push({
            at: Date.now(),
            active: stored.encryption.activeKeyId,
            ids: stored.encryption.keys.map((k) => k.id),
          });
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const started = Date.now();
      const res = await restA("POST", "/admin/encryption/rotate", {});
      const answered = Date.now();
      done = true;
      await watcher;
      const answerText = await res.text();
      expect(res.status, answerText).toBe(200);
      const { keyId, previousKeyId } = JSON.parse(answerText) as { keyId: string; previousKeyId: string };
      expect(previousKeyId).toBe("k1");
      expect(keyId).toBe("k2");

      const staged = seen.find((s) => s.ids.includes(keyId));
      const activated = seen.find((s) => s.active === keyId);
      expect(staged?.active).toBe(previousKeyId);
      // The gap between "known" and "used" is longer than any worker goes without looking at the file.
      expect((activated?.at ?? answered) - (staged?.at ?? started)).toBeGreaterThanOrEqual(KEYRING_RECHECK_MS - 50);
      expect(answered - started).toBeGreaterThanOrEqual(KEYRING_RECHECK_MS);

      // A value the rotating worker seals now opens in the other one.
      const contact = (await (await restA("POST", "/contacts", { name: "K", email: "k@example.com" })).json()) as {
        id: string;
      };
      const row = await a.db.select().from(contacts).where(eq(contacts.id, contact.id)).get();
      expect(keyIdOf(row?.email as string)).toBe(keyId);
      expect(other.get(keyId)).toBeDefined();
      const owner = row?.ownerId as string;
      expect(
        (
          await getContact(
            {
              db: a.db,
              clock: a.clock,
              keyring: other,
              actor: SYSTEM_ACTOR,
              client: { ip: null, userAgent: null, requestId: "t" },
            },
            owner,
            contact.id,
          )
        ).email,
      ).toBe("k@example.com");

      // The audit entry names both keys and no key material.
      const entry = await a.db.select().from(auditLog).where(eq(auditLog.action, "encryption.rotate")).get();
      expect(entry).toMatchObject({ actorKind: "token", targetId: keyId });
      expect(entry?.detail).toMatchObject({ previousKeyId, staged: true });
      const secrets = JSON.parse(fs.readFileSync(file, "utf8")) as { encryption: { keys: Array<{ key: string }> } };
      for (const k of secrets.encryption.keys) {
        expect(JSON.stringify(entry)).not.toContain(k.key);
        expect(answerText).not.toContain(k.key);
      }
    });

    it("starts re-encryption in the background, refuses a second start while it runs, and finishes", async () => {
      for (let i = 0; i < 6; i++) await restA("POST", "/contacts", { name: `R${i}`, email: `r${i}@example.com` });
      expect((await restA("POST", "/admin/encryption/rotate", {})).status).toBe(200);
      const start = await restA("POST", "/admin/encryption/reencrypt", { batchSize: 1, pauseMs: 30 });
      expect(start.status, await start.clone().text()).toBe(200);
      const job = (await start.json()) as { id: number; targetKeyId: string; status: string };
      expect(job).toMatchObject({ targetKeyId: "k2", status: "running" });

      const again = await restA("POST", "/admin/encryption/reencrypt", {});
      expect(again.status).toBe(409);
      expect(((await again.json()) as { type: string }).type).toBe("urn:gatehouse:problem:reencryption_running");

      for (let i = 0; i < 200; i++) {
        const status = (await (await restA("GET", "/admin/encryption")).json()) as {
          rowsToReencrypt: number;
          job: { status: string } | null;
        };
        if (status.job?.status === "finished") {
          expect(status.rowsToReencrypt).toBe(0);
          break;
        }
        if (i === 199) throw new Error(`re-encryption did not finish: ${JSON.stringify(status)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const row of await a.db.select().from(contacts).all()) expect(keyIdOf(row.email)).toBe("k2");
      const started = await a.db.select().from(auditLog).where(eq(auditLog.action, "encryption.reencrypt_start")).get();
      expect(started).toMatchObject({ actorKind: "token" });
    });
  });
});
