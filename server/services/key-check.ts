import type { Executor } from "@/db";
import type { Keyring } from "../crypto/keyring";
import { KEY_ID_PATTERN } from "../crypto/keys";
import { keyUsage } from "../crypto/sealed-tables";

/** What a stored value claims as its key id comes from the database: shown only in a safe, short form. */
export function printableKeyId(id: string): string {
  return KEY_ID_PATTERN.test(id) ? id : JSON.stringify(id.slice(0, 32));
}

export class UnknownKeyError extends Error {
  override name = "UnknownKeyError";
}

/**
 * Start-up (and re-encryption) check: every key id named by a stored value
 * must be in the ring. Fails closed with a message saying which ids and how
 * many values, and what to do; a server that started anyway would answer
 * 500 for each of those rows.
 */
export function assertStoredKeysKnown(db: Executor, keyring: Keyring): void {
  const missing = [...keyUsage(db).entries()].filter(([id]) => id !== "" && !keyring.get(id));
  if (missing.length === 0) return;
  const list = missing.map(([id, n]) => `${printableKeyId(id)} (${n} value${n === 1 ? "" : "s"})`).join(", ");
  const where = keyring.source === "env" ? "ENCRYPTION_KEYS" : "DATA_DIR/secrets.json (or set ENCRYPTION_KEYS)";
  throw new UnknownKeyError(
    `stored values are encrypted with key ids that are not in the keyring: ${list}. Restore the missing key(s) in ${where}; without them those values cannot be read.`,
  );
}
