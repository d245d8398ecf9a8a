import { describe, expect, it } from "vitest";
import {
  CHECKSUM_LENGTH,
  checksumOf,
  crc32,
  displayOf,
  generateToken,
  hashToken,
  isWellFormedToken,
  SECRET_LENGTH,
  sameHash,
  TOKEN_LENGTH,
  TOKEN_PREFIX,
} from "./api-token";

describe("API token format", () => {
  it("is gth_ + 43 base62 characters of secret (≥ 256 bits) + a 6-character base62 CRC32", () => {
    const token = generateToken();
    expect(token).toMatch(/^gth_[0-9A-Za-z]{49}$/);
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(SECRET_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(256);
    expect(62 ** CHECKSUM_LENGTH).toBeGreaterThan(2 ** 32);
    const body = token.slice(0, -CHECKSUM_LENGTH);
    expect(token.slice(-CHECKSUM_LENGTH)).toBe(checksumOf(body));
    expect(isWellFormedToken(token)).toBe(true);
  });

  it("draws every base62 symbol and never repeats a token", () => {
    const tokens = Array.from({ length: 2000 }, generateToken);
    expect(new Set(tokens).size).toBe(tokens.length);
    const seen = new Set(tokens.join("").replaceAll(TOKEN_PREFIX, ""));
    expect(seen.size).toBe(62);
  });

  it("computes the standard CRC-32 (zlib's), padded to six characters", () => {
    expect(crc32("")).toBe(0);
    expect(crc32("123456789")).toBe(0xcbf43926); // the CRC-32 check value
    expect(checksumOf("")).toBe("000000");
    expect(checksumOf("gth_x")).toHaveLength(CHECKSUM_LENGTH);
  });

  it("rejects typos, truncation, case changes, whitespace and other prefixes", () => {
    const token = generateToken();
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const bad: unknown[] = [
      "",
      null,
      undefined,
      42,
      { token },
      token.toLowerCase(),
      token.toUpperCase(),
      ` ${token}`,
      `${token} `,
      `${token.slice(0, 20)} ${token.slice(21)}`,
      `${token}\n`,
      token.slice(0, -1),
      `${token}0`,
      flip(token, 10), // one secret character changed: checksum catches it
      flip(token, TOKEN_LENGTH - 1), // checksum character changed
      `ghp_${token.slice(4)}`,
      `GTH_${token.slice(4)}`,
      token.replace(/[A-Za-z0-9]$/, "-"),
    ];
    for (const candidate of bad) expect(isWellFormedToken(candidate), String(candidate)).toBe(false);
  });

  it("hashes to SHA-256 hex, compares digests in constant time, and displays only prefix and last four", () => {
    const token = generateToken();
    const hash = hashToken(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(token.slice(4, 14));
    expect(sameHash(hash, hashToken(token))).toBe(true);
    expect(sameHash(hash, hashToken(generateToken()))).toBe(false);
    expect(sameHash(hash, hash.slice(1))).toBe(false);
    expect(displayOf(token)).toBe(`gth_…${token.slice(-4)}`);
  });
});
