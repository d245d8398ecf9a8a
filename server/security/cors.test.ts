import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../services/audit";
import type { ServiceContext } from "../services/context";
import { addCorsOrigin, removeCorsOrigin, setCorsCredentials } from "../services/cors-origins";
import { createTestRuntime, type TestRuntime } from "../testing/harness";
import {
  corsGrantFor,
  corsPreflightHeaders,
  corsResponseHeaders,
  explainCors,
  isCanonicalOrigin,
  isCredentialedOrigin,
  parseOriginInput,
  varyOnOrigin,
} from "./cors";

describe("parseOriginInput (what an admin may type)", () => {
  it.each([
    ["https://app.example.com", "https://app.example.com"],
    ["  https://app.example.com  ", "https://app.example.com"],
    ["https://App.Example.COM", "https://app.example.com"],
    ["HTTPS://app.example.com", "https://app.example.com"],
    ["https://app.example.com:443", "https://app.example.com"],
    ["http://localhost:3401", "http://localhost:3401"],
    ["https://bücher.example", "https://xn--bcher-kva.example"],
    ["https://[::1]:8443", "https://[::1]:8443"],
    ["*", "*"],
  ])("accepts %s as %s", (input, expected) => {
    expect(parseOriginInput(input)).toEqual({ ok: true, origin: expected });
  });

  it.each([
    ["", /Enter an origin/],
    ["https://app.example.com/", /not even a trailing slash/],
    ["https://app.example.com/path", /no path/],
    ["https://app.example.com?x=1", /no path, query/],
    ["https://app.example.com#frag", /fragment/],
    ["https://app.example.com\\", /no path/],
    ["https://*.example.com", /Partial wildcards/],
    ["null", /sandboxed/],
    ["NULL", /sandboxed/],
    ["app.example.com", /starts with https:\/\//],
    ["//app.example.com", /starts with https:\/\//],
    ["ftp://app.example.com", /Only http and https/],
    ["javascript://alert(1)", /Only http and https/],
    ["https://user:pw@app.example.com", /user name or password/],
    ["https://app example.com", /no spaces/],
    ["https://app.example.com:99999", /not a valid origin/],
    ["https://", /not a valid origin|needs a host/],
    [`https://${"a".repeat(400)}.com`, /at most 300/],
  ])("refuses %j and says why", (input, why) => {
    const result = parseOriginInput(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(why);
  });

  it("never throws, whatever it is given", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const result = parseOriginInput(text);
        if (result.ok && result.origin !== "*") expect(isCanonicalOrigin(result.origin)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("isCanonicalOrigin (what a request's Origin must look like to be looked up)", () => {
  it.each(["https://app.example.com", "http://localhost:3401", "https://xn--bcher-kva.example"])(
    "accepts %s",
    (value) => {
      expect(isCanonicalOrigin(value)).toBe(true);
    },
  );
  it.each([
    "https://app.example.com/",
    "https://App.example.com",
    "https://app.example.com:443",
    "https://bücher.example",
    "null",
    "",
    "https://app.example.com/path",
    "file://",
    `https://${"a".repeat(5000)}.com`,
  ])("refuses %j", (value) => {
    expect(isCanonicalOrigin(value)).toBe(false);
  });
});

describe("the allow-list decision", () => {
  let rt: TestRuntime;
  let svc: ServiceContext;

  beforeEach(() => {
    rt = createTestRuntime();
    svc = { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "t" } };
  });

  it("echoes an exact entry and nothing for near misses", async () => {
    await addCorsOrigin(svc, { origin: "https://app.example.com" });
    expect(await corsGrantFor(rt.db, "https://app.example.com")).toEqual({
      allowOrigin: "https://app.example.com",
      credentials: false,
      entry: "https://app.example.com",
    });
    for (const miss of [
      "https://app.example.com.evil.com",
      "https://evil-app.example.com",
      "https://evil.com",
      "http://app.example.com",
      "https://app.example.com/",
      "https://app.example.com:8443",
      "https://APP.example.com",
      "https://app.example.co",
      "null",
      "https://app.example.com/path",
      " https://app.example.com",
      `https://app.example.com${"x".repeat(10_000)}`,
    ]) {
      expect(await corsGrantFor(rt.db, miss), miss).toBeNull();
    }
    expect(await corsGrantFor(rt.db, null)).toBeNull();
  });

  it("sends credentials only for an entry flagged so, and never from *", async () => {
    const flagged = await addCorsOrigin(svc, { origin: "https://cookies.example.com", allowCredentials: true });
    await addCorsOrigin(svc, { origin: "*", confirmWildcard: true });
    const grant = await corsGrantFor(rt.db, "https://cookies.example.com");
    expect(grant?.credentials).toBe(true);
    expect(corsResponseHeaders(grant)["access-control-allow-credentials"]).toBe("true");
    expect(corsPreflightHeaders(grant, "rest")).toMatchObject({
      "access-control-allow-origin": "https://cookies.example.com",
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
      "access-control-max-age": "600",
    });
    expect(await isCredentialedOrigin(rt.db, "https://cookies.example.com")).toBe(true);

    const other = await corsGrantFor(rt.db, "https://anyone.example.org");
    expect(other).toEqual({ allowOrigin: "*", credentials: false, entry: "*" });
    expect(corsResponseHeaders(other)).not.toHaveProperty("access-control-allow-credentials");
    expect(corsPreflightHeaders(other, "trpc")).not.toHaveProperty("access-control-allow-credentials");
    expect(await isCredentialedOrigin(rt.db, "https://anyone.example.org")).toBe(false);
    // Even * does not answer null or junk.
    expect(await corsGrantFor(rt.db, "null")).toBeNull();
    expect(await corsGrantFor(rt.db, "not an origin")).toBeNull();

    await setCorsCredentials(svc, flagged.id, false);
    expect(await isCredentialedOrigin(rt.db, "https://cookies.example.com")).toBe(false);
    expect(corsResponseHeaders(await corsGrantFor(rt.db, "https://cookies.example.com"))).not.toHaveProperty(
      "access-control-allow-credentials",
    );
  });

  it("forgets a removed origin on the very next check (no cache)", async () => {
    const entry = await addCorsOrigin(svc, { origin: "https://gone.example.com" });
    expect(await corsGrantFor(rt.db, "https://gone.example.com")).not.toBeNull();
    await removeCorsOrigin(svc, { id: entry.id });
    expect(await corsGrantFor(rt.db, "https://gone.example.com")).toBeNull();
  });

  it("explains the decision for the dry-run tester", async () => {
    await addCorsOrigin(svc, { origin: "https://app.example.com", allowCredentials: true });
    const allowed = await explainCors(rt.db, { origin: "https://app.example.com", method: "PATCH", door: "rest" });
    expect(allowed).toMatchObject({ allowed: true, credentials: true, entry: "https://app.example.com" });
    expect(allowed.preflight["access-control-allow-origin"]).toBe("https://app.example.com");

    const wrongMethod = await explainCors(rt.db, { origin: "https://app.example.com", method: "DELETE", door: "trpc" });
    expect(wrongMethod.allowed).toBe(false);
    expect(wrongMethod.reason).toMatch(/does not accept DELETE/);

    const near = await explainCors(rt.db, { origin: "https://app.example.com.evil.com", method: "GET", door: "rest" });
    expect(near).toMatchObject({ allowed: false, entry: null, preflight: {}, response: {} });
    expect(near.reason).toMatch(/Not on the allow-list/);

    const slash = await explainCors(rt.db, { origin: "https://app.example.com/", method: "GET", door: "rest" });
    expect(slash.allowed).toBe(false);
    expect(slash.reason).toMatch(/trailing slash/);

    const upper = await explainCors(rt.db, { origin: "https://APP.example.com", method: "GET", door: "rest" });
    expect(upper.reason).toMatch(/Browsers send this origin as https:\/\/app.example.com/);

    const own = await explainCors(rt.db, {
      origin: "http://localhost:3000",
      method: "POST",
      door: "trpc",
      appOrigin: "http://localhost:3000",
    });
    expect(own.allowed).toBe(true);
    expect(own.reason).toMatch(/own origin/);
  });

  it("adds Origin to Vary without losing what is there", () => {
    const h = new Headers();
    varyOnOrigin(h);
    expect(h.get("vary")).toBe("Origin");
    const h2 = new Headers({ vary: "Accept-Encoding" });
    varyOnOrigin(h2);
    varyOnOrigin(h2);
    expect(h2.get("vary")).toBe("Accept-Encoding, Origin");
  });
});
