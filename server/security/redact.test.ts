import { describe, expect, it } from "vitest";
import { isSensitiveKey, REDACTED, redact, redactRecord, scrubText } from "./redact";

describe("redact", () => {
  it("redacts sensitive keys at any depth, whatever the value", () => {
    const input = {
      email: "ada@example.com",
      password: "hunter2hunter2",
      outer: {
        newPassword: "n3w-password!",
        accessToken: { nested: "deep secret" },
        headers: {
          Authorization: "Bearer abc.def.ghi",
          cookie: "gatehouse.session=eyJ...",
          "set-cookie": ["a=b"],
          "x-api-key": "gh_live_123",
          accept: "application/json",
        },
        list: [{ client_secret: "cs_123", name: "client" }, { refresh_token: "rt_456" }],
      },
      code: "authcode-789",
      code_verifier: "verifier-abc",
      otp: "123456",
      privateKey: "-----BEGIN PRIVATE KEY-----",
      credentials: { user: "x" },
    };
    const out = redact(input) as Record<string, unknown>;
    const text = JSON.stringify(out);
    for (const secret of [
      "hunter2hunter2",
      "n3w-password!",
      "deep secret",
      "abc.def.ghi",
      "eyJ",
      "a=b",
      "gh_live_123",
      "cs_123",
      "rt_456",
      "authcode-789",
      "verifier-abc",
      "123456",
      "BEGIN PRIVATE KEY",
    ]) {
      expect(text, secret).not.toContain(secret);
    }
    expect(out).toEqual({
      email: "ada@example.com",
      password: REDACTED,
      outer: {
        newPassword: REDACTED,
        accessToken: REDACTED,
        headers: {
          Authorization: REDACTED,
          cookie: REDACTED,
          "set-cookie": REDACTED,
          "x-api-key": REDACTED,
          accept: "application/json",
        },
        list: [{ client_secret: REDACTED, name: "client" }, { refresh_token: REDACTED }],
      },
      code: REDACTED,
      code_verifier: REDACTED,
      otp: REDACTED,
      privateKey: REDACTED,
      credentials: REDACTED,
    });
  });

  it("matches key names case-insensitively and leaves ordinary keys alone", () => {
    for (const key of [
      "PASSWORD",
      "Passwd",
      "pass",
      "Secret",
      "TOKEN",
      "id_token",
      "AUTHORIZATION",
      "Cookie",
      "CODE",
    ]) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
    // `code` is sensitive only as a whole key (an OAuth authorization code), not as a suffix.
    for (const key of ["email", "name", "countryCode", "zipcode", "status", "sessionsEnded", "reason", "role"]) {
      expect(isSensitiveKey(key), key).toBe(false);
    }
    expect(redact({ countryCode: "CH", code: "x" })).toEqual({ countryCode: "CH", code: REDACTED });
  });

  it("cuts long strings, at any depth", () => {
    const long = "a".repeat(1000);
    expect(redact(long)).toBe(`${"a".repeat(200)}…`);
    expect(redact("a".repeat(200))).toBe("a".repeat(200));
    const out = redact({ note: long, nested: { list: [long] } }) as { note: string; nested: { list: string[] } };
    expect(out.note).toHaveLength(201);
    expect(out.nested.list[0]).toHaveLength(201);
  });

  it("bounds depth, and terminates on a cycle", () => {
    const deep = { a: { b: { c: { d: { e: { f: "bottom" } } } } } };
    expect(redact(deep)).toEqual({ a: { b: { c: { d: "[truncated]" } } } });
    expect(JSON.stringify(redact(deep))).not.toContain("bottom");

    const nestedArrays = [[[[["x"]]]]];
    expect(redact(nestedArrays)).toEqual([[[["[truncated]"]]]]);

    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const out = redact(cyclic);
    expect(JSON.stringify(out)).toContain("[truncated]");
  });

  it("bounds the number of keys and items", () => {
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(redact(wide) as object)).toHaveLength(30);
    expect(redact(Array.from({ length: 100 }, (_, i) => i))).toHaveLength(20);
  });

  it("turns non-JSON values into safe text and keeps scalars", () => {
    const at = new Date(Date.UTC(2026, 0, 15, 12));
    expect(redact({ at, n: 1, ok: true, big: 10n, none: null, missing: undefined })).toEqual({
      at: "2026-01-15T12:00:00.000Z",
      n: 1,
      ok: true,
      big: "10",
      none: null,
      missing: undefined,
    });
    expect(redact(Symbol("s"))).toBe("Symbol(s)");
  });

  it("does not change its input", () => {
    const input = { password: "hunter2hunter2", nested: { token: "t" } };
    const copy = structuredClone(input);
    redactRecord(input);
    expect(input).toEqual(copy);
  });

  it("cuts secret-looking values out of strings under innocent keys", () => {
    const token = `gth_${"A1b2C3".repeat(8)}`;
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJlLWJ5dGVz";
    const sealed = `v1.k2026a.${"n".repeat(16)}.${"b".repeat(48)}`;
    const clientSecret = `ghs_${"Zz9".repeat(16)}`;
    const refreshToken = `ghr_${"Qq7".repeat(16)}`;
    const out = redact({
      message: `calling with ${token} failed`,
      header: "Bearer some.opaque~credential+x/y=",
      url: `/api/v1/contacts?x=${token}`,
      note: `jwt ${jwt} and ${sealed}`,
      list: [token],
      oauth: `client ${clientSecret} refreshed ${refreshToken}`,
    });
    const text = JSON.stringify(out);
    for (const secret of [token, "some.opaque~credential", jwt, sealed, "b".repeat(48), clientSecret, refreshToken]) {
      expect(text, secret).not.toContain(secret);
    }
    expect(out).toMatchObject({ header: `Bearer ${REDACTED}`, message: `calling with ${REDACTED} failed` });
    // What people need to read stays: emails, ids, a token's display form, user agents.
    const keep =
      "ada@example.com usr_0123456789abcdefghij gth_…Xy9Z ghs_…4EeS ocl_0123456789abcdefghij Mozilla/5.0 (X11; Linux x86_64) v1.2.3";
    expect(scrubText(keep)).toBe(keep);
  });

  it("reduces an error to its name and the first line of its message", () => {
    const error = new Error("Failed query: insert into users values (?)\nparams: $argon2id$v=19$secret-hash");
    const out = redact({ err: error }) as { err: Record<string, unknown> };
    expect(out.err).toEqual({ name: "Error", message: "Failed query: insert into users values (?)" });
    expect(JSON.stringify(out)).not.toContain("argon2id");
    expect(JSON.stringify(out)).not.toContain("at ");
  });

  it("treats key material and ciphertext fields as sensitive", () => {
    for (const key of ["signature", "salt", "ciphertext", "sealedEmail", "encryptionKey", "signing_keys", "hmacKey"]) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
    for (const key of ["keyId", "monkey", "key"]) expect(isSensitiveKey(key), key).toBe(false);
  });
});
