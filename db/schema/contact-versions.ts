import { sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * What a page of one owner's contacts was read at: a fresh random value
 * whenever any of that owner's contacts is inserted, changed or deleted,
 * written by triggers on `contacts` (migrations 0015 and 0004 on
 * PostgreSQL), so that no writer, not even raw SQL, can change a contact
 * without changing it. Each process remembers the pages it served under the
 * version they were read at (server/services/contact-pages.ts); a page is
 * served again only while the version it was read at is still the stored one.
 *
 * Random rather than a counter: a row deleted and made again (or a database
 * restored from a backup) never brings back a value a process remembers.
 * No foreign key: a trigger of a cascaded delete of a user's contacts writes
 * here while the user row goes, and the row of a deleted user says nothing.
 */
export const contactVersions = sqliteTable("contact_versions", {
  ownerId: text("owner_id").primaryKey(),
  version: text("version").notNull(),
});
