import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The one module that knows what a Gatehouse API token looks like:
 *
 *   gth_ <43 base62 characters of secret> <6 base62 characters of checksum>
 *
 * - `gth_` says what it is (`gh…` is GitHub's), so secret scanners and people
 *   can recognise a leaked one.
 * - 43 base62 characters carry 43 × log2(62) ≈ 256.03 bits from the CSPRNG.
 * - The checksum is the CRC32 of everything before it (prefix and secret),
 *   in base62, left-padded to 6 characters (62^6 > 2^32). It is not a
 *   security feature: it lets us — and a scanner — reject a typo, a truncated
 *   paste or a lower-cased copy without touching the database.
 *
 * Only the SHA-256 of the whole string is stored. A keyed hash (HMAC) buys
 * nothing here: with 256 random bits there is nothing to brute-force, and an
 * unkeyed hash leaves no key to lose, rotate or share between instances.
 */
export const TOKEN_PREFIX = "gth_";
export const SECRET_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + SECRET_LENGTH + CHECKSUM_LENGTH;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const TOKEN_SHAPE = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${SECRET_LENGTH + CHECKSUM_LENGTH}}$`);
/** Something that looks like one of our tokens inside a longer string (a URL, a log line). */
export const TOKEN_LIKE = new RegExp(`${TOKEN_PREFIX}[0-9A-Za-z]{20,}`);

/** Uniform base62 characters by rejection sampling: 248 = 4 × 62, so bytes ≥ 248 are dropped, not folded. */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** CRC-32 (IEEE 802.3, as zlib); written out because `zlib.crc32` needs Node ≥ 20.15 and we support 20.9. */
const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, "utf8")) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function checksumOf(body: string): string {
  let n = crc32(body);
  let out = "";
  while (n > 0) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(CHECKSUM_LENGTH, "0");
}

/** A fresh token. The caller shows it once and stores only `hashToken(token)`. */
export function generateToken(): string {
  const body = TOKEN_PREFIX + randomBase62(SECRET_LENGTH);
  return body + checksumOf(body);
}

/**
 * Whether a presented string is a well-formed token with a valid checksum.
 * Pure string work, no I/O: a malformed credential is refused before any
 * query. The checksum comparison is constant-time out of habit; the checksum
 * itself is public (anyone can compute it from the token).
 */
export function isWellFormedToken(candidate: unknown): candidate is string {
  if (typeof candidate !== "string" || candidate.length !== TOKEN_LENGTH || !TOKEN_SHAPE.test(candidate)) return false;
  const body = candidate.slice(0, -CHECKSUM_LENGTH);
  const given = Buffer.from(candidate.slice(-CHECKSUM_LENGTH));
  const expected = Buffer.from(checksumOf(body));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** What is stored and looked up: lower-case hex SHA-256 of the whole token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time equality of two hex digests (the one found by the index lookup and the one just computed). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The part of a token that may be shown again after creation: `gth_…` and its last four characters. */
export function displayOf(token: string): string {
  return `${TOKEN_PREFIX}…${token.slice(-4)}`;
}
