import { and, asc, desc, eq, gt, inArray, lt, or, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { preparedInsert, preparedOnce, tableRows } from "@/db/prepared";
import { type ContactRow, contacts } from "@/db/schema";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import type {
  Contact,
  ContactSort,
  CreateContactInput,
  ListContactsInput,
  UpdateContactInput,
} from "../routers/contacts/schemas";
import { recordAudit } from "./audit";
import {
  emailIndexCandidates,
  openContactFields,
  requireKeyring,
  sealEmail,
  sealOptional,
  toContact,
} from "./contact-codec";
import {
  type ContactPage,
  contactsVersion,
  envelopeKeyId,
  pageKey,
  rememberedPage,
  rememberPage,
} from "./contact-pages";
import type { ServiceContext } from "./context";
import { CURSOR_MESSAGE, decodeSortedCursor, encodeSortedCursor, type SortOrder } from "./page-cursor";

/**
 * Contacts: personal data owned by one user. email, phone and notes are
 * sealed on the way in and opened on the way out (contact-codec.ts), so the
 * procedures above and the clients beyond them only ever see plain values,
 * and the table only ever holds envelopes.
 */

/**
 * The default order's cursor = base64url("<createdAt ms>:<id>") of the last item: keyset pagination,
 * stable under inserts. Kept as it was before other orders existed, so existing clients keep working.
 */
function encodeCursor(row: ContactRow): string {
  return Buffer.from(`${row.createdAt.getTime()}:${row.id}`).toString("base64url");
}

const LEGACY_CURSOR = /^(\d{1,15}):(con_[0-9a-z]{20})$/;
const CONTACT_ID = /^con_[0-9a-z]{20}$/;

function legacyKey(cursor: string): { at: Date; id: string } | null {
  const match = LEGACY_CURSOR.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return match ? { at: new Date(Number(match[1])), id: match[2] as string } : null;
}

const DEFAULT_ORDER: SortOrder = { sort: "createdAt", direction: "desc" };
const isDefaultOrder = (order: SortOrder) => order.sort === "createdAt" && order.direction === "desc";

/** Each order's key: the column, the cursor element's shape, and the key of a row. */
const SORT_KEYS = {
  createdAt: { column: contacts.createdAt, shape: "int", of: (r: ContactRow) => r.createdAt.getTime() },
  // name is plaintext; email, phone and notes are sealed, so they are never an order.
  name: { column: contacts.name, shape: /^.{1,400}$/s, of: (r: ContactRow) => r.name },
} as const satisfies Record<ContactSort, { column: unknown; shape: RegExp | "int"; of: (r: ContactRow) => unknown }>;

/**
 * The key after which the page starts. The default order reads the old "<ms>:<id>" cursor; every
 * other order one that carries its order (page-cursor.ts). A cursor of one order presented under
 * another is refused as cursor_order_mismatch, naming cursor.
 */
function cursorKey(cursor: string, order: SortOrder): [Date | string, string] {
  const legacy = legacyKey(cursor);
  if (isDefaultOrder(order)) {
    if (legacy) return [legacy.at, legacy.id];
    // Not the default order's cursor: say so if it is another order's, else bad_cursor.
    decodeSortedCursor(cursor, order, [/^.{0,400}$/s, CONTACT_ID]);
    throw new AppError("BAD_REQUEST", `cursor: ${CURSOR_MESSAGE}`, "bad_cursor");
  }
  if (legacy) {
    throw new AppError(
      "BAD_REQUEST",
      "cursor: was returned for another order (createdAt desc); ask for the first page of this one",
      "cursor_order_mismatch",
    );
  }
  const sort = order.sort as ContactSort;
  const [value, id] = decodeSortedCursor(cursor, order, [SORT_KEYS[sort].shape, CONTACT_ID]) as [
    string | number,
    string,
  ];
  return [sort === "createdAt" ? new Date(value as number) : (value as string), id];
}

/**
 * A page of the owner's contacts. A page asked for again while none of the owner's contacts changed
 * is served as it was built (contact-pages.ts says why that is never stale).
 */
export async function listContacts(
  svc: ServiceContext,
  ownerId: string,
  input: ListContactsInput,
): Promise<ContactPage> {
  const keyring = requireKeyring(svc);
  const version = await contactsVersion(svc.db, ownerId);
  const key = pageKey(ownerId, input);
  const remembered = version === undefined ? undefined : rememberedPage(keyring, key, version);
  if (remembered) return remembered;
  const { page, rows } = await readContactPage(svc, ownerId, input);
  if (version !== undefined) {
    const keyIds = rows.flatMap((row) =>
      [row.email, row.phone, row.notes].map(envelopeKeyId).filter((id) => id !== null),
    );
    rememberPage(keyring, key, version, page, keyIds);
  }
  return page;
}

async function readContactPage(
  svc: ServiceContext,
  ownerId: string,
  input: ListContactsInput,
): Promise<{ page: ContactPage; rows: ContactRow[] }> {
  const keyring = requireKeyring(svc);
  const sort: ContactSort = input.sort ?? "createdAt";
  const order: SortOrder =
    input.sort === undefined && input.direction === undefined
      ? DEFAULT_ORDER
      : { sort, direction: input.direction ?? (sort === "name" ? "asc" : "desc") };
  const key = SORT_KEYS[sort];
  const after = input.cursor ? cursorKey(input.cursor, order) : null;
  // Exact lookup by email through the blind index: only HMACs reach SQL.
  const byEmail = input.email ? emailIndexCandidates(keyring, ownerId, input.email) : null;
  const beyond = order.direction === "asc" ? gt : lt;
  const direction = order.direction === "asc" ? asc : desc;
  const rows = await (!byEmail && !after && isDefaultOrder(order)
    ? contactRows((await firstPage(svc.db).values({ ownerId, limit: input.limit + 1 })) as unknown[][])
    : svc.db
        .select()
        .from(contacts)
        .where(
          and(
            eq(contacts.ownerId, ownerId),
            byEmail ? inArray(contacts.emailIndex, byEmail) : undefined,
            after
              ? or(beyond(key.column, after[0]), and(eq(key.column, after[0]), beyond(contacts.id, after[1])))
              : undefined,
          ),
        )
        .orderBy(direction(key.column), direction(contacts.id))
        .limit(input.limit + 1)
        .all());
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  let items = page.map((row) => toContact(keyring, row));
  if (input.email) {
    // Belt and braces: an index value copied onto another row does not make it match.
    const wanted = input.email.normalize("NFC").trim().toLowerCase();
    items = items.filter((c) => c.email.normalize("NFC").trim().toLowerCase() === wanted);
  }
  const nextCursor =
    rows.length > input.limit && last
      ? isDefaultOrder(order)
        ? encodeCursor(last)
        : encodeSortedCursor(order, [key.of(last), last.id])
      : null;
  return { page: { items, nextCursor }, rows: page };
}

const contactRows = tableRows(contacts);

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
async function findOwned(db: Executor, ownerId: string, id: string): Promise<ContactRow> {
  const row = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.id, id), eq(contacts.ownerId, ownerId)))
    .get();
  if (!row) throw notFound("Contact");
  return row;
}

export async function getContact(svc: ServiceContext, ownerId: string, id: string): Promise<Contact> {
  return toContact(requireKeyring(svc), await findOwned(svc.db, ownerId, id));
}

export async function createContact(svc: ServiceContext, ownerId: string, input: CreateContactInput): Promise<Contact> {
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
  await svc.db.transaction(async (tx) => {
    await insertContact(tx)(row);
    await recordAudit(tx, svc.clock, {
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

export async function updateContact(svc: ServiceContext, ownerId: string, input: UpdateContactInput): Promise<Contact> {
  const keyring = requireKeyring(svc);
  const { id, ...changes } = input;
  return await svc.db.transaction(async (tx) => {
    const existing = await findOwned(tx, ownerId, id);
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
    await tx
      .update(contacts)
      .set(sealed)
      .where(and(eq(contacts.id, id), eq(contacts.ownerId, ownerId)))
      .run();
    await recordAudit(tx, svc.clock, {
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

export async function deleteContact(
  svc: ServiceContext,
  ownerId: string,
  id: string,
): Promise<{ id: string; deleted: true }> {
  await svc.db.transaction(async (tx) => {
    const removed = await tx
      .delete(contacts)
      .where(and(eq(contacts.id, id), eq(contacts.ownerId, ownerId)))
      .run();
    if (removed.changes === 0) throw notFound("Contact");
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "contact.delete",
      target: { type: "contact", id },
      client: svc.client,
    });
  });
  return { id, deleted: true };
}
