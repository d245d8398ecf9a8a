import type { ContactRow } from "@/db/schema";
import type { Sealed } from "@/db/schema/sealed-text";
import { blindIndex, blindIndexCandidates, normalizeEmailForIndex } from "../crypto/blind-index";
import { DecryptionError, type FieldRef, isEnvelope, open, seal } from "../crypto/envelope";
import type { Keyring } from "../crypto/keyring";
import { getLogger } from "../logger";
import type { Contact } from "../routers/contacts/schemas";
import type { ServiceContext } from "./context";

/**
 * Where contacts' personal data is sealed and opened. Procedures and the
 * rest of the service see plain values; the table sees only envelopes
 * (server/crypto/envelope.ts) bound to ("contacts", column, row id), plus
 * the email's blind index.
 *
 * Why a codec in the service and not a drizzle column type doing the
 * cryptography: the associated data must name the row, and a column type's
 * toDriver/fromDriver see one value, never its row; and the keys come from
 * the request's context (tests, CLI and server each bring their own ring)
 * instead of a global. The column type `sealedText` still guards the
 * boundary: it refuses anything that is not an envelope.
 */

export const CONTACTS_TABLE = "contacts";
export const SEALED_CONTACT_COLUMNS = ["email", "phone", "notes"] as const;
type SealedColumn = (typeof SEALED_CONTACT_COLUMNS)[number];
const EMAIL_INDEX_SCOPE = "contacts.email";

/** Sealed data needs the keys; without them the service refuses to run (a 500), it never stores plaintext. */
export function requireKeyring(svc: Pick<ServiceContext, "keyring">): Keyring {
  if (!svc.keyring) throw new Error("no encryption keyring in this service context");
  return svc.keyring;
}

const ref = (rowId: string, column: SealedColumn): FieldRef => ({ table: CONTACTS_TABLE, column, rowId });

export function sealEmail(keyring: Keyring, row: { id: string; ownerId: string }, email: string) {
  return {
    email: seal(keyring, ref(row.id, "email"), email),
    emailIndex: blindIndex(
      keyring.active(),
      { column: EMAIL_INDEX_SCOPE, ownerId: row.ownerId },
      normalizeEmailForIndex(email),
    ),
  };
}

export function sealOptional(
  keyring: Keyring,
  rowId: string,
  column: "phone" | "notes",
  value: string | null,
): Sealed | null {
  return value === null ? null : seal(keyring, ref(rowId, column), value);
}

/** The blind-index values an email would have under each key of the ring: what a lookup matches. */
export function emailIndexCandidates(keyring: Keyring, ownerId: string, email: string): string[] {
  return blindIndexCandidates(keyring.all(), { column: EMAIL_INDEX_SCOPE, ownerId }, normalizeEmailForIndex(email));
}

/**
 * Opens one stored value. A failure is logged as an alert naming the row,
 * column and key id (never the stored value), then rethrown: the caller
 * answers a 500 naming the reason (server/audit/sealed-failures.ts) and
 * nothing of the value.
 */
function openField(keyring: Keyring, rowId: string, column: SealedColumn, stored: string): string {
  try {
    return open(keyring, ref(rowId, column), stored);
  } catch (error) {
    if (error instanceof DecryptionError) reportDecryptionFailure(error);
    throw error;
  }
}

export function reportDecryptionFailure(error: DecryptionError): void {
  getLogger().error(
    {
      alert: "decryption_failed",
      table: error.ref.table,
      column: error.ref.column,
      rowId: error.ref.rowId,
      keyId: error.keyId,
      reason: error.reason,
    },
    "a stored value could not be decrypted; it was not returned",
  );
}

export interface OpenedContactFields {
  email: string;
  phone: string | null;
  notes: string | null;
}

export function openContactFields(keyring: Keyring, row: ContactRow): OpenedContactFields {
  return {
    email: openField(keyring, row.id, "email", row.email),
    phone: row.phone === null ? null : openField(keyring, row.id, "phone", row.phone),
    notes: row.notes === null ? null : openField(keyring, row.id, "notes", row.notes),
  };
}

/**
 * For rows written before encryption existed (no blind index yet): a value
 * that is an envelope is opened as usual, anything else is taken as the
 * plaintext it was stored as. Used only to seal such rows, never to serve.
 */
export function openLegacyContactFields(keyring: Keyring, row: ContactRow): OpenedContactFields {
  const value = (column: SealedColumn, stored: string) =>
    isEnvelope(stored) ? openField(keyring, row.id, column, stored) : stored;
  return {
    email: value("email", row.email),
    phone: row.phone === null ? null : value("phone", row.phone),
    notes: row.notes === null ? null : value("notes", row.notes),
  };
}

export function toContact(keyring: Keyring, row: ContactRow): Contact {
  return {
    id: row.id,
    name: row.name,
    ...openContactFields(keyring, row),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
