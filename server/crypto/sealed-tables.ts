import { type AnyColumn, and, asc, eq, gt, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { contacts, oauthSigningKeys, secondFactors } from "@/db/schema";
import { openContactFields, openLegacyContactFields, sealEmail, sealOptional } from "../services/contact-codec";
import { ENVELOPE_VERSION, open, seal } from "./envelope";
import type { Keyring } from "./keyring";

/**
 * Every table with sealed columns, described once for the code that works on
 * all of them: counting values per key (dashboard, `keys list`, the start-up
 * check), and re-encryption. A later table with a secret at rest (an OAuth
 * client secret, a signing key) adds one entry here.
 */
export interface SealedTable {
  /** SQL table name, as in the associated data of its values. */
  name: string;
  /** SQL names of its sealed columns. */
  columns: readonly string[];
  /**
   * Rows to work on: "stale" — not entirely sealed under `activeKeyId`
   * (re-encryption); "unsealed" — written before encryption existed (sealed
   * once at start-up).
   */
  pending(activeKeyId: string, scope: PendingScope): SQL;
  /**
   * Re-seals, under the active key, up to `limit` pending rows with ids
   * after `afterId`, in id order, inside the caller's transaction. Throws a
   * DecryptionError (never skips) on a value that does not open.
   */
  resealBatch(
    tx: Executor,
    keyring: Keyring,
    opts: { afterId: string | null; limit: number; scope: PendingScope },
  ): Promise<{ count: number; lastId: string | null }>;
}

export type PendingScope = "stale" | "unsealed";

/** The key id part of an envelope in SQL; '' for a value that is not sealed (written before encryption existed). */
export function keyIdSql(column: string): SQL {
  const c = sql.identifier(column);
  return sql`case when substr(${c}, 1, 3) = ${`${ENVELOPE_VERSION}.`} then substr(${c}, 4, instr(substr(${c}, 4), '.') - 1) else '' end`;
}

function notUnder(column: AnyColumn, prefix: string): SQL {
  return sql`substr(${column}, 1, ${prefix.length}) <> ${prefix}`;
}

export const contactsSealing: SealedTable = {
  name: "contacts",
  columns: ["email", "phone", "notes"],
  pending(activeKeyId, scope) {
    if (scope === "unsealed") return isNull(contacts.emailIndex);
    const prefix = `${ENVELOPE_VERSION}.${activeKeyId}.`;
    return or(
      isNull(contacts.emailIndex),
      notUnder(contacts.email, prefix),
      and(sql`${contacts.phone} is not null`, notUnder(contacts.phone, prefix)),
      and(sql`${contacts.notes} is not null`, notUnder(contacts.notes, prefix)),
    ) as SQL;
  },
  async resealBatch(tx, keyring, { afterId, limit, scope }) {
    const rows = await tx
      .select()
      .from(contacts)
      .where(and(afterId ? gt(contacts.id, afterId) : undefined, this.pending(keyring.active().id, scope)))
      .orderBy(asc(contacts.id))
      .limit(limit)
      .all();
    for (const row of rows) {
      // A row without a blind index was written before encryption existed:
      // its values may still be plaintext, and only there is plaintext
      // accepted. Every other row must open, or the batch fails closed.
      const plain = row.emailIndex === null ? openLegacyContactFields(keyring, row) : openContactFields(keyring, row);
      const sealedEmail = sealEmail(keyring, row, plain.email);
      await tx
        .update(contacts)
        .set({
          ...sealedEmail,
          phone: sealOptional(keyring, row.id, "phone", plain.phone),
          notes: sealOptional(keyring, row.id, "notes", plain.notes),
        })
        .where(eq(contacts.id, row.id))
        .run();
    }
    return { count: rows.length, lastId: rows.at(-1)?.id ?? null };
  },
};

/** The private halves of the OAuth access-token signing keys (server/oauth/signing-keys.ts). Always sealed. */
export const signingKeysSealing: SealedTable = {
  name: "oauth_signing_keys",
  columns: ["private_jwk"],
  pending(activeKeyId, scope) {
    if (scope === "unsealed") return sql`1 = 0`;
    return notUnder(oauthSigningKeys.privateJwk, `${ENVELOPE_VERSION}.${activeKeyId}.`);
  },
  async resealBatch(tx, keyring, { afterId, limit, scope }) {
    const rows = await tx
      .select()
      .from(oauthSigningKeys)
      .where(and(afterId ? gt(oauthSigningKeys.kid, afterId) : undefined, this.pending(keyring.active().id, scope)))
      .orderBy(asc(oauthSigningKeys.kid))
      .limit(limit)
      .all();
    for (const row of rows) {
      const ref = { table: "oauth_signing_keys", column: "private_jwk", rowId: row.kid };
      await tx
        .update(oauthSigningKeys)
        .set({ privateJwk: seal(keyring, ref, open(keyring, ref, row.privateJwk)) })
        .where(eq(oauthSigningKeys.kid, row.kid))
        .run();
    }
    return { count: rows.length, lastId: rows.at(-1)?.kid ?? null };
  },
};

/** TOTP secrets (server/services/second-factors-totp.ts). Always sealed; passkey rows have none. */
export const totpSecretsSealing: SealedTable = {
  name: "second_factors",
  columns: ["totp_secret"],
  pending(activeKeyId, scope) {
    if (scope === "unsealed") return sql`1 = 0`;
    return and(
      sql`${secondFactors.totpSecret} is not null`,
      notUnder(secondFactors.totpSecret, `${ENVELOPE_VERSION}.${activeKeyId}.`),
    ) as SQL;
  },
  async resealBatch(tx, keyring, { afterId, limit, scope }) {
    const rows = await tx
      .select({ id: secondFactors.id, totpSecret: secondFactors.totpSecret })
      .from(secondFactors)
      .where(and(afterId ? gt(secondFactors.id, afterId) : undefined, this.pending(keyring.active().id, scope)))
      .orderBy(asc(secondFactors.id))
      .limit(limit)
      .all();
    for (const row of rows) {
      if (!row.totpSecret) continue;
      const ref = { table: "second_factors", column: "totp_secret", rowId: row.id };
      await tx
        .update(secondFactors)
        .set({ totpSecret: seal(keyring, ref, open(keyring, ref, row.totpSecret)) })
        .where(eq(secondFactors.id, row.id))
        .run();
    }
    return { count: rows.length, lastId: rows.at(-1)?.id ?? null };
  },
};

export const SEALED_TABLES: readonly SealedTable[] = [contactsSealing, signingKeysSealing, totpSecretsSealing];

/** How many stored values each key id protects, over every sealed column ('' = not sealed yet). */
export async function keyUsage(db: Executor): Promise<Map<string, number>> {
  const usage = new Map<string, number>();
  for (const table of SEALED_TABLES) {
    const parts = table.columns.map(
      (column) =>
        sql`select ${keyIdSql(column)} as key_id from ${sql.identifier(table.name)} where ${sql.identifier(column)} is not null`,
    );
    const rows = await db.all<{ key_id: string; n: number }>(
      sql`select key_id, count(*) as n from (${sql.join(parts, sql` union all `)}) as sealed group by key_id`,
    );
    for (const row of rows) usage.set(row.key_id, (usage.get(row.key_id) ?? 0) + row.n);
  }
  return usage;
}

/** Pending rows over all sealed tables (see SealedTable.pending). */
export async function pendingRows(db: Executor, activeKeyId: string, scope: PendingScope): Promise<number> {
  let total = 0;
  for (const table of SEALED_TABLES) {
    const row = await db.get<{ n: number }>(
      sql`select count(*) as n from ${sql.identifier(table.name)} where ${table.pending(activeKeyId, scope)}`,
    );
    total += row?.n ?? 0;
  }
  return total;
}
