import { describe, expect, it } from "vitest";
import { generateToken } from "./api-token";
import { credentialInQuery, MAX_AUTHORIZATION_LENGTH, parseAuthorization } from "./bearer";

describe("Authorization header", () => {
  const token = generateToken();

  it("reads one Bearer credential, scheme case-insensitive (RFC 7235)", () => {
    expect(parseAuthorization(`Bearer ${token}`)).toEqual({ kind: "bearer", credential: token });
    expect(parseAuthorization(`bearer ${token}`)).toEqual({ kind: "bearer", credential: token });
    expect(parseAuthorization(`BEARER  ${token}`)).toEqual({ kind: "bearer", credential: token });
    // Any b64token is a well-formed header; whether it is a live token is the resolver's question.
    expect(parseAuthorization("Bearer abc.def-ghi_jkl~m+n/o==")).toMatchObject({ kind: "bearer" });
  });

  it("treats no header as none and another scheme as no credential (RFC 6750 §3)", () => {
    expect(parseAuthorization(null)).toEqual({ kind: "none" });
    expect(parseAuthorization("Basic dXNlcjpwYXNz")).toEqual({ kind: "other-scheme" });
    expect(parseAuthorization(`Token ${token}`)).toEqual({ kind: "other-scheme" });
  });

  it("calls malformed: empty, two values, whitespace or junk in the credential, over 4 KB", () => {
    const malformed = [
      "",
      "Bearer",
      `Bearer ${token}, Bearer ${token}`,
      `Basic abc, Bearer ${token}`,
      `Bearer ${token.slice(0, 20)} ${token.slice(20)}`,
      `Bearer\t${token}`,
      `Bearer "${token}"`,
      `Bearer ${token}=x`,
      ":Bearer x",
      `Bearer ${"a".repeat(MAX_AUTHORIZATION_LENGTH)}`,
      `Bearer ${"a".repeat(10 * 1024)}`,
    ];
    for (const value of malformed) expect(parseAuthorization(value).kind, value.slice(0, 60)).toBe("malformed");
  });

  it("finds credentials in the query string by name or by shape", () => {
    const at = (q: string) => credentialInQuery(new URL(`http://localhost/api/v1/contacts${q}`));
    expect(at("")).toBeNull();
    expect(at("?limit=5&cursor=abc")).toBeNull();
    expect(at("?access_token=x")).not.toBeNull();
    expect(at("?API_KEY=x")).not.toBeNull();
    expect(at("?apikey=x")).not.toBeNull();
    expect(at(`?q=${token}`)).not.toBeNull();
  });
});
