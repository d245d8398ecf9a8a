import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Sealed } from "@/db/schema/sealed-text";
import type { Keyring } from "./keyring";
import type { DataKey } from "./keys";
import { KEY_ID_PATTERN } from "./keys";

/**
 * Sealed values: AES-256-GCM under the ring's active key, in a versioned,
 * self-describing text envelope
 *
 *   v1.<keyId>.<nonce>.<ciphertext‖tag>        (nonce and body in base64url)
 *
 * - a fresh 96-bit nonce from the CSPRNG for every value (random nonces are
 *   safe for far more than 2^32 values per key before rotation; see docs);
 * - the 128-bit tag authenticates the value AND its place: the associated
 *   data is the version, key id, table, column and row id, so a ciphertext
 *   copied to another row or column, or relabelled with another key id, does
 *   not open;
 * - the plaintext is padded (ISO/IEC 7816-4: 0x80 then zeros) to a multiple
 *   of 32 bytes, so the stored length tells only a size class, not the
 *   exact length of a phone number or an email address.
 *
 * Opening fails closed: any problem is a DecryptionError, never the stored
 * text passed off as data.
 */

export const ENVELOPE_VERSION = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PAD_BLOCK = 32;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const ENVELOPE_SHAPE = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43,})$/;

/** Where a value lives; bound into its tag. */
export interface FieldRef {
  table: string;
  column: string;
  rowId: string;
}

export type DecryptionFailure = "malformed" | "unknown_key" | "authentication_failed";

/**
 * A stored value could not be opened. Carries where (table, column, row) and
 * which key id it names, for the alert log; never the ciphertext. Not an
 * AppError: the tRPC error mapping turns it into one that names the reason
 * (server/audit/sealed-failures.ts), and audits and counts it.
 */
export class DecryptionError extends Error {
  override name = "DecryptionError";
  constructor(
    readonly ref: FieldRef,
    readonly keyId: string | null,
    readonly reason: DecryptionFailure,
  ) {
    super(`cannot open ${ref.table}.${ref.column} of ${ref.rowId} (key ${keyId ?? "?"}): ${reason}`);
  }
}

function associatedData(keyId: string, ref: FieldRef): Buffer {
  // JSON of an array: unambiguous whatever the parts contain.
  return Buffer.from(JSON.stringify(["gatehouse", ENVELOPE_VERSION, keyId, ref.table, ref.column, ref.rowId]), "utf8");
}

function pad(plain: Buffer): Buffer {
  const length = (Math.floor(plain.length / PAD_BLOCK) + 1) * PAD_BLOCK;
  const out = Buffer.alloc(length);
  plain.copy(out);
  out[plain.length] = 0x80;
  return out;
}

function unpad(padded: Buffer): Buffer | null {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  return end >= 0 && padded[end] === 0x80 ? padded.subarray(0, end) : null;
}

/** Seals a string under the ring's active key, bound to where it will be stored. */
export function seal(keyring: Keyring, ref: FieldRef, plaintext: string): Sealed {
  const key = keyring.active();
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.encryption, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(key.id, ref));
  const body = Buffer.concat([cipher.update(pad(Buffer.from(plaintext, "utf8"))), cipher.final(), cipher.getAuthTag()]);
  return `${ENVELOPE_VERSION}.${key.id}.${nonce.toString("base64url")}.${body.toString("base64url")}` as Sealed;
}

/** The key id a stored value names, or null when it is not an envelope at all. */
export function keyIdOf(stored: string): string | null {
  const match = ENVELOPE_SHAPE.exec(stored);
  return match ? (match[1] as string) : null;
}

export function isEnvelope(value: unknown): value is string {
  return typeof value === "string" && ENVELOPE_SHAPE.test(value);
}

/** Opens a stored value; throws DecryptionError on anything but an intact value sealed for exactly this place. */
/**
 * Values this process opened lately, by their exact envelope, with the
 * place (table, column, row) they were opened for: a list read again is not
 * decrypted again. This changes nothing that encryption protects:
 * - a changed byte makes another envelope, which misses and is
 *   authenticated (and refused) as always; an envelope copied to another row
 *   is not served, since the place must match too (nonces are random, so two
 *   places never share an envelope);
 * - a remembered value is served only while the ring still holds the very
 *   key object that opened it, so a key taken out of the ring (or re-read
 *   from the data folder) takes its values with it: nothing is opened under
 *   a key the ring no longer holds;
 * - plaintext lives only in this process's memory, next to the keys that
 *   open every value anyway, bounded to RECENTLY_OPENED values.
 *
 * The map is keyed by the envelope's last RECENT_KEY_CHARS characters (its
 * authentication tag, random like the nonce), and a hit must match the whole
 * envelope: a Map hashes its string keys character by character, and hashing
 * a whole envelope of a few hundred characters per value, 60 values per
 * page of contacts, was a visible share of a list's cost; comparing two
 * strings is a memory compare.
 */
const RECENTLY_OPENED = 4096;
const RECENT_KEY_CHARS = 22;
const recent = new Map<string, FieldRef & { stored: string; keyId: string; key: DataKey; text: string }>();

export function open(keyring: Keyring, ref: FieldRef, stored: string): string {
  const recentKey = stored.slice(-RECENT_KEY_CHARS);
  const known = recent.get(recentKey);
  // Served from memory only for the very same envelope and place, and while the ring still holds the very key
  // object that opened it.
  if (
    known &&
    known.stored === stored &&
    known.rowId === ref.rowId &&
    known.column === ref.column &&
    known.table === ref.table &&
    keyring.get(known.keyId) === known.key
  ) {
    recent.delete(recentKey);
    recent.set(recentKey, known);
    return known.text;
  }
  const match = ENVELOPE_SHAPE.exec(stored);
  if (!match) {
    // A malformed value may still start with a readable key id: report it for the alert if it looks like one.
    const guess = stored.startsWith("v1.") ? (stored.split(".")[1] ?? "") : "";
    throw new DecryptionError(ref, KEY_ID_PATTERN.test(guess) ? guess : null, "malformed");
  }
  const [, keyId, nonceText, bodyText] = match as unknown as [string, string, string, string];
  const key = keyring.get(keyId);
  if (!key) throw new DecryptionError(ref, keyId, "unknown_key");
  const nonce = Buffer.from(nonceText, "base64url");
  const body = Buffer.from(bodyText, "base64url");
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES + PAD_BLOCK) {
    throw new DecryptionError(ref, keyId, "malformed");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.encryption, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(keyId, ref));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const padded = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    const plain = unpad(padded);
    if (!plain) throw new Error("bad padding");
    const text = STRICT_UTF8.decode(plain);
    recent.set(recentKey, { ...ref, stored, keyId, key, text });
    if (recent.size > RECENTLY_OPENED) recent.delete(recent.keys().next().value as string);
    return text;
  } catch {
    throw new DecryptionError(ref, keyId, "authentication_failed");
  }
}
