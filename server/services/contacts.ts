import { and, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { preparedInsert, preparedOnce } from "@/db/prepared";
import { type ContactRow, contacts } from "@/db/schema";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import type { Contact, CreateContactInput, ListContactsInput, UpdateContactInput } from "../routers/contacts/schemas";
import { recordAudit } from "./audit";
import {
  emailIndexCandidates,
  openContactFields,
  requireKeyring,
  sealEmail,
  sealOptional,
  toContact,
} from "./contact-codec";
import type { ServiceContext } from "./context";

/**
 * Contacts: personal data owned by one user. email, phone and notes are
 * sealed on the way in and opened on the way out (contact-codec.ts), so the
 * procedures above and the clients beyond them only ever see plain values,
 * and the table only ever holds envelopes.
 */

/** Cursor = base64url("<createdAt ms>:<id>") of the last item: keyset pagination, stable under inserts. */
function encodeCursor(row: ContactRow): string {
  return Buffer.from(`${row.createdAt.getTime()}:${row.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const match = /^(\d{1,15}):(con_[0-9a-z]{20})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw new AppError("BAD_REQUEST", "cursor: must be a cursor returned by a previous page", "bad_cursor");
  return { at: new Date(Number(match[1])), id: match[2] as string };
}

export function listContacts(svc: ServiceContext, ownerId: string, input: ListContactsInput) {
  const keyring = requireKeyring(svc);
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  // Exact lookup by email through the blind index: only HMACs reach SQL.
  const byEmail = input.email ? emailIndexCandidates(keyring, ownerId, input.email) : null;
  const rows =
    !byEmail && !after
      ? firstPage(svc.db).all({ ownerId, limit: input.limit + 1 })
      : svc.db
          .select()
          .from(contacts)
          .where(
            and(
              eq(contacts.ownerId, ownerId),
              byEmail ? inArray(contacts.emailIndex, byEmail) : undefined,
              after
                ? or(lt(contacts.createdAt, after.at), and(eq(contacts.createdAt, after.at), lt(contacts.id, after.id)))
                : undefined,
            ),
          )
          .orderBy(desc(contacts.createdAt), desc(contacts.id))
          .limit(input.limit + 1)
          .all();
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  let items = page.map((row) => toContact(keyring, row));
  if (input.email) {
    // Belt and braces: an index value copied onto another row does not make it match.
    const wanted = input.email.normalize("NFC").trim().toLowerCase();
    items = items.filter((c) => c.email.normalize("NFC").trim().toLowerCase() === wanted);
  }
  return { items, nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null };
}

/** The common case, a first page without a filter, as a query built once (db/prepared.ts). */
function firstPage(db: Executor) {
  return preparedOnce(db, "contacts.firstPage", () =>
    db
      .select()
      .from(contacts)
      .where(eq(contacts.ownerId, sql.placeholder("ownerId")))
      .orderBy(desc(contacts.createdAt), desc(contacts.id))
      .limit(sql.placeholder("limit"))
      .prepare(),
  );
}

const CONTACT_COLUMNS = [
  "id",
  "ownerId",
  "name",
  "email",
  "emailIndex",
  "phone",
  "notes",
  "createdAt",
  "updatedAt",
] as const satisfies readonly (keyof ContactRow)[];

/** The insert of a new contact, prepared once (db/prepared.ts). */
const insertContact = (db: Executor) => preparedInsert(db, "contacts.insert", contacts, CONTACT_COLUMNS);

/** Object-level check in the query itself: another owner's id is simply not found. */
function findOwned(db: Executor, ownerId: string, id: string): ContactRow {
  const row = db
    .select()
    .from(contacts)
    .where(and(eq(contacts.id, id), eq(contacts.ownerId, ownerId)))
    .get();
  if (!row) throw notFound("Contact");
  return row;
}

export function getContact(svc: ServiceContext, ownerId: string, id: string): Contact {
  return toContact(requireKeyring(svc), findOwned(svc.db, ownerId, id));
}

export function createContact(svc: ServiceContext, ownerId: string, input: CreateContactInput): Contact {
  const keyring = requireKeyring(svc);
  const now = svc.clock.now();
  const id = newId("contact");
  const row: ContactRow = {
    id,
    ownerId,
    name: input.name,
    ...sealEmail(keyring, { id, ownerId }, input.email),
    phone: sealOptional(keyring, id, "phone", input.phone ?? null),
    notes: sealOptional(keyring, id, "notes", input.notes ?? null),
    createdAt: now,
    updatedAt: now,
  };
  svc.db.transaction((tx) => {
    insertContact(tx)(row);
    recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "contact.create",
      target: { type: "contact", id: row.id },
      client: svc.client,
    });
  });
  return {
    id,
    name: row.name,
    email: input.email,
    phone: input.phone ?? null,
    notes: input.notes ?? null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

export function updateContact(svc: ServiceContext, ownerId: string, input: UpdateContactInput): Contact {
  const keyring = requireKeyring(svc);
  const { id, ...changes } = input;
  return svc.db.transaction((tx) => {
    const existing = findOwned(tx, ownerId, id);
    // Opening the current values first also means a row that cannot be
    // decrypted is not silently half-overwritten: the update fails closed.
    const current = openContactFields(keyring, existing);
    const next = {
      name: changes.name ?? existing.name,
      email: changes.email ?? current.email,
      phone: changes.phone === undefined ? current.phone : changes.phone,
      notes: changes.notes === undefined ? current.notes : changes.notes,
    };
    const updatedAt = svc.clock.now();
    const sealed: Partial<ContactRow> = { name: next.name, updatedAt };
    if (changes.email !== undefined) Object.assign(sealed, sealEmail(keyring, existing, changes.email));
    if (changes.phone !== undefined) sealed.phone = sealOptional(keyring, id, "phone", changes.phone);
    if (changes.notes !== undefined) sealed.notes = sealOptional(keyring, id, "notes", changes.notes);
    tx.update(contacts)
      .set(sealed)
      .where(and(eq(contacts.id, id), eq(contacts.ownerId, ownerId)))
      .run();
    recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "contact.update",
      target: { type: "contact", id },
      client: svc.client,
      // Field names only: the values are personal data.
      detail: { fields: Object.keys(changes).filter((k) => changes[k as keyof typeof changes] !== undefined) },
    });
    return {
      id,
      ...next,
      createdAt: existing.createdAt.toISOString(),
      updatedAt: updatedAt.toISOString(),
    };
  });
}

export function deleteContact(svc: ServiceContext, ownerId: string, id: string): { id: string; deleted: true } {
  svc.db.transaction((tx) => {
    const removed = tx
      .delete(contacts)
      .where(and(eq(contacts.id, id), eq(contacts.ownerId, ownerId)))
      .run();
    if (removed.changes === 0) throw notFound("Contact");
    recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "contact.delete",
      target: { type: "contact", id },
      client: svc.client,
    });
  });
  return { id, deleted: true };
}
