import { createHmac } from "node:crypto";
import type { DataKey } from "./keys";

/**
 * Blind indexes: exact-match lookup on a sealed column without putting the
 * plaintext into SQL. The index is HMAC-SHA256, under the blind-index key
 * derived from a root key, of the normalised value together with its column
 * and its owner.
 *
 * What it leaks, by design, to someone holding the database but not the
 * keys: EQUALITY — which of one owner's rows carry the same value. Including
 * the owner in the input keeps that to within one owner's contacts: two
 * users with the same contact get unrelated index values. Without the key
 * the index cannot be reversed or tested against a guess (unlike a plain
 * hash of an email, which a dictionary reverses in seconds).
 *
 * The index of a row is computed under the same root key that seals the
 * row's value, and re-computed by re-encryption, so retiring a key retires
 * its index values too. A lookup computes one candidate per key in the ring.
 */

/** Lower-cased after NFC and trimming: what "the same email address" means for a lookup. */
export function normalizeEmailForIndex(email: string): string {
  return email.normalize("NFC").trim().toLowerCase();
}

export interface BlindIndexScope {
  /** e.g. "contacts.email" */
  column: string;
  /** The owner whose rows the index distinguishes. */
  ownerId: string;
}

export function blindIndex(key: DataKey, scope: BlindIndexScope, normalized: string): string {
  return createHmac("sha256", key.blindIndex)
    .update(JSON.stringify(["gatehouse", "v1", scope.column, scope.ownerId, normalized]), "utf8")
    .digest("base64url");
}

/** The index value under every key of the ring (active first): what a lookup matches against. */
export function blindIndexCandidates(keys: readonly DataKey[], scope: BlindIndexScope, normalized: string): string[] {
  return keys.map((key) => blindIndex(key, scope, normalized));
}
