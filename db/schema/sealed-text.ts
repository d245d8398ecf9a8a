import { customType } from "drizzle-orm/sqlite-core";
import { isEnvelope } from "../../server/crypto/envelope";

declare const sealedBrand: unique symbol;
/**
 * A value as stored in a sealed column: an encryption envelope
 * (`v1.<keyId>.<nonce>.<ciphertext‖tag>`, see server/crypto/envelope.ts),
 * never plaintext. Only `seal()` produces one (by a cast), so TypeScript
 * refuses a plain string where a Sealed is expected.
 */
export type Sealed = string & { readonly [sealedBrand]: true };

/**
 * A TEXT column that only ever holds sealed values. It does no cryptography
 * itself — opening a value needs the row id it is bound to, which a column
 * type never sees — but it is the last line of defence: a value that is not
 * an envelope is refused before it reaches SQLite, so a plaintext smuggled
 * past the types (a cast, an `any`) fails loudly instead of being stored.
 * Reads return the stored text unchanged, still sealed; the owning service
 * opens it (server/services/contact-codec.ts).
 */
export const sealedText = customType<{ data: Sealed; driverData: string }>({
  dataType: () => "text",
  toDriver(value) {
    if (!isEnvelope(value)) throw new Error("refusing to store a value that is not sealed in a sealed column");
    return value;
  },
  fromDriver(value) {
    return value as Sealed;
  },
});
