import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt } from "./columns";

/**
 * Every data-encryption key id this database has ever been used with, and the
 * fingerprint of the key it was first used with (server/crypto/keys.ts
 * `keyFingerprint`: an HMAC of the key under a fixed label, never the key).
 * Rows are never deleted, not even when the key is removed from the ring: an
 * id is never reused for another key. A ring holding a different key under a
 * recorded id is refused at start-up and on reload, before it seals or opens
 * anything (server/services/key-check.ts).
 */
export const encryptionKeys = sqliteTable("encryption_keys", {
  keyId: text("key_id").primaryKey(),
  fingerprint: text("fingerprint").notNull(),
  /** When this database first met the key (start-up, rotation or a reload of the ring). */
  createdAt: createdAt(),
});

export type EncryptionKeyRow = typeof encryptionKeys.$inferSelect;
