import { describe, expect, it } from "vitest";
import { safeReturnTo, safeReturnUrl } from "./return-to";

const APP = new URL("https://gate.example.com");

/** How a browser would read a Location header holding this value, from a page of ours. */
function browserTarget(location: string): URL {
  return new URL(location, APP);
}

// Every way a return-to value has been used to leave the site (open redirect) or to break the header.
const HOSTILE = [
  "//evil.example",
  "///evil.example",
  "/\\evil.example",
  "\\\\evil.example",
  "/\\/evil.example",
  "/\t/evil.example",
  "/\n/evil.example",
  "/\r\n/evil.example",
  "\t//evil.example",
  " //evil.example",
  "/%09/evil.example".replace("%09", "\t"),
  "https://evil.example/",
  "http://gate.example.com/",
  "https://gate.example.com.evil.example/",
  "https://gate.example.com@evil.example/",
  "https://user:pw@gate.example.com/",
  "https://gate.example.com:8443/",
  "javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "/.//evil.example",
  "/./\\evil.example",
  "/..//evil.example",
  `/${"a".repeat(5000)}`,
  "",
  42,
  null,
  undefined,
  ["//evil.example", "/contacts"],
];

describe("safeReturnTo", () => {
  it.each(HOSTILE.map((v) => [JSON.stringify(v), v]))("sends %s home (/)", (_, value) => {
    expect(safeReturnTo(value, APP)).toBe("/");
  });

  it.each([
    ["/contacts", "/contacts"],
    ["/admin/audit?action=user.&actor=usr_1", "/admin/audit?action=user.&actor=usr_1"],
    ["/oauth/authorize?client_id=ocl_1&state=a%20b", "/oauth/authorize?client_id=ocl_1&state=a%20b"],
    ["https://gate.example.com/settings/tokens#new", "/settings/tokens#new"],
    ["/a b\u00e9", "/a%20b%C3%A9"],
    ["/x?q=\u0007&r=1", "/x?q=%07&r=1"],
    // Stays on our origin, made harmless by the URL serializer: followed, encoded.
    ["/\u0000/evil.example", "/%00/evil.example"],
    ["/\u001f/evil.example", "/%1F/evil.example"],
    ["https:evil.example", "/evil.example"],
    ["relative/path", "/relative/path"],
    [["/first", "//evil.example"], "/first"],
  ])("follows %j on our origin as %j", (value, expected) => {
    expect(safeReturnTo(value, APP)).toBe(expected);
  });

  it("never yields a header value with a control character, or one a browser resolves elsewhere", () => {
    const inputs = [...HOSTILE, "/ok", "/\u0085/x", "/\u2028x", "/%0d%0aSet-Cookie:x=1", "/\r\nSet-Cookie: x=1"];
    for (const value of inputs) {
      const target = safeReturnTo(value, APP);
      expect(target).toMatch(/^\/(?!\/)/);
      expect(target).not.toMatch(/[\u0000-\u001f\u007f-\u009f\s\\]/);
      expect(browserTarget(target).origin).toBe(APP.origin);
      expect(safeReturnUrl(value, APP).startsWith(`${APP.origin}/`)).toBe(true);
    }
  });
});
