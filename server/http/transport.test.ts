import { encode } from "next-auth/jwt";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { contacts } from "@/db/schema";
import { sessionCookieName } from "../auth/session-cookie";
import {
  PEER_HEADER,
  PEER_STAMP_ENV,
  PEER_STAMP_HEADER,
  PEER_TLS_HEADER,
  parseTrustedProxies,
} from "../security/client-ip";
import { HSTS } from "../security/headers";
import { SYSTEM_ACTOR } from "../services/audit";
import type { ServiceContext } from "../services/context";
import { addCorsOrigin, removeCorsOrigin } from "../services/cors-origins";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { guardApi } from "./api-guard";
import { refuseCrossSiteAuthPost } from "./auth-guard";
import { handleRest } from "./rest-handler";
import { handleTrpc } from "./trpc-handler";

/**
 * The transport rules of the two API doors, through the real handlers with
 * standard Requests: HTTPS enforcement (with the peer stamp of
 * scripts/server.mjs), CORS from the allow-list, CSRF and the security
 * headers on every kind of answer. Each test attacks: it fails if the
 * protection is gone.
 */

const STAMP = "transport-test-stamp";
const APP = "http://localhost:3000";
const PARTNER = "https://partner.example.com";

/** Headers as scripts/server.mjs would stamp them for a connection from `peer`. */
function fromPeer(peer: string, tls: boolean, extra: Record<string, string> = {}): Record<string, string> {
  return { [PEER_HEADER]: peer, [PEER_TLS_HEADER]: tls ? "1" : "0", [PEER_STAMP_HEADER]: STAMP, ...extra };
}

function accessControlHeaders(res: Response): string[] {
  return [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));
}

function expectSecurityHeaders(res: Response) {
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("permissions-policy")).toMatch(/camera=\(\).*microphone=\(\).*geolocation=\(\)/);
  expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
  expect(res.headers.has("x-powered-by")).toBe(false);
}

beforeAll(() => {
  process.env[PEER_STAMP_ENV] = STAMP;
});

let rt: TestRuntime;
let token: string;
let svc: ServiceContext;
let alice: Awaited<ReturnType<typeof seedUser>>;

async function setUp(overrides: Parameters<typeof createTestRuntime>[0] = {}) {
  rt = createTestRuntime(overrides);
  if (overrides.trustedProxies) rt.trustedProxies = parseTrustedProxies(overrides.trustedProxies);
  alice = await seedUser(rt, "alice@example.com");
  svc = { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "t" } };
  token = (await createToken(svc, alice.user.id, { name: "t", scopes: ["contacts:read", "contacts:write"] })).token;
}

const contactCount = async () => (await rt.db.select().from(contacts).all()).length;

describe("CORS on the API doors", () => {
  beforeEach(() => setUp());

  const rest = (path: string, init: RequestInit = {}) => handleRest(new Request(`${APP}/api/v1${path}`, init), rt);
  const trpc = (path: string, init: RequestInit = {}) => handleTrpc(new Request(`${APP}/api/trpc/${path}`, init), rt);

  it("answers a preflight from an allowed origin with 204, the exact origin, methods, headers and max age", async () => {
    await addCorsOrigin(svc, { origin: PARTNER });
    const res = await rest("/contacts", {
      method: "OPTIONS",
      headers: {
        origin: PARTNER,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(PARTNER);
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, PUT, PATCH, DELETE");
    expect(res.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.has("access-control-allow-credentials")).toBe(false);
    expectSecurityHeaders(res);

    const trpcPreflight = await trpc("contacts.list", { method: "OPTIONS", headers: { origin: PARTNER } });
    expect(trpcPreflight.status).toBe(204);
    expect(trpcPreflight.headers.get("access-control-allow-methods")).toBe("GET, POST");
  });

  it("lets an allowed origin read a token call, and forgets it on the next request after removal", async () => {
    const entry = await addCorsOrigin(svc, { origin: PARTNER });
    const call = () => rest("/contacts", { headers: { origin: PARTNER, authorization: `Bearer ${token}` } });
    const allowed = await call();
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(PARTNER);
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(/X-Request-Id/);
    expectSecurityHeaders(allowed);

    await removeCorsOrigin(svc, { id: entry.id });
    const refused = await call();
    expect(accessControlHeaders(refused)).toEqual([]);
    expect(refused.headers.get("vary")).toMatch(/Origin/);
    const preflight = await rest("/contacts", { method: "OPTIONS", headers: { origin: PARTNER } });
    expect(preflight.status).toBe(204);
    expect(accessControlHeaders(preflight)).toEqual([]);
  });

  it("gives near misses and bad Origin headers no Access-Control-* header at all, and never a 500", async () => {
    await addCorsOrigin(svc, { origin: PARTNER, allowCredentials: true });
    for (const origin of [
      "https://partner.example.com.evil.com",
      "http://partner.example.com",
      "https://partner.example.com/",
      "https://partner.example.com:444",
      "https://PARTNER.example.com",
      "null",
      "https://partner.example.com/path",
      "https://pärtner.example.com",
      "%00",
      `https://${"a".repeat(8000)}.example.com`,
    ]) {
      for (const method of ["OPTIONS", "GET"]) {
        const res = await rest("/contacts", { method, headers: { origin, authorization: `Bearer ${token}` } });
        expect(res.status, `${method} ${origin.slice(0, 60)}`).toBeLessThan(500);
        expect(accessControlHeaders(res), origin.slice(0, 60)).toEqual([]);
        expect(res.headers.get("vary")).toMatch(/Origin/);
      }
    }
  });

  it("sends Allow-Credentials only for an origin flagged so, never with *", async () => {
    await addCorsOrigin(svc, { origin: PARTNER, allowCredentials: true });
    await addCorsOrigin(svc, { origin: "*", confirmWildcard: true });
    const flagged = await rest("/contacts", { headers: { origin: PARTNER, authorization: `Bearer ${token}` } });
    expect(flagged.headers.get("access-control-allow-origin")).toBe(PARTNER);
    expect(flagged.headers.get("access-control-allow-credentials")).toBe("true");
    const other = await rest("/contacts", {
      headers: { origin: "https://random.example.org", authorization: `Bearer ${token}` },
    });
    expect(other.headers.get("access-control-allow-origin")).toBe("*");
    expect(other.headers.has("access-control-allow-credentials")).toBe(false);
  });
});

describe("CSRF on cookie-authenticated writes", () => {
  beforeEach(() => setUp());

  async function cookie(): Promise<string> {
    const name = sessionCookieName(rt.config.secure);
    const value = await encode({
      token: { sub: alice.user.id, sid: alice.session.id },
      secret: rt.config.authSecret,
      salt: name,
    });
    return `${name}=${value}`;
  }

  const createContact = async (
    headers: Record<string, string>,
    body = JSON.stringify({ name: "Csrf Victim", email: "victim@example.com" }),
  ) =>
    handleTrpc(
      new Request(`${APP}/api/trpc/contacts.create`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie: await cookie(), ...headers },
        body,
      }),
      rt,
    );

  it("accepts our own origin and an allow-listed origin flagged for credentials", async () => {
    expect((await createContact({ origin: APP })).status).toBe(200);
    await addCorsOrigin(svc, { origin: PARTNER, allowCredentials: true });
    const res = await createContact({ origin: PARTNER });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(await contactCount()).toBe(2);
  });

  it("refuses an allowed origin without credentials, the wildcard, a stranger and no origin at all — changing nothing", async () => {
    await addCorsOrigin(svc, { origin: PARTNER });
    await addCorsOrigin(svc, { origin: "*", confirmWildcard: true });
    const attempts: Record<string, string>[] = [
      { origin: PARTNER },
      { origin: "https://evil.example" },
      { origin: "null" },
      { referer: "https://evil.example/page" },
      {},
    ];
    for (const headers of attempts) {
      const res = await createContact(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { type: string }).type).toBe("urn:gatehouse:problem:csrf");
    }
    expect(await contactCount()).toBe(0);
  });

  it("refuses form-encoded and text/plain bodies where JSON is expected with 415", async () => {
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      const viaTrpc = await createContact({ origin: APP, "content-type": type }, "name=Forged");
      expect(viaTrpc.status, type).toBe(415);
      const viaRest = await handleRest(
        new Request(`${APP}/api/v1/contacts`, {
          method: "POST",
          headers: { "content-type": type, authorization: `Bearer ${token}` },
          body: '{"name":"Forged","email":"forged@example.com"}',
        }),
        rt,
      );
      expect(viaRest.status, type).toBe(415);
      expectSecurityHeaders(viaRest);
    }
    expect(await contactCount()).toBe(0);
  });

  it("guards NextAuth's POSTs (sign-out, sign-in) by Origin too", async () => {
    const post = (headers: Record<string, string>) =>
      refuseCrossSiteAuthPost(new Request(`${APP}/api/auth/signout`, { method: "POST", headers }), rt);
    expect(await post({ origin: APP })).toBeNull();
    expect(await post({ referer: `${APP}/contacts` })).toBeNull();
    expect((await post({ origin: "https://evil.example" }))?.status).toBe(403);
    expect((await post({}))?.status).toBe(403);
    await addCorsOrigin(svc, { origin: PARTNER });
    expect((await post({ origin: PARTNER }))?.status).toBe(403);
    await addCorsOrigin(svc, { origin: "https://cookies.example.com", allowCredentials: true });
    expect(await post({ origin: "https://cookies.example.com" })).toBeNull();
  });
});

describe("HTTPS enforcement (APP_URL https)", () => {
  beforeEach(() =>
    setUp({ appUrl: new URL("https://gatehouse.example.com"), secure: true, trustedProxies: ["10.0.0.5"] }),
  );

  const create = (headers: Record<string, string>) =>
    handleRest(
      new Request("http://gatehouse.example.com/api/v1/contacts", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
        body: JSON.stringify({ name: "Over Plain Http", email: "plain@example.com" }),
      }),
      rt,
    );

  it("refuses a plain-HTTP API call with 403 https_required and does not process it", async () => {
    const res = await create(fromPeer("203.0.113.9", false));
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(((await res.json()) as { type: string }).type).toBe("urn:gatehouse:problem:https_required");
    expect(res.headers.has("strict-transport-security")).toBe(false);
    expectSecurityHeaders(res);
    expect(await contactCount()).toBe(0);
  });

  it("ignores X-Forwarded-Proto from an untrusted peer, and from an unstamped request", async () => {
    const spoofed = await create(fromPeer("203.0.113.9", false, { "x-forwarded-proto": "https" }));
    expect(spoofed.status).toBe(403);
    // No peer stamp (e.g. served without scripts/server.mjs): treated as plain HTTP from nowhere.
    const unstamped = await create({ "x-forwarded-proto": "https" });
    expect(unstamped.status).toBe(403);
    // A forged stamp is no better.
    const forged = await create({ ...fromPeer("10.0.0.5", true), [PEER_STAMP_HEADER]: "guess" });
    expect(forged.status).toBe(403);
    expect(await contactCount()).toBe(0);
  });

  it("serves https directly or through a trusted proxy, with HSTS", async () => {
    const direct = await create(fromPeer("203.0.113.9", true));
    expect(direct.status).toBe(201);
    expect(direct.headers.get("strict-transport-security")).toBe(HSTS);
    const proxied = await create(
      fromPeer("10.0.0.5", false, { "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7" }),
    );
    expect(proxied.status).toBe(201);
    expect(proxied.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
    expect(await contactCount()).toBe(2);
  });

  it("refuses a plain-HTTP preflight too, and the tRPC door alike", async () => {
    const preflight = await handleRest(
      new Request("http://gatehouse.example.com/api/v1/contacts", {
        method: "OPTIONS",
        headers: fromPeer("203.0.113.9", false, { origin: PARTNER }),
      }),
      rt,
    );
    expect(preflight.status).toBe(403);
    const trpc = await handleTrpc(
      new Request("http://gatehouse.example.com/api/trpc/contacts.list", {
        headers: fromPeer("203.0.113.9", false, { authorization: `Bearer ${token}` }),
      }),
      rt,
    );
    expect(trpc.status).toBe(403);
  });
});

describe("development (APP_URL http://localhost)", () => {
  beforeEach(() => setUp());

  it("blocks nothing over plain HTTP and sends no HSTS", async () => {
    const res = await handleRest(
      new Request(`${APP}/api/v1/contacts`, {
        headers: fromPeer("127.0.0.1", false, { authorization: `Bearer ${token}` }),
      }),
      rt,
    );
    expect(res.status).toBe(200);
    expect(res.headers.has("strict-transport-security")).toBe(false);
  });
});

describe("security headers on every kind of API answer", () => {
  beforeEach(() => setUp({ maxBodyBytes: 2048 }));

  it.each([
    [
      "200 JSON",
      () => handleRest(new Request(`${APP}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } }), rt),
      200,
    ],
    ["401", () => handleRest(new Request(`${APP}/api/v1/contacts`), rt), 401],
    [
      "400 bad input",
      () =>
        handleRest(
          new Request(`${APP}/api/v1/contacts`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ name: "" }),
          }),
          rt,
        ),
      400,
    ],
    [
      "404 REST",
      () => handleRest(new Request(`${APP}/api/v1/nowhere`, { headers: { authorization: `Bearer ${token}` } }), rt),
      404,
    ],
    ["404 tRPC", () => handleTrpc(new Request(`${APP}/api/trpc/nowhere.at.all`), rt), 404],
    [
      "413",
      () =>
        handleRest(
          new Request(`${APP}/api/v1/contacts`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ name: "x".repeat(5000) }),
          }),
          rt,
        ),
      413,
    ],
    ["tRPC 401", () => handleTrpc(new Request(`${APP}/api/trpc/contacts.list`), rt), 401],
  ] as const)("%s", async (_name, call, status) => {
    const res = await call();
    expect(res.status).toBe(status);
    expectSecurityHeaders(res);
  });
});

describe("the guard around whatever a door answers", () => {
  beforeEach(() => setUp({ appUrl: new URL("https://gatehouse.example.com"), secure: true }));

  it("puts the security headers, HSTS and the CORS grant on a 429 (or any answer) the handler made", async () => {
    await addCorsOrigin(svc, { origin: PARTNER });
    const limited = () =>
      new Response(JSON.stringify({ title: "Too many requests" }), {
        status: 429,
        headers: { "content-type": "application/problem+json", "retry-after": "7", "x-powered-by": "leaky" },
      });
    const res = await guardApi(
      new Request("https://gatehouse.example.com/api/v1/contacts", {
        headers: fromPeer("203.0.113.9", true, { origin: PARTNER }),
      }),
      rt,
      "rest",
      async () => limited(),
    );
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expectSecurityHeaders(res);
    expect(res.headers.get("strict-transport-security")).toBe(HSTS);
    expect(res.headers.get("access-control-allow-origin")).toBe(PARTNER);
    expect(res.headers.get("access-control-expose-headers")).toMatch(/Retry-After/);
  });

  it("never reaches the handler over plain HTTP", async () => {
    let reached = false;
    const res = await guardApi(
      new Request("http://gatehouse.example.com/api/oauth/token", {
        method: "POST",
        headers: fromPeer("203.0.113.9", false),
      }),
      rt,
      "oauth",
      async () => {
        reached = true;
        return new Response("{}");
      },
    );
    expect(res.status).toBe(403);
    expect(reached).toBe(false);
  });
});
