import { z } from "zod";
import { decodeRootKey, generateRootKey, KEY_ID_PATTERN } from "./keys";

/**
 * A set of root keys with one marked active, as stored in the data folder's
 * secrets.json (`encryption`) or given in ENCRYPTION_KEYS. Old keys stay in
 * the set so that values sealed with them can still be read; new values are
 * sealed with the active one.
 *
 * ENCRYPTION_KEYS, exactly:
 *
 *   ENCRYPTION_KEYS = entry *( "," entry )
 *   entry           = [ "*" ] key-id ":" root-key
 *   key-id          = 1*32( ALPHA / DIGIT / "_" / "-" )
 *   root-key        = 43 base64url characters (32 bytes, no padding)
 *
 * The entry starting with "*" is the active key; with a single entry the
 * star may be left out. Spaces around entries are ignored. Example:
 *
 *   ENCRYPTION_KEYS="*k2:3q2-7wAAAA…,k1:q83vEjRW…"
 *
 * Errors never quote a key: they name the entry by its position or id.
 */

export interface KeySetEntry {
  id: string;
  /** The root key, base64url (43 characters). */
  key: string;
  /** When the key was generated (ISO 8601), where known (keys from the environment: unknown). */
  createdAt: string | null;
}

export interface KeySet {
  activeKeyId: string;
  keys: KeySetEntry[];
}

export class KeySetError extends Error {
  override name = "KeySetError";
}

/** The stored form inside secrets.json; validated on every read. */
export const keySetSchema = z
  .object({
    activeKeyId: z.string().regex(KEY_ID_PATTERN),
    keys: z
      .array(
        z.object({
          id: z.string().regex(KEY_ID_PATTERN),
          key: z.string().refine((k) => decodeRootKey(k) !== null),
          createdAt: z.iso.datetime().nullable(),
        }),
      )
      .min(1)
      .max(100),
  })
  .refine((set) => new Set(set.keys.map((k) => k.id)).size === set.keys.length)
  .refine((set) => set.keys.some((k) => k.id === set.activeKeyId));

export function parseEncryptionKeys(text: string): KeySet {
  const entries = text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new KeySetError("must list at least one key");
  if (entries.length > 100) throw new KeySetError("must list at most 100 keys");
  const keys: KeySetEntry[] = [];
  const starred: string[] = [];
  entries.forEach((entry, i) => {
    const where = `entry ${i + 1}`;
    const active = entry.startsWith("*");
    const body = active ? entry.slice(1) : entry;
    const colon = body.indexOf(":");
    if (colon < 0) throw new KeySetError(`${where}: must be <key-id>:<base64url key>`);
    const id = body.slice(0, colon).trim();
    const key = body.slice(colon + 1).trim();
    if (!KEY_ID_PATTERN.test(id)) throw new KeySetError(`${where}: the key id must be 1 to 32 letters, digits, _ or -`);
    if (decodeRootKey(key) === null) {
      throw new KeySetError(`key ${id}: must be 32 random bytes in base64url (43 characters)`);
    }
    if (keys.some((k) => k.id === id)) throw new KeySetError(`key ${id}: listed twice`);
    if (active) starred.push(id);
    keys.push({ id, key, createdAt: null });
  });
  if (starred.length > 1) throw new KeySetError(`mark exactly one key active with "*" (marked: ${starred.join(", ")})`);
  const activeKeyId = starred[0] ?? (keys.length === 1 ? keys[0]?.id : undefined);
  if (!activeKeyId) throw new KeySetError('mark the active key with "*", e.g. *k2:…,k1:…');
  return { activeKeyId, keys };
}

/** The ENCRYPTION_KEYS value for a key set (active key first, starred). */
export function formatEncryptionKeys(set: KeySet): string {
  const ordered = [...set.keys].sort((a, b) => Number(b.id === set.activeKeyId) - Number(a.id === set.activeKeyId));
  return ordered.map((k) => `${k.id === set.activeKeyId ? "*" : ""}${k.id}:${k.key}`).join(",");
}

export function newKeySetEntry(id: string, now: Date): KeySetEntry {
  return { id, key: generateRootKey(), createdAt: now.toISOString() };
}
