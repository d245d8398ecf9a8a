import { describe, expect, it } from "vitest";
import { applyHsts, applyPageHeaders, HSTS, newNonce, pageCsp } from "./headers";
import { httpsLocation, httpsVerdict, isApiPath } from "./https";

describe("page CSP", () => {
  it("is strict in production: nonce scripts only, no unsafe-inline or unsafe-eval", () => {
    const csp = pageCsp("abc", { dev: false });
    expect(csp).toBe(
      "default-src 'self'; script-src 'self' 'nonce-abc' 'strict-dynamic'; style-src 'self' 'nonce-abc'; " +
        "img-src 'self' data: blob:; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
        "frame-ancestors 'none'",
    );
    expect(csp).not.toMatch(/unsafe-/);
  });

  it("lets the developer work in development (eval for React's stacks, inline styles for the overlay)", () => {
    const csp = pageCsp("abc", { dev: true });
    expect(csp).toMatch(/script-src 'self' 'nonce-abc' 'strict-dynamic' 'unsafe-eval'/);
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  });

  it("uses a fresh nonce of at least 128 bits each time", () => {
    const nonces = new Set(Array.from({ length: 1000 }, newNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(Buffer.from(nonce, "base64").byteLength * 8).toBeGreaterThanOrEqual(128);
  });

  it("sets the page headers", () => {
    const h = new Headers({ "x-powered-by": "Next.js" });
    applyPageHeaders(h, "n0nce", { dev: false });
    expect(h.get("content-security-policy")).toContain("'nonce-n0nce'");
    expect(h.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(h.get("x-frame-options")).toBe("DENY");
    expect(h.get("x-content-type-options")).toBe("nosniff");
    expect(h.get("permissions-policy")).toBe("camera=(), microphone=(), geolocation=()");
    expect(h.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(h.get("cross-origin-resource-policy")).toBe("same-origin");
    expect(h.has("x-powered-by")).toBe(false);
  });

  it("sends HSTS on https only", () => {
    const https = new Headers();
    applyHsts(https, true);
    expect(https.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
    const http = new Headers({ "strict-transport-security": HSTS });
    applyHsts(http, false);
    expect(http.has("strict-transport-security")).toBe(false);
  });
});

describe("HTTPS verdict", () => {
  const appUrl = new URL("https://gatehouse.example.com");
  const base = { secure: true, https: false, method: "GET", api: false, pathAndQuery: "/contacts?x=1", appUrl };

  it("redirects a plain-HTTP page GET/HEAD with the same path to APP_URL's origin", () => {
    expect(httpsVerdict(base)).toEqual({ action: "redirect", location: "https://gatehouse.example.com/contacts?x=1" });
    expect(httpsVerdict({ ...base, method: "HEAD" }).action).toBe("redirect");
  });

  it("refuses the API and any non-GET over plain HTTP", () => {
    expect(httpsVerdict({ ...base, api: true })).toEqual({ action: "refuse" });
    expect(httpsVerdict({ ...base, method: "POST" })).toEqual({ action: "refuse" });
  });

  it("passes https, and everything in development", () => {
    expect(httpsVerdict({ ...base, https: true })).toEqual({ action: "pass" });
    expect(httpsVerdict({ ...base, secure: false, api: true, method: "POST" })).toEqual({ action: "pass" });
  });

  it("never redirects off APP_URL's origin", () => {
    expect(httpsLocation(appUrl, "//evil.example/x")).toBe("https://gatehouse.example.com/");
    expect(httpsLocation(appUrl, "evil")).toBe("https://gatehouse.example.com/");
  });

  it("knows the API paths", () => {
    expect(isApiPath("/api/v1/contacts")).toBe(true);
    expect(isApiPath("/api")).toBe(true);
    expect(isApiPath("/apix")).toBe(false);
    expect(isApiPath("/admin")).toBe(false);
  });
});
