import { z } from "zod";
import { LIMITS } from "@/db/schema/columns";
import { idPattern } from "../../id-pattern";

/**
 * Request and response schemas of the contacts procedures; lengths follow the
 * column sizes in db/schema/columns.ts. Text is NFC-normalised (so "é" typed
 * two ways is one value) and refused when it carries characters that make no
 * sense in it: C0/C1 controls (tab and line breaks allowed in notes only),
 * bidirectional overrides that can make text display as something else
 * ("Trojan Source"), and lone UTF-16 surrogates, which cannot be stored as
 * UTF-8 and would silently turn into U+FFFD.
 */

const NAME_CONTROLS = /[\u0000-\u001F\u007F-\u009F]/;
const NOTE_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const wellFormed = (s: z.ZodString) => s.refine((v) => !LONE_SURROGATE.test(v), "must be valid Unicode text");

const name = wellFormed(
  z
    .string()
    .trim()
    .normalize("NFC")
    .min(1, "must not be empty")
    .max(LIMITS.contactName, `must be at most ${LIMITS.contactName} characters`)
    .refine((v) => !NAME_CONTROLS.test(v) && !BIDI_CONTROLS.test(v), "must not contain control characters"),
);

/** Also the lookup key of the blind index (normalised again there: NFC, trimmed, lower-cased). */
const email = z
  .string()
  .trim()
  .max(LIMITS.email, `must be at most ${LIMITS.email} characters`)
  .pipe(z.email("must be a valid email address"));

/** Separators people type are dropped; what is left must be E.164 (+ and up to 15 digits). */
const phone = z
  .string()
  .max(40, "must be at most 40 characters")
  .transform((v) => v.replace(/[\s().-]/g, ""))
  .pipe(z.string().regex(/^\+[1-9]\d{1,14}$/, "must be an international number like +41 44 668 18 00"));

const notes = wellFormed(
  z
    .string()
    .normalize("NFC")
    .max(LIMITS.notes, `must be at most ${LIMITS.notes} characters`)
    .refine((v) => !NOTE_CONTROLS.test(v) && !BIDI_CONTROLS.test(v), "must not contain control characters"),
);

export const contactId = z.string().regex(idPattern("contact"), "must be a contact id (con_…)");

export const contactSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    phone: z.string().nullable(),
    notes: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Contact" });
export type Contact = z.infer<typeof contactSchema>;

export const createContactInput = z.strictObject({
  name,
  email,
  phone: phone.optional(),
  notes: notes.optional(),
});
export type CreateContactInput = z.infer<typeof createContactInput>;

export const updateContactInput = z
  .strictObject({
    id: contactId,
    name: name.optional(),
    email: email.optional(),
    phone: phone.nullable().optional(),
    notes: notes.nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 1, { message: "give at least one field to change", path: ["(body)"] });
export type UpdateContactInput = z.infer<typeof updateContactInput>;

export const contactIdInput = z.strictObject({ id: contactId });

/**
 * The largest page. A larger `limit` is refused (400 naming `limit`), not clamped: the bound the
 * OpenAPI document states is the one the server applies, as for every other list.
 */
export const PAGE_MAX = 100;
export const CONTACT_SORTS = ["createdAt", "name"] as const;
export type ContactSort = (typeof CONTACT_SORTS)[number];
/**
 * A cursor in the name order carries the name (up to 200 characters, up to 3 UTF-8 bytes each) and
 * its order, so it is longer than the default order's; this bounds it with room to spare.
 */
export const CONTACT_CURSOR_MAX = 1200;
export const listContactsInput = z.strictObject({
  limit: z.coerce
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(PAGE_MAX, `must be at most ${PAGE_MAX}`)
    .default(20)
    .describe(`Page size; default 20, at most ${PAGE_MAX}`),
  sort: z
    .enum(CONTACT_SORTS, { error: `must be one of ${CONTACT_SORTS.join(", ")}` })
    .optional()
    .describe("createdAt (default) or name (stored as typed; compared as text, so capitals sort first)"),
  direction: z
    .enum(["asc", "desc"], { error: "must be asc or desc" })
    .optional()
    .describe("Default: desc (newest first) for createdAt, asc (A to Z) for name"),
  cursor: z
    .string()
    .max(CONTACT_CURSOR_MAX, "must be a cursor returned by a previous page")
    .regex(/^[A-Za-z0-9_-]+$/, "must be a cursor returned by a previous page")
    .optional()
    .describe("nextCursor of the previous page, in the same sort and direction (another order's is refused)"),
  email: email
    .optional()
    .describe(
      "Only the contact(s) with exactly this email address (case-insensitive). Matched through a keyed blind index: the address never reaches the database.",
    ),
});
export type ListContactsInput = z.infer<typeof listContactsInput>;

export const contactPageSchema = z.object({
  items: z.array(contactSchema),
  nextCursor: z.string().nullable(),
});
