import { eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sqliteOf } from "@/db";
import { apiTokens, auditLog, contacts, sessions } from "@/db/schema";
import { generateToken } from "../auth/api-token";
import { sessionCookieName } from "../auth/session-cookie";
import { PEER_HEADER, PEER_STAMP_ENV, PEER_STAMP_HEADER } from "../security/client-ip";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken, LAST_USED_INTERVAL_MS } from "../services/tokens";
import { setUserDisabled, setUserPassword, setUserRole } from "../services/users";
import { createTestRuntime, ON_POSTGRES, seedUser, type TestRuntime } from "../testing/harness";
import { handleRest } from "./rest-handler";
import { handleTrpc } from "./trpc-handler";

/**
 * API tokens end to end, through the real HTTP doors with real Request
 * objects: REST (`handleRest`) and tRPC (`handleTrpc`).
 */

const ORIGIN = "http://localhost:3000";
const NO_ERROR = 'Bearer realm="gatehouse"';
const INVALID_TOKEN = 'Bearer realm="gatehouse", error="invalid_token"';
const INVALID_REQUEST = 'Bearer realm="gatehouse", error="invalid_request"';
const MINUTE = 60_000;
const DAY = 86_400_000;

type Auth = { token?: string; authorization?: string; headers?: Record<string, string> };

function headersFor(auth: Auth, extra: Record<string, string> = {}): Headers {
  const headers = new Headers({ ...extra, ...auth.headers });
  if (auth.token) headers.set("authorization", `Bearer ${auth.token}`);
  if (auth.authorization !== undefined) headers.set("authorization", auth.authorization);
  return headers;
}

function rest(rt: TestRuntime, method: string, path: string, auth: Auth = {}, body?: unknown): Promise<Response> {
  const headers = headersFor(auth, body === undefined ? {} : { "content-type": "application/json" });
  return handleRest(
    new Request(`${ORIGIN}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    rt,
  );
}

function trpcQuery(rt: TestRuntime, path: string, input: unknown, auth: Auth = {}): Promise<Response> {
  const url = `${ORIGIN}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
  return handleTrpc(new Request(url, { headers: headersFor(auth) }), rt);
}

function trpcMutation(rt: TestRuntime, path: string, input: unknown, auth: Auth = {}): Promise<Response> {
  const headers = headersFor(auth, { "content-type": "application/json", origin: ORIGIN });
  return handleTrpc(
    new Request(`${ORIGIN}/api/trpc/${path}`, { method: "POST", headers, body: JSON.stringify(input) }),
    rt,
  );
}

async function expectProblem(res: Response, status: number, challenge: string | null, type?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("www-authenticate")).toBe(challenge);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = await res.json();
  expect(body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  if (type) expect(body.type).toBe(type);
  return body;
}

describe("API tokens over HTTP", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let bob: Awaited<ReturnType<typeof seedUser>>;

  const svc = () => ({
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "test" },
  });
  const issue = async (userId: string, scopes: string[], expiresInMs?: number) =>
    (await createToken(svc(), userId, { name: "test", scopes, expiresInMs })).token;
  const auditCount = async () => (await rt.db.select().from(auditLog).all()).length;
  /**
   * Every application row, serialised: "no write" means this does not change.
   * Rate-limit bookkeeping is left out — the limiter counts every request,
   * credential or not, and is not a write the credential caused.
   */
  const appState = () => {
    const tables = sqliteOf(rt.db)
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite%' and name not like 'rate_limit%'",
      )
      .all() as Array<{ name: string }>;
    return JSON.stringify(tables.map(({ name }) => [name, sqliteOf(rt.db).prepare(`select * from "${name}"`).all()]));
  };
  /**
   * The statements that looked at credentials. Other layers (rate limiting,
   * CORS) prepare their own statements; what matters here is that a bad
   * credential is never looked up.
   */
  const credentialLookups = (spy: { mock: { calls: unknown[][] } }) =>
    spy.mock.calls.map((call) => String(call[0])).filter((sql) => /\b(api_tokens|users|sessions)\b/.test(sql));

  beforeEach(async () => {
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com");
    bob = await seedUser(rt, "bob@example.com");
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe("rejections", () => {
    it("no credential: 401 with a bare Bearer challenge on both doors", async () => {
      await expectProblem(
        await rest(rt, "GET", "/contacts"),
        401,
        NO_ERROR,
        "urn:gatehouse:problem:missing_credentials",
      );
      const res = await trpcQuery(rt, "contacts.list", {});
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe(NO_ERROR);
    });

    it("another scheme counts as no credential (RFC 6750 §3), and on tRPC the session cookie still works", async () => {
      await expectProblem(await rest(rt, "GET", "/contacts", { authorization: "Basic dXNlcjpwYXNz" }), 401, NO_ERROR);
      const cookie = `${sessionCookieName(false)}=${await encode({
        token: { sid: alice.session.id },
        secret: rt.config.authSecret,
        salt: sessionCookieName(false),
      })}`;
      const viaCookie = await trpcQuery(rt, "contacts.list", {}, { authorization: "Basic abc", headers: { cookie } });
      expect(viaCookie.status).toBe(200);
      // REST never honours the cookie, whatever else is sent.
      await expectProblem(await rest(rt, "GET", "/contacts", { headers: { cookie } }), 401, NO_ERROR);
    });

    // Watches the statements SQLite prepares and compares every table of the file.
    it.skipIf(ON_POSTGRES)(
      "unknown, malformed, lower-cased and bad-checksum tokens: 401 invalid_token, without a credential lookup or a write",
      async () => {
        const token = await issue(alice.user.id, ["contacts:read"]);
        const stateBefore = appState();
        const prepare = vi.spyOn(sqliteOf(rt.db), "prepare");
        const checksumFlipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
        const candidates = [
          token.toLowerCase(),
          checksumFlipped,
          token.slice(0, -1),
          `${token}x`,
          `ghp_${token.slice(4)}`,
          "not-a-token",
          "eyJhbGciOiJIUzI1NiJ9.e30.x",
        ];
        for (const candidate of candidates) {
          await expectProblem(
            await rest(rt, "GET", "/contacts", { token: candidate }),
            401,
            INVALID_TOKEN,
            "urn:gatehouse:problem:invalid_token",
          );
          const res = await trpcQuery(rt, "contacts.list", {}, { token: candidate });
          expect(res.status).toBe(401);
          expect(res.headers.get("www-authenticate")).toBe(INVALID_TOKEN);
        }
        expect(credentialLookups(prepare)).toEqual([]);
        expect(appState()).toBe(stateBefore);
        // The spy does see lookups: a live token takes one (and its first use records itself).
        expect((await rest(rt, "GET", "/contacts", { token })).status).toBe(200);
        expect(credentialLookups(prepare).length).toBeGreaterThan(0);
      },
    );

    // Watches the statements SQLite prepares and compares every table of the file.
    it.skipIf(ON_POSTGRES)(
      "a well-formed token that was never issued: 401 invalid_token after one indexed lookup",
      async () => {
        await issue(alice.user.id, ["contacts:read"]);
        const prepare = vi.spyOn(sqliteOf(rt.db), "prepare");
        await expectProblem(await rest(rt, "GET", "/contacts", { token: generateToken() }), 401, INVALID_TOKEN);
        const lookups = credentialLookups(prepare);
        expect(lookups).toHaveLength(1);
        const sql = String(lookups[0]);
        prepare.mockRestore();
        const plan = sqliteOf(rt.db).prepare(`explain query plan ${sql}`).all("x") as Array<{ detail: string }>;
        expect(plan.map((row) => row.detail).join("\n")).toMatch(/USING INDEX api_tokens_hash_unique/);
      },
    );

    // Watches the statements SQLite prepares and compares every table of the file.
    it.skipIf(ON_POSTGRES)(
      "malformed Authorization headers: 400 invalid_request on both doors, before any query or write",
      async () => {
        const token = await issue(alice.user.id, ["contacts:read"]);
        const before = await auditCount();
        const stateBefore = appState();
        const prepare = vi.spyOn(sqliteOf(rt.db), "prepare");
        const twoHeaders = new Headers();
        twoHeaders.append("authorization", `Bearer ${token}`);
        twoHeaders.append("authorization", `Bearer ${token}`);
        const cases: Auth[] = [
          { headers: Object.fromEntries(twoHeaders) }, // "Bearer a, Bearer b"
          { authorization: `Basic abc, Bearer ${token}` },
          { authorization: `Bearer ${token.slice(0, 20)} ${token.slice(20)}` },
          { authorization: "Bearer" },
          { authorization: "" },
          { authorization: `Bearer ${"A".repeat(10 * 1024)}` },
          { authorization: `Basic ${"A".repeat(10 * 1024)}` },
        ];
        for (const auth of cases) {
          const body = await expectProblem(
            await rest(rt, "POST", "/contacts", auth, { name: "X", email: "x@example.com" }),
            400,
            INVALID_REQUEST,
            "urn:gatehouse:problem:invalid_request",
          );
          expect(JSON.stringify(body)).not.toContain(token);
          const viaTrpc = await trpcMutation(rt, "contacts.create", { name: "X", email: "x@example.com" }, auth);
          await expectProblem(viaTrpc, 400, INVALID_REQUEST);
        }
        expect(credentialLookups(prepare)).toEqual([]);
        expect(appState()).toBe(stateBefore);
        expect(await auditCount()).toBe(before);
        expect(await rt.db.select().from(contacts).all()).toHaveLength(0);
      },
    );

    it("refuses a token in the query string with 400 invalid_request, even a valid one", async () => {
      const token = await issue(alice.user.id, ["contacts:read"]);
      for (const query of [`access_token=${token}`, `api_key=${token}`, "access_token=x", `cursor=${token}`]) {
        await expectProblem(await rest(rt, "GET", `/contacts?${query}`), 400, INVALID_REQUEST);
        // Also alongside a good header: a credential in the URL is refused, not ignored.
        await expectProblem(await rest(rt, "GET", `/contacts?${query}`, { token }), 400, INVALID_REQUEST);
        const viaTrpc = await handleTrpc(
          new Request(`${ORIGIN}/api/trpc/contacts.list?input=%7B%7D&${query}`, { headers: headersFor({ token }) }),
          rt,
        );
        expect(viaTrpc.status).toBe(400);
      }
      expect((await rt.db.select().from(apiTokens).get())?.lastUsedAt).toBeNull();
    });

    it("expired: 401 invalid_token from the expiry instant on", async () => {
      const token = await issue(alice.user.id, ["contacts:read"], DAY);
      rt.clock.advance(DAY - 1);
      expect((await rest(rt, "GET", "/contacts", { token })).status).toBe(200);
      rt.clock.advance(1);
      await expectProblem(await rest(rt, "GET", "/contacts", { token }), 401, INVALID_TOKEN);
      expect((await trpcQuery(rt, "contacts.list", {}, { token })).status).toBe(401);
    });

    it("revoked: refused on the very next request", async () => {
      const token = await issue(alice.user.id, ["contacts:read", "tokens:read", "tokens:write"]);
      const list = await (await rest(rt, "GET", "/tokens", { token })).json();
      const id = list.items[0].id;
      const revoked = await rest(rt, "POST", `/tokens/${id}/revoke`, { token }, {});
      expect(revoked.status).toBe(200);
      expect(await revoked.json()).toMatchObject({ id, status: "revoked" });
      await expectProblem(await rest(rt, "GET", "/contacts", { token }), 401, INVALID_TOKEN);
      expect((await trpcQuery(rt, "contacts.list", {}, { token })).status).toBe(401);
    });

    it("disabled owner: 401 invalid_token; enabling the owner again brings the token back", async () => {
      const token = await issue(alice.user.id, ["contacts:read"]);
      await setUserDisabled(svc(), alice.user.id, true);
      await expectProblem(await rest(rt, "GET", "/contacts", { token }), 401, INVALID_TOKEN);
      expect((await trpcQuery(rt, "contacts.list", {}, { token })).status).toBe(401);
      await setUserDisabled(svc(), alice.user.id, false);
      expect((await rest(rt, "GET", "/contacts", { token })).status).toBe(200);
    });

    it("an owner who must change their password can do nothing else with a token either", async () => {
      const token = await issue(alice.user.id, ["contacts:read"]);
      await setUserPassword(svc(), alice.user.id, "a new one-time password", { mustChange: true });
      await expectProblem(
        await rest(rt, "GET", "/contacts", { token }),
        403,
        null,
        "urn:gatehouse:problem:password_change_required",
      );
    });
  });

  describe("scopes", () => {
    it("a read-only token reads but cannot create, update or delete, on either door", async () => {
      const writer = await issue(alice.user.id, ["contacts:read", "contacts:write"]);
      const reader = await issue(alice.user.id, ["contacts:read"]);
      const created = await (
        await rest(rt, "POST", "/contacts", { token: writer }, { name: "Ada", email: "ada@example.com" })
      ).json();
      expect(created.id).toMatch(/^con_/);

      expect((await rest(rt, "GET", "/contacts", { token: reader })).status).toBe(200);
      expect((await rest(rt, "GET", `/contacts/${created.id}`, { token: reader })).status).toBe(200);
      const writes: Array<[string, string, unknown]> = [
        ["POST", "/contacts", { name: "Eve", email: "eve@example.com" }],
        ["PATCH", `/contacts/${created.id}`, { name: "Changed" }],
        ["DELETE", `/contacts/${created.id}`, undefined],
      ];
      for (const [method, path, body] of writes) {
        const problemBody = await expectProblem(
          await rest(rt, method, path, { token: reader }, body),
          403,
          'Bearer realm="gatehouse", error="insufficient_scope", scope="contacts:write"',
          "urn:gatehouse:problem:insufficient_scope",
        );
        expect(problemBody.scopes).toEqual(["contacts:write"]);
      }

      expect((await trpcQuery(rt, "contacts.list", {}, { token: reader })).status).toBe(200);
      const trpcWrites: Array<[string, unknown]> = [
        ["contacts.create", { name: "Eve", email: "eve@example.com" }],
        ["contacts.update", { id: created.id, name: "Changed" }],
        ["contacts.delete", { id: created.id }],
      ];
      for (const [path, input] of trpcWrites) {
        const res = await trpcMutation(rt, path, input, { token: reader });
        expect(res.status).toBe(403);
        expect(res.headers.get("www-authenticate")).toBe(
          'Bearer realm="gatehouse", error="insufficient_scope", scope="contacts:write"',
        );
        expect((await res.json()).error.data.reason).toBe("insufficient_scope");
      }
      expect(
        (await trpcMutation(rt, "contacts.update", { id: created.id, notes: "ok" }, { token: writer })).status,
      ).toBe(200);

      const rows = await rt.db.select().from(contacts).all();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.name).toBe("Ada");
    });

    it("a token without tokens:read cannot list tokens, and none can reach the admin procedures without the role", async () => {
      const token = await issue(alice.user.id, ["contacts:read"]);
      await expectProblem(
        await rest(rt, "GET", "/tokens", { token }),
        403,
        'Bearer realm="gatehouse", error="insufficient_scope", scope="tokens:read"',
      );
      expect((await trpcQuery(rt, "admin.users.list", {}, { token })).status).toBe(403);
    });

    it("another user's contact with a valid token is 404, and stays untouched", async () => {
      const alices = await issue(alice.user.id, ["contacts:read", "contacts:write"]);
      const bobs = await issue(bob.user.id, ["contacts:read", "contacts:write"]);
      const contact = await (
        await rest(rt, "POST", "/contacts", { token: alices }, { name: "Ada", email: "ada@example.com" })
      ).json();
      for (const [method, body] of [
        ["GET", undefined],
        ["PATCH", { name: "Stolen" }],
        ["DELETE", undefined],
      ] as const) {
        const res = await rest(rt, method, `/contacts/${contact.id}`, { token: bobs }, body);
        expect(res.status).toBe(404);
        expect(JSON.stringify(await res.json())).not.toContain("ada@example.com");
      }
      expect((await (await rest(rt, "GET", "/contacts", { token: bobs })).json()).items).toEqual([]);
      expect((await trpcQuery(rt, "contacts.get", { id: contact.id }, { token: bobs })).status).toBe(404);
      expect((await rt.db.select().from(contacts).where(eq(contacts.id, contact.id)).get())?.name).toBe("Ada");
    });

    it("a demoted owner's token loses the admin scope on the next request", async () => {
      const admin = await seedUser(rt, "root@example.com", "admin");
      await seedUser(rt, "root2@example.com", "admin"); // so the first may be demoted
      const token = await issue(admin.user.id, ["admin", "contacts:read"]);
      expect((await trpcQuery(rt, "admin.users.list", {}, { token })).status).toBe(200);
      await setUserRole(svc(), admin.user.id, "member");
      const res = await trpcQuery(rt, "admin.users.list", {}, { token });
      expect(res.status).toBe(403);
      expect(res.headers.get("www-authenticate")).toBe(
        'Bearer realm="gatehouse", error="insufficient_scope", scope="admin"',
      );
      // What the role still allows keeps working.
      expect((await rest(rt, "GET", "/contacts", { token })).status).toBe(200);
      await setUserRole(svc(), admin.user.id, "admin");
      expect((await trpcQuery(rt, "admin.users.list", {}, { token })).status).toBe(200);
    });

    it("creation with a scope beyond the owner's role or the caller's token is refused", async () => {
      const token = await issue(alice.user.id, ["contacts:read", "tokens:write"]);
      const beyondRole = await rest(rt, "POST", "/tokens", { token }, { name: "x", scopes: ["admin"] });
      await expectProblem(beyondRole, 403, null, "urn:gatehouse:problem:scope_exceeds_role");
      const beyondToken = await rest(rt, "POST", "/tokens", { token }, { name: "x", scopes: ["contacts:write"] });
      await expectProblem(beyondToken, 403, null, "urn:gatehouse:problem:scope_not_held");
      expect(await rt.db.select().from(apiTokens).all()).toHaveLength(1);
    });
  });

  describe("CSRF on the tRPC door", () => {
    it("does not ask a Bearer mutation for an Origin, but still does when the cookie is what authenticates", async () => {
      const token = await issue(alice.user.id, ["contacts:write"]);
      const post = (headers: Record<string, string>) =>
        handleTrpc(
          new Request(`${ORIGIN}/api/trpc/contacts.create`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body: JSON.stringify({ name: "Ada", email: "ada@example.com" }),
          }),
          rt,
        );
      expect((await post({ authorization: `Bearer ${token}` })).status).toBe(200);
      const cookie = `${sessionCookieName(false)}=${await encode({
        token: { sid: alice.session.id },
        secret: rt.config.authSecret,
        salt: sessionCookieName(false),
      })}`;
      expect((await post({ cookie })).status).toBe(403);
      expect((await post({ cookie, authorization: "Basic dXNlcjpwYXNz", origin: "https://evil.example" })).status).toBe(
        403,
      );
      // A bad Bearer token next to a good cookie is just a bad token: the cookie is not used.
      expect((await post({ cookie, authorization: `Bearer ${token.toLowerCase()}` })).status).toBe(401);
      expect(await rt.db.select().from(contacts).all()).toHaveLength(1);
    });
  });

  describe("lifecycle over REST", () => {
    it("creates (shown once), lists, and audits as the token acting for its owner", async () => {
      const token = await issue(alice.user.id, ["contacts:read", "tokens:read", "tokens:write"]);
      const res = await rest(rt, "POST", "/tokens", { token }, { name: "child", scopes: ["contacts:read"] });
      expect(res.status).toBe(201);
      const created = await res.json();
      expect(created.token).toMatch(/^gth_/);
      expect((await rest(rt, "GET", "/contacts", { token: created.token })).status).toBe(200);
      const listed = await (await rest(rt, "GET", "/tokens?status=active&limit=10", { token })).json();
      expect(listed.total).toBe(2);
      expect(JSON.stringify(listed)).not.toContain(created.token);

      const parent = await rt.db.select().from(apiTokens).where(eq(apiTokens.name, "test")).get();
      const entry = await rt.db.select().from(auditLog).where(eq(auditLog.targetId, created.id)).get();
      expect(entry).toMatchObject({ actorKind: "token", actorId: parent?.id, action: "token.create" });
      expect(entry?.detail).toMatchObject({ actorUserId: alice.user.id, ownerId: alice.user.id });
    });

    it("rotation: the old token works until the end of the grace period, then 401; the new one works", async () => {
      const old = await issue(alice.user.id, ["contacts:read", "tokens:write"]);
      const id = (await rt.db.select().from(apiTokens).get())?.id;
      const rotated = await (
        await rest(rt, "POST", `/tokens/${id}/rotate`, { token: old }, { graceSeconds: 3600 })
      ).json();
      expect(rotated.previous.graceUntil).toBe(new Date(rt.clock.now().getTime() + 3600_000).toISOString());

      rt.clock.advance(3600_000 - 1);
      expect((await rest(rt, "GET", "/contacts", { token: old })).status).toBe(200);
      expect((await trpcQuery(rt, "contacts.list", {}, { token: old })).status).toBe(200);
      rt.clock.advance(1);
      await expectProblem(await rest(rt, "GET", "/contacts", { token: old }), 401, INVALID_TOKEN);
      expect((await trpcQuery(rt, "contacts.list", {}, { token: old })).status).toBe(401);
      expect((await rest(rt, "GET", "/contacts", { token: rotated.token })).status).toBe(200);
    });

    it("revoke-all ends every session and every token of the caller in one step", async () => {
      const token = await issue(alice.user.id, ["contacts:read", "tokens:write"]);
      const other = await issue(alice.user.id, ["contacts:read"]);
      const bobs = await issue(bob.user.id, ["contacts:read"]);
      const res = await rest(rt, "POST", "/tokens/revoke-all", { token }, {});
      expect(await res.json()).toEqual({ sessionsEnded: 1, tokensRevoked: 2, oauthGrantsRevoked: 0 });
      for (const t of [token, other])
        await expectProblem(await rest(rt, "GET", "/contacts", { token: t }), 401, INVALID_TOKEN);
      expect(await rt.db.select().from(sessions).where(eq(sessions.userId, alice.user.id)).all()).toHaveLength(0);
      expect((await rest(rt, "GET", "/contacts", { token: bobs })).status).toBe(200);
    });
  });

  describe("last use", () => {
    const STAMP = "test-peer-stamp-0123456789";
    const from = (ip: string) => ({ [PEER_HEADER]: ip, [PEER_STAMP_HEADER]: STAMP });

    beforeEach((context) => {
      // Counts writes with a SQLite trigger.
      if (ON_POSTGRES) context.skip();
      vi.stubEnv(PEER_STAMP_ENV, STAMP);
      sqliteOf(rt.db).exec(`
        create temp table token_writes (n integer not null);
        insert into token_writes values (0);
        create temp trigger count_token_writes after update on api_tokens
        begin update token_writes set n = n + 1; end;
      `);
    });
    afterEach(() => {
      vi.unstubAllEnvs();
    });
    const writes = () => (sqliteOf(rt.db).prepare("select n from temp.token_writes").get() as { n: number }).n;

    it("records time and IP at most once a minute per token", async () => {
      const token = await issue(alice.user.id, ["contacts:read"]);
      const t0 = rt.clock.now();
      expect((await rest(rt, "GET", "/contacts", { token, headers: from("203.0.113.7") })).status).toBe(200);
      rt.clock.advance(MINUTE / 2);
      expect((await rest(rt, "GET", "/contacts", { token, headers: from("198.51.100.9") })).status).toBe(200);
      expect((await trpcQuery(rt, "contacts.list", {}, { token, headers: from("198.51.100.9") })).status).toBe(200);
      expect(writes()).toBe(1);
      expect(await rt.db.select().from(apiTokens).get()).toMatchObject({ lastUsedAt: t0, lastUsedIp: "203.0.113.7" });

      rt.clock.advance(LAST_USED_INTERVAL_MS / 2);
      expect((await rest(rt, "GET", "/contacts", { token, headers: from("198.51.100.9") })).status).toBe(200);
      expect(writes()).toBe(2);
      expect(await rt.db.select().from(apiTokens).get()).toMatchObject({
        lastUsedAt: rt.clock.now(),
        lastUsedIp: "198.51.100.9",
      });
    });

    it("coalesces many requests at the same instant into one write", async () => {
      const token = await issue(alice.user.id, ["contacts:read"]);
      const results = await Promise.all(Array.from({ length: 20 }, () => rest(rt, "GET", "/contacts", { token })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(writes()).toBe(1);
    });
  });
});
