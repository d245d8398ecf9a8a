import { unstable_doesMiddlewareMatch } from "next/experimental/testing/server";
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PEER_HEADER, PEER_STAMP_ENV, PEER_STAMP_HEADER, PEER_TLS_HEADER } from "../security/client-ip";

/**
 * proxy.ts (pages and the non-door /api routes) called directly with a
 * NextRequest, under a development-like and a production-like environment.
 * The browser-level proof (every script carries the nonce, no CSP violation
 * on any page) is in e2e/transport.spec.ts.
 */

const STAMP = "proxy-test-stamp";

async function loadProxy(env: Record<string, string>) {
  vi.resetModules();
  Object.assign(process.env, {
    AUTH_SECRET: "proxy-test-secret-proxy-test-secret-0123",
    TRUSTED_PROXIES: "",
    [PEER_STAMP_ENV]: STAMP,
    ...env,
  });
  return import("@/proxy");
}

function request(
  url: string,
  init: { method?: string; peer?: string; tls?: boolean; headers?: Record<string, string> } = {},
) {
  return new NextRequest(url, {
    method: init.method ?? "GET",
    headers: {
      [PEER_HEADER]: init.peer ?? "203.0.113.9",
      [PEER_TLS_HEADER]: init.tls ? "1" : "0",
      [PEER_STAMP_HEADER]: STAMP,
      ...init.headers,
    },
  });
}

afterEach(() => {
  delete process.env.APP_URL;
});

describe("proxy matcher", () => {
  it("runs on pages, assets and the other /api routes, not on the two self-guarding API doors", async () => {
    const { config } = await loadProxy({});
    const matches = (url: string) => unstable_doesMiddlewareMatch({ config, url });
    for (const url of ["/", "/signin", "/admin/cors", "/nope", "/api/auth/csrf", "/api/docs", "/_next/static/x.js"]) {
      expect(matches(url), url).toBe(true);
    }
    for (const url of ["/api/v1/contacts", "/api/trpc/contacts.list"]) expect(matches(url), url).toBe(false);
  });
});

describe("proxy in production over https (APP_URL https, behind a trusted proxy)", () => {
  it("puts a fresh nonce CSP on every page, in the response and in the request Next.js renders with", async () => {
    const { proxy } = await loadProxy({ APP_URL: "https://gatehouse.example.com", TRUSTED_PROXIES: "10.0.0.5" });
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await proxy(
        request("https://gatehouse.example.com/contacts", {
          peer: "10.0.0.5",
          headers: { "x-forwarded-proto": "https" },
        }),
      );
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1] ?? "";
      expect(Buffer.from(nonce, "base64").byteLength).toBeGreaterThanOrEqual(16);
      // NextResponse.next({ request }) hands the overridden request headers to the renderer this way.
      expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
      expect(res.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
      expect(res.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
      expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      nonces.push(nonce);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it("redirects a plain-HTTP page with 308 to APP_URL, without HSTS, whatever Host says", async () => {
    const { proxy } = await loadProxy({ APP_URL: "https://gatehouse.example.com", TRUSTED_PROXIES: "10.0.0.5" });
    const res = await proxy(request("http://evil.example/contacts?tab=1", { peer: "203.0.113.9" }));
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe("https://gatehouse.example.com/contacts?tab=1");
    expect(res.headers.has("strict-transport-security")).toBe(false);
  });

  it("ignores X-Forwarded-Proto from an untrusted peer", async () => {
    const { proxy } = await loadProxy({ APP_URL: "https://gatehouse.example.com", TRUSTED_PROXIES: "10.0.0.5" });
    const res = await proxy(
      request("http://gatehouse.example.com/contacts", {
        peer: "203.0.113.9",
        headers: { "x-forwarded-proto": "https" },
      }),
    );
    expect(res.status).toBe(308);
  });

  it("refuses the other /api routes and page POSTs over plain HTTP with 403 https_required", async () => {
    const { proxy } = await loadProxy({ APP_URL: "https://gatehouse.example.com" });
    for (const [url, method] of [
      ["http://gatehouse.example.com/api/auth/callback/credentials", "POST"],
      ["http://gatehouse.example.com/api/auth/session", "GET"],
      ["http://gatehouse.example.com/api/docs", "GET"],
      ["http://gatehouse.example.com/contacts", "POST"],
    ] as const) {
      const res = await proxy(request(url, { method }));
      expect(res.status, url).toBe(403);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(((await res.json()) as { type: string }).type).toBe("urn:gatehouse:problem:https_required");
      expect(res.headers.has("strict-transport-security")).toBe(false);
    }
  });

  it("answers the health and readiness probes over plain HTTP (no credential, no data), without HSTS", async () => {
    const { proxy } = await loadProxy({ APP_URL: "https://gatehouse.example.com" });
    for (const path of ["/api/health", "/api/ready"]) {
      const res = await proxy(request(`http://10.0.0.9:3000${path}`));
      expect(res.status, path).toBe(200);
      expect(res.headers.has("strict-transport-security")).toBe(false);
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
    expect((await proxy(request("http://10.0.0.9:3000/api/ready", { method: "POST" }))).status).toBe(403);
  });

  it("gives the other /api routes the API headers, but leaves the API reference its own CSP", async () => {
    const { proxy } = await loadProxy({ APP_URL: "https://gatehouse.example.com" });
    const auth = await proxy(request("https://gatehouse.example.com/api/auth/session", { tls: true }));
    expect(auth.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(auth.headers.get("cache-control")).toBe("no-store");
    expect(auth.headers.get("referrer-policy")).toBe("no-referrer");
    expect(auth.headers.get("vary")).toMatch(/Origin/);
    expect(auth.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
    const docs = await proxy(request("https://gatehouse.example.com/api/docs", { tls: true }));
    expect(docs.headers.has("content-security-policy")).toBe(false);
    expect(docs.headers.get("x-content-type-options")).toBe("nosniff");
    expect(docs.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
  });
});

describe("proxy in development (APP_URL http://localhost)", () => {
  it("blocks nothing over plain HTTP and sends no HSTS", async () => {
    const { proxy } = await loadProxy({ APP_URL: "http://localhost:3000" });
    const page = await proxy(request("http://localhost:3000/contacts", { peer: "127.0.0.1" }));
    expect(page.status).toBe(200);
    expect(page.headers.has("strict-transport-security")).toBe(false);
    expect(page.headers.get("content-security-policy")).toMatch(/'nonce-/);
    const api = await proxy(request("http://localhost:3000/api/auth/csrf", { method: "POST" }));
    expect(api.status).toBe(200);
  });
});
