import { NextRequest } from "next/server";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { closeDatabase } from "@/db";
import { PEER_HEADER, PEER_STAMP_ENV, PEER_STAMP_HEADER, PEER_TLS_HEADER } from "../security/client-ip";
import { PREFLIGHT_VARY } from "../security/cors";
import { pageCsp } from "../security/headers";
import { SYSTEM_ACTOR } from "../services/audit";
import { addCorsOrigin } from "../services/cors-origins";
import { createClient } from "../services/oauth-clients";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { serveMachineEndpoint } from "./front/dispatch";
import { machineEndpointOf, rawPathOf } from "./front/endpoints";

/**
 * The media type and Vary of every machine endpoint's answer, through the
 * front's dispatch as a worker serves it (observeRequest, guardApi, the door):
 * - every JSON answer says `application/json; charset=utf-8` — REST, tRPC
 *   (success, error, batch), OAuth, the probes, the OpenAPI document — and
 *   problem+json stays `application/problem+json` (its registration, RFC 9457,
 *   defines no charset: it is UTF-8 like all JSON);
 * - a CORS preflight varies on Origin, Access-Control-Request-Method and
 *   Access-Control-Request-Headers, granted or refused, on every door;
 * - pages over https get `upgrade-insecure-requests` in their CSP, over http not.
 */

const APP = "http://localhost:3000";
const PARTNER = "https://partner.example.com";
const STAMP = "response-headers-test-stamp";
const JSON_TYPE = "application/json; charset=utf-8";

let rt: TestRuntime;
let token: string;
let cookieFree: Record<string, string>;
let oauthClient: { id: string; secret: string };

beforeAll(() => {
  process.env[PEER_STAMP_ENV] = STAMP;
});

beforeEach(async () => {
  rt = createTestRuntime();
  const alice = await seedUser(rt, "alice@example.com");
  const svc = {
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "t" },
  };
  token = (await createToken(svc, alice.user.id, { name: "t", scopes: ["contacts:read", "contacts:write"] })).token;
  await addCorsOrigin(svc, { origin: PARTNER });
  const created = await createClient(svc, {
    name: "Headers test",
    type: "confidential",
    redirectUris: [],
    grantTypes: ["client_credentials"],
    scopes: ["contacts:read"],
  });
  oauthClient = { id: created.client.id, secret: created.clientSecret as string };
  cookieFree = { [PEER_HEADER]: "198.51.100.3", [PEER_TLS_HEADER]: "0", [PEER_STAMP_HEADER]: STAMP };
});
afterEach(() => closeDatabase(rt.db));

function send(target: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  const endpoint = machineEndpointOf(rawPathOf(target));
  if (!endpoint) throw new Error(`not a machine endpoint: ${target}`);
  return serveMachineEndpoint(
    new Request(`${APP}${target}`, { ...init, headers: { ...cookieFree, ...init.headers } }),
    rt,
    endpoint,
  );
}

const bearer = () => ({ authorization: `Bearer ${token}` });
const clientCredentials = () => ({
  method: "POST",
  headers: {
    "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from(`${oauthClient.id}:${oauthClient.secret}`).toString("base64")}`,
  },
  body: "grant_type=client_credentials&scope=contacts:read",
});
const postJson = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

describe("Content-Type of JSON answers", () => {
  it("names the charset on every JSON answer, whoever wrote its body", async () => {
    const cases: Array<[string, () => Promise<Response>, number]> = [
      ["REST list", () => send("/api/v1/contacts", { headers: bearer() }), 200],
      [
        "REST create",
        () => send("/api/v1/contacts", postJson({ name: "Ada", email: "ada@example.com" }, bearer())),
        201,
      ],
      ["tRPC query", () => send("/api/trpc/contacts.list?input=%7B%7D", { headers: bearer() }), 200],
      ["tRPC error", () => send("/api/trpc/contacts.list?input=%7B%7D"), 401],
      [
        "tRPC batch",
        () =>
          send(`/api/trpc/contacts.list,contacts.list?batch=1&input=${encodeURIComponent('{"0":{},"1":{}}')}`, {
            headers: bearer(),
          }),
        200,
      ],
      ["tRPC unknown procedure", () => send("/api/trpc/nope.nothing", { headers: bearer() }), 404],
      ["OAuth metadata", () => send("/.well-known/oauth-authorization-server"), 200],
      [
        "OAuth token error",
        () =>
          send("/oauth/token", {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: "grant_type=client_credentials",
          }),
        401,
      ],
      ["OAuth token", () => send("/oauth/token", clientCredentials()), 200],
      [
        "OAuth introspection",
        async () => {
          const { access_token } = (await (await send("/oauth/token", clientCredentials())).json()) as {
            access_token: string;
          };
          return send("/oauth/introspect", { ...clientCredentials(), body: `token=${access_token}` });
        },
        200,
      ],
      ["health", () => send("/api/health"), 200],
      ["ready", () => send("/api/ready"), 200],
      ["OpenAPI document", () => send("/api/openapi.json"), 200],
    ];
    for (const [what, call, status] of cases) {
      const res = await call();
      expect(res.status, what).toBe(status);
      expect(res.headers.get("content-type"), what).toBe(JSON_TYPE);
      JSON.parse(await res.text());
    }
  });

  it("keeps problem+json and the JWK set as their own types", async () => {
    for (const [what, call] of [
      ["REST 401", () => send("/api/v1/contacts")],
      ["REST 400", () => send("/api/v1/contacts", postJson({ name: "" }, bearer()))],
      ["REST 404", () => send("/api/v1/nothing-here", { headers: bearer() })],
      [
        "REST 415",
        () =>
          send("/api/v1/contacts", {
            method: "POST",
            headers: { ...bearer(), "content-type": "text/plain" },
            body: "x",
          }),
      ],
    ] as const) {
      const res = await call();
      expect(res.headers.get("content-type"), what).toBe("application/problem+json");
    }
    const jwks = await send("/oauth/jwks");
    expect(jwks.headers.get("content-type")).toBe("application/jwk-set+json; charset=utf-8");
  });
});

describe("Vary on CORS preflights", () => {
  const preflightHeaders = (origin: string) => ({
    origin,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
  });

  for (const [door, target] of [
    ["REST", "/api/v1/contacts"],
    ["tRPC", "/api/trpc/contacts.create"],
    ["OAuth", "/oauth/token"],
  ] as const) {
    for (const [who, origin] of [
      ["an allowed origin", PARTNER],
      ["an origin not on the list", "https://stranger.example.com"],
      ["a malformed origin", "null"],
    ] as const) {
      it(`varies on Origin and the requested method and headers: ${door}, ${who}`, async () => {
        const res = await send(target, { method: "OPTIONS", headers: preflightHeaders(origin) });
        expect(res.status).toBe(204);
        const vary = (res.headers.get("vary") ?? "").split(",").map((v) => v.trim().toLowerCase());
        for (const name of PREFLIGHT_VARY) expect(vary, `${door} ${who}`).toContain(name.toLowerCase());
        expect(new Set(vary).size, "each name once").toBe(vary.length);
        expect(res.headers.get("access-control-allow-origin")).toBe(origin === PARTNER ? PARTNER : null);
      });
    }
  }

  it("still varies only on Origin on an answer that is not a preflight", async () => {
    const res = await send("/api/v1/contacts", { headers: { ...bearer(), origin: PARTNER } });
    expect(res.headers.get("vary")).toBe("Origin");
  });
});

describe("upgrade-insecure-requests on pages", () => {
  it("is in the CSP of a page served over https, and only then", () => {
    for (const dev of [false, true]) {
      for (const formRedirects of [false, true]) {
        const over = (https: boolean) => pageCsp("bm9uY2U=", { dev, formRedirects, https }).split("; ");
        expect(over(true)).toContain("upgrade-insecure-requests");
        expect(over(false)).not.toContain("upgrade-insecure-requests");
      }
    }
  });

  it("is set by proxy.ts on a page that reached us over https (directly or through a trusted proxy), not over http", async () => {
    const load = async (env: Record<string, string>) => {
      vi.resetModules();
      Object.assign(process.env, { AUTH_SECRET: "response-headers-secret-0123456789abcdef", ...env });
      return (await import("@/proxy")).proxy;
    };
    const page = (url: string, peer: string, tls: boolean, headers: Record<string, string> = {}) =>
      new NextRequest(url, {
        headers: { [PEER_HEADER]: peer, [PEER_TLS_HEADER]: tls ? "1" : "0", [PEER_STAMP_HEADER]: STAMP, ...headers },
      });
    const cspOf = (res: Response) => (res.headers.get("content-security-policy") ?? "").split("; ");
    try {
      let proxy = await load({ APP_URL: "https://gatehouse.example.com", TRUSTED_PROXIES: "10.0.0.5" });
      expect(cspOf(await proxy(page("https://gatehouse.example.com/contacts", "203.0.113.9", true)))).toContain(
        "upgrade-insecure-requests",
      );
      const proxied = await proxy(
        page("https://gatehouse.example.com/oauth/consent", "10.0.0.5", false, { "x-forwarded-proto": "https" }),
      );
      expect(cspOf(proxied)).toContain("upgrade-insecure-requests");
      proxy = await load({ APP_URL: "http://localhost:3000", TRUSTED_PROXIES: "" });
      expect(cspOf(await proxy(page("http://localhost:3000/contacts", "127.0.0.1", false)))).not.toContain(
        "upgrade-insecure-requests",
      );
    } finally {
      delete process.env.APP_URL;
      delete process.env.TRUSTED_PROXIES;
    }
  });
});
