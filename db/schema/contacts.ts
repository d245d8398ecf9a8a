import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, updatedAt } from "./columns";
import { users } from "./users";

/** The example resource: personal data owned by one user. */
export const contacts = sqliteTable(
  "contacts",
  {
    id: text("id").primaryKey(), // con_…
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    email: text("email").notNull(),
    phone: text("phone"),
    notes: text("notes"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Listing is "newest first" per owner with the id as tie-breaker, so the
  // keyset pagination walks this index.
  (t) => [index("contacts_owner_created_idx").on(t.ownerId, t.createdAt, t.id)],
);

export type ContactRow = typeof contacts.$inferSelect;
