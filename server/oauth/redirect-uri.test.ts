import { describe, expect, it } from "vitest";
import { matchRedirectUri, redirectUriProblem } from "./redirect-uri";

describe("redirect URIs that may be registered", () => {
  it.each([
    "https://app.example.com/callback",
    "https://app.example.com/cb?flag&x=a%20b",
    "https://[2001:db8::1]/cb",
    "http://127.0.0.1:8123/cb",
    "http://127.0.0.1/cb",
  ])("accepts %s", (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
  });

  it.each([
    ["http://app.example.com/cb", /https/],
    ["http://localhost:8080/cb", /127\.0\.0\.1 rather than localhost/],
    ["http://[::1]:8080/cb", /IPv6/],
    ["https://user:pw@app.example.com/cb", /user name/],
    ["https://app.example.com/cb#frag", /fragment/],
    ["https://app.example.com/cb#", /fragment/],
    ["https://APP.example.com/cb", /canonical/],
    ["https://app.example.com/a/../cb", /canonical/],
    ["https://app.example.com:443/cb", /canonical/],
    ["https://app.example.com", /canonical/],
    ["app.example.com/cb", /absolute/],
    ["javascript:alert(1)", /https/],
    ["custom.scheme:/cb", /https/],
    [`https://app.example.com/${"a".repeat(2001)}`, /longer/],
  ])("refuses %s", (uri, problem) => {
    expect(redirectUriProblem(uri)).toMatch(problem);
  });
});

describe("matching at the authorization endpoint", () => {
  const registered = ["https://app.example.com/callback", "http://127.0.0.1:8123/cb"];
  it("is exact string equality, nothing else", () => {
    expect(matchRedirectUri(registered, "https://app.example.com/callback")).toBe("https://app.example.com/callback");
    for (const nearMiss of [
      "https://app.example.com/callback/",
      "https://app.example.com/Callback",
      "https://app.example.com/callback?x=1",
      "https://app.example.com:443/callback",
      "http://127.0.0.1:8124/cb",
      "http://127.0.0.1/cb",
      "https://app.example.com/callback ",
    ]) {
      expect(matchRedirectUri(registered, nearMiss), nearMiss).toBeNull();
    }
  });
});
