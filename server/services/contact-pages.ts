import { eq, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { preparedOnce } from "@/db/prepared";
import { contactVersions } from "@/db/schema";
import type { Keyring } from "../crypto/keyring";
import type { DataKey } from "../crypto/keys";
import type { Contact } from "../routers/contacts/schemas";

/**
 * Pages of contacts this process has served, remembered so that the same
 * page asked for again is not read, opened and built again while nothing in
 * it changed. Reading 21 rows and opening 60 sealed values was most of the
 * cost of a list call (docs/benchmarks.md); a remembered page costs one
 * indexed lookup of the owner's version.
 *
 * Why a remembered page is never stale:
 * - it is kept under the owner's contacts version it was read at
 *   (db/schema/contact-versions.ts): triggers give the owner a new random
 *   version whenever any of their contacts is inserted, changed or deleted,
 *   by whatever writer, on every instance of a fleet (the version is in the
 *   shared database, read on every call);
 * - the version is read before the page, so a page may be newer than the
 *   version it is kept under, never older; a write that commits between the
 *   two reads changes the version, and the page is not found under the new one;
 * - a version read inside a transaction that is then rolled back is random
 *   and never becomes current: nothing kept under it is found again;
 * - an owner without a version row (none yet: no contact was ever written)
 *   is never remembered.
 *
 * As with remembered sealed values (server/crypto/envelope.ts): a page is
 * served only while the ring still holds the very key objects that opened
 * its values, so a key taken out of the ring takes its pages with it; the
 * plaintext stays in this process's memory, next to the keys, bounded.
 */

export interface ContactPage {
  items: Contact[];
  nextCursor: string | null;
}

interface Remembered {
  version: string;
  page: ContactPage;
  /** The keys that opened the page's values, by id: served only while the ring holds these very objects. */
  keys: Array<[string, DataKey]>;
}

/** At most this many pages and, over all of them, this many contacts (a page holds up to 100). */
const MAX_PAGES = 512;
const MAX_CONTACTS = 8_192;

const pages = new Map<string, Remembered>();
let contactsHeld = 0;

/** The owner's contacts version now; undefined when the owner has none (never remembered). */
export async function contactsVersion(db: Executor, ownerId: string): Promise<string | undefined> {
  const query = preparedOnce(db, "contacts.version", () =>
    db
      .select({ version: contactVersions.version })
      .from(contactVersions)
      .where(eq(contactVersions.ownerId, sql.placeholder("ownerId")))
      .prepare(),
  );
  return (await query.get({ ownerId }))?.version;
}

/**
 * What a page is remembered by: the owner and the whole input, every field by name (a field added to
 * the input later shapes the key without anyone remembering to add it here).
 */
export function pageKey(ownerId: string, input: object): string {
  const fields = Object.entries(input)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // JSON keeps the parts apart whatever they hold (a cursor or an email is caller-chosen text).
  return JSON.stringify([ownerId, fields]);
}

export function rememberedPage(keyring: Keyring, key: string, version: string): ContactPage | undefined {
  const known = pages.get(key);
  if (!known) return undefined;
  if (known.version !== version || known.keys.some(([id, dataKey]) => keyring.get(id) !== dataKey)) {
    forget(key, known);
    return undefined;
  }
  return known.page;
}

/**
 * Keeps a page read at `version`. Its items are frozen: the same objects are handed to every later
 * caller, so none may change them. `keyIds` are the ids of the keys that sealed its values.
 */
export function rememberPage(
  keyring: Keyring,
  key: string,
  version: string,
  page: ContactPage,
  keyIds: Iterable<string>,
): void {
  const keys: Array<[string, DataKey]> = [];
  for (const id of new Set(keyIds)) {
    const dataKey = keyring.get(id);
    if (!dataKey) return;
    keys.push([id, dataKey]);
  }
  if (page.items.length > MAX_CONTACTS) return;
  for (const item of page.items) Object.freeze(item);
  Object.freeze(page.items);
  Object.freeze(page);
  const old = pages.get(key);
  if (old) forget(key, old);
  pages.set(key, { version, page, keys });
  contactsHeld += page.items.length;
  // The oldest kept go first (a Map iterates in insertion order).
  for (const [oldestKey, oldest] of pages) {
    if (pages.size <= MAX_PAGES && contactsHeld <= MAX_CONTACTS) break;
    forget(oldestKey, oldest);
  }
}

function forget(key: string, known: Remembered): void {
  pages.delete(key);
  contactsHeld -= known.page.items.length;
}

/** The key id of an envelope (`v1.<key id>.<nonce>.<body>`); null for anything else. */
export function envelopeKeyId(stored: string | null): string | null {
  if (stored === null || !stored.startsWith("v1.")) return null;
  const end = stored.indexOf(".", 3);
  return end > 3 ? stored.slice(3, end) : null;
}

/** For tests: nothing remembered. */
export function forgetContactPages(): void {
  pages.clear();
  contactsHeld = 0;
}
