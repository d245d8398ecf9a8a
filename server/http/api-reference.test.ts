import { describe, expect, it } from "vitest";
import { handleApiReferenceAsset, handleApiReferencePage } from "./api-reference";

describe("the API reference (/api/docs)", () => {
  it("has no inline script or style: its CSP allows only this origin's files", async () => {
    const page = handleApiReferencePage(new Request("http://localhost/api/docs"));
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    const html = await page.text();
    // Every <script> loads a file; none carries code.
    expect(html.match(/<script[^>]*>[^<]+<\/script>/g)).toBeNull();
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      expect(src[1]?.startsWith("/api/docs/")).toBe(true);
      expect((await handleApiReferenceAsset(src[1]?.slice("/api/docs/".length) ?? "")).status).toBe(200);
    }
  });

  it("serves the bundle and its start-up file with their types, and never sends the document to a validator", async () => {
    const bundle = await handleApiReferenceAsset("swagger-ui-bundle.js");
    expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    const start = await (await handleApiReferenceAsset("start.js")).text();
    expect(start).toContain('url: "/api/openapi.json"');
    expect(start).toContain("validatorUrl: null");
    expect((await handleApiReferenceAsset("swagger-ui.css")).headers.get("content-type")).toBe(
      "text/css; charset=utf-8",
    );
  });

  it.each([
    "index.html",
    "package.json",
    "../package.json",
    "..%2Fpackage.json",
    "swagger-ui-bundle.js.map",
    "constructor",
    "__proto__",
    "toString",
    "",
  ])("answers 404 problem+json for %j, a file not on its list", async (name) => {
    const res = await handleApiReferenceAsset(name);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status: 404 });
  });
});
