import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, updatedAt } from "./columns";
import { sealedText } from "./sealed-text";
import { users } from "./users";

/**
 * The example resource: personal data owned by one user. email, phone and
 * notes are sealed (AES-256-GCM envelopes bound to this table, the column and
 * the row id; server/services/contact-codec.ts seals and opens them), so the
 * database file holds none of them in plaintext. `email_index` is the keyed
 * blind index that makes exact lookup by email possible (server/crypto/blind-index.ts).
 */
export const contacts = sqliteTable(
  "contacts",
  {
    id: text("id").primaryKey(), // con_…
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    email: sealedText("email").notNull(),
    phone: sealedText("phone"),
    notes: sealedText("notes"),
    /**
     * HMAC of the normalised email under the blind-index key of the key that
     * seals `email`. Null only on rows written before encryption existed;
     * start-up seals those and fills it in (server/crypto/reencrypt.ts).
     */
    emailIndex: text("email_index"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Listing is "newest first" per owner with the id as tie-breaker, so the
  // keyset pagination walks this index; the name order (plaintext, the only
  // other order) walks the second; lookups by email walk the third.
  (t) => [
    index("contacts_owner_created_idx").on(t.ownerId, t.createdAt, t.id),
    index("contacts_owner_name_idx").on(t.ownerId, t.name, t.id),
    index("contacts_owner_email_index_idx").on(t.ownerId, t.emailIndex),
  ],
);

export type ContactRow = typeof contacts.$inferSelect;
