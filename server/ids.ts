import { randomBytes } from "node:crypto";

import { ID_PREFIXES, type IdKind } from "./id-pattern";

export { ID_PREFIXES, type IdKind, idPattern } from "./id-pattern";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * Bytes from the CSPRNG, fetched 4 KiB at a time: every request makes at
 * least one id (its request id), and a call into the CSPRNG per id cost more
 * than the id itself. Each byte is used once.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

function randomByte(): number {
  if (poolAt >= pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  return pool[poolAt++] as number;
}

/** The largest multiple of 36 that fits a byte: bytes from here up are skipped, so every character is equally likely. */
const UNBIASED_BELOW = 252;

/** 20 base36 characters from the CSPRNG, uniformly: ~103 bits, unguessable and URL-safe. */
export function newId(kind: IdKind): string {
  let out = "";
  while (out.length < 20) {
    const byte = randomByte();
    if (byte < UNBIASED_BELOW) out += ALPHABET[byte % 36];
  }
  return `${ID_PREFIXES[kind]}_${out}`;
}
