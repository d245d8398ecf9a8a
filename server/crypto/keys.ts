import { createHmac, hkdfSync, randomBytes } from "node:crypto";

/**
 * Root keys and what is derived from them. A root key is 32 bytes from the
 * CSPRNG with a short id; it is never used directly. Each purpose gets its
 * own key through HKDF-SHA256 (RFC 5869) with a versioned info string, so a
 * key used for one job (say, the blind index) can never be confused with or
 * leak another (the encryption key), and a later "v2" derivation can live
 * beside "v1" during a migration.
 *
 * No salt: HKDF's salt strengthens extraction from a low-entropy input. Our
 * input is 256 uniformly random bits, for which RFC 5869 §3.1 allows none
 * (a string of zeros is used), and a fixed salt would add nothing.
 */

export const ROOT_KEY_BYTES = 32;
/** Key ids go inside every stored value (`v1.<keyId>.…`), so they are short and free of the separator. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export const KEY_PURPOSES = {
  /** AES-256-GCM for sealed columns (server/crypto/envelope.ts). */
  encryption: "gatehouse/v1/field-encryption/aes-256-gcm",
  /** HMAC-SHA256 blind indexes for exact lookups (server/crypto/blind-index.ts). */
  blindIndex: "gatehouse/v1/blind-index/hmac-sha256",
  /**
   * HMAC-SHA256 for API token hashes. Not used today: API tokens carry 256
   * random bits and are stored as a plain SHA-256 on purpose (see
   * server/auth/api-token.ts); this derivation is reserved so that a keyed
   * hash, if ever wanted, comes from the same ring and rotates with it.
   */
  tokenHmac: "gatehouse/v1/token-hmac/hmac-sha256",
} as const;
export type KeyPurpose = keyof typeof KEY_PURPOSES;

/**
 * A key's fingerprint: HMAC-SHA256 keyed with the root key over a fixed
 * domain-separation label, truncated to 64 bits (16 hex characters). It
 * names a key without revealing anything of it (HMAC is a PRF: without the
 * key the output is indistinguishable from random, and it shares no
 * derivation with the purpose keys above), so it can be shown by
 * `keys list`, written to the database and put in error messages. 64 bits
 * are plenty to tell one random key from another; it is not a MAC.
 */
export const FINGERPRINT_LABEL = "gatehouse/v1/key-fingerprint";

export function keyFingerprint(root: Buffer): string {
  if (root.length !== ROOT_KEY_BYTES) throw new Error(`a root key must be ${ROOT_KEY_BYTES} bytes`);
  return createHmac("sha256", root).update(FINGERPRINT_LABEL).digest("hex").slice(0, 16);
}

/** One root key with its derived per-purpose keys, computed once. */
export interface DataKey {
  readonly id: string;
  /** keyFingerprint of the root key: what the database records for this id. */
  readonly fingerprint: string;
  readonly encryption: Buffer;
  readonly blindIndex: Buffer;
  readonly tokenHmac: Buffer;
}

export function deriveKey(root: Buffer, purpose: KeyPurpose): Buffer {
  if (root.length !== ROOT_KEY_BYTES) throw new Error(`a root key must be ${ROOT_KEY_BYTES} bytes`);
  return Buffer.from(hkdfSync("sha256", root, Buffer.alloc(0), KEY_PURPOSES[purpose], 32));
}

export function dataKeyFrom(id: string, root: Buffer): DataKey {
  if (!KEY_ID_PATTERN.test(id)) throw new Error("a key id is 1 to 32 letters, digits, _ or -");
  return {
    id,
    fingerprint: keyFingerprint(root),
    encryption: deriveKey(root, "encryption"),
    blindIndex: deriveKey(root, "blindIndex"),
    tokenHmac: deriveKey(root, "tokenHmac"),
  };
}

/** A fresh root key, as stored: base64url without padding (43 characters). */
export function generateRootKey(): string {
  return randomBytes(ROOT_KEY_BYTES).toString("base64url");
}

/** Decodes a stored root key; null when it is not exactly 32 bytes of canonical base64url. */
export function decodeRootKey(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  const bytes = Buffer.from(text, "base64url");
  // Canonical only: the last character carries 4 unused bits that must be zero.
  return bytes.length === ROOT_KEY_BYTES && bytes.toString("base64url") === text ? bytes : null;
}

/** `k1`, `k2`, …: the next free id after the highest numbered one. */
export function nextKeyId(existing: readonly string[]): string {
  let highest = 0;
  for (const id of existing) {
    const n = /^k(\d{1,9})$/.exec(id)?.[1];
    if (n) highest = Math.max(highest, Number(n));
  }
  return `k${highest + 1}`;
}
