import { and, desc, eq, lt, or } from "drizzle-orm";
import type { Executor } from "@/db";
import { type ContactRow, contacts } from "@/db/schema";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import type { Contact, CreateContactInput, ListContactsInput, UpdateContactInput } from "../routers/contacts/schemas";
import { recordAudit } from "./audit";
import type { ServiceContext } from "./context";

function toContact(row: ContactRow): Contact {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    notes: row.notes,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

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
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  const rows = svc.db
    .select()
    .from(contacts)
    .where(
      and(
        eq(contacts.ownerId, ownerId),
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
  return { items: page.map(toContact), nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null };
}

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
  return toContact(findOwned(svc.db, ownerId, id));
}

export function createContact(svc: ServiceContext, ownerId: string, input: CreateContactInput): Contact {
  const now = svc.clock.now();
  const row: ContactRow = {
    id: newId("contact"),
    ownerId,
    name: input.name,
    email: input.email,
    phone: input.phone ?? null,
    notes: input.notes ?? null,
    createdAt: now,
    updatedAt: now,
  };
  svc.db.transaction((tx) => {
    tx.insert(contacts).values(row).run();
    recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "contact.create",
      target: { type: "contact", id: row.id },
      client: svc.client,
    });
  });
  return toContact(row);
}

export function updateContact(svc: ServiceContext, ownerId: string, input: UpdateContactInput): Contact {
  const { id, ...changes } = input;
  return svc.db.transaction((tx) => {
    const existing = findOwned(tx, ownerId, id);
    const updated: ContactRow = {
      ...existing,
      ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
      updatedAt: svc.clock.now(),
    };
    tx.update(contacts)
      .set({
        name: updated.name,
        email: updated.email,
        phone: updated.phone,
        notes: updated.notes,
        updatedAt: updated.updatedAt,
      })
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
    return toContact(updated);
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
