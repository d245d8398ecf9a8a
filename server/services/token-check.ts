import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { preparedOnce } from "@/db/prepared";
import { type ApiTokenRow, apiTokens, type UserRow, users } from "@/db/schema";
import { hashToken, isWellFormedToken, sameHash } from "../auth/api-token";
import type { Scope } from "../auth/scopes";
import type { Clock } from "../clock";
import { getLogger } from "../logger";
import { effectiveScopes, statusOf } from "./token-rules";

/** last_used_at/ip are written at most this often per token: no write on every request. */
export const LAST_USED_INTERVAL_MS = 60_000;

export type TokenRefusal = "unknown" | "revoked" | "expired" | "owner_disabled";

export type TokenCheck =
  | { ok: true; token: ApiTokenRow; owner: UserRow; scopes: Scope[] }
  | { ok: false; reason: TokenRefusal; tokenId: string | null };

/**
 * The per-request check of a presented token: one indexed lookup by hash,
 * then the live state of the row and of its owner. No cache, so a revocation,
 * a disabled owner or a demotion counts on the very next request. A string
 * that is not a well-formed token never reaches the database.
 */
export async function checkToken(db: Db, clock: Clock, presented: string, ip: string | null): Promise<TokenCheck> {
  if (!isWellFormedToken(presented)) return { ok: false, reason: "unknown", tokenId: null };
  const hash = hashToken(presented);
  const found = await preparedOnce(db, "tokens.byHash", () =>
    db
      .select({ token: apiTokens, owner: users })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.tokenHash, sql.placeholder("hash")))
      .prepare(),
  ).get({ hash });
  // The index found the row by equality on the digest; compare again in
  // constant time so no code path compares secret-derived bytes with `===`.
  if (!found || !sameHash(found.token.tokenHash, hash)) return { ok: false, reason: "unknown", tokenId: null };
  const { token, owner } = found;
  const now = clock.now();
  const status = statusOf(token, now);
  if (status !== "active") return { ok: false, reason: status, tokenId: token.id };
  if (owner.disabledAt) return { ok: false, reason: "owner_disabled", tokenId: token.id };
  await noteUse(db, token, now, ip);
  return { ok: true, token, owner, scopes: effectiveScopes(token.scopes, owner) };
}

/**
 * Last use per token and database handle, as last written by this process.
 * Together with the row's own last_used_at it keeps the write to at most one
 * per token per minute, even when many requests arrive in the same instant.
 */
const lastWrites = new WeakMap<object, Map<string, number>>();

async function noteUse(db: Db, token: ApiTokenRow, now: Date, ip: string | null): Promise<void> {
  let seen = lastWrites.get(db);
  if (!seen) {
    seen = new Map();
    lastWrites.set(db, seen);
  }
  const t = now.getTime();
  const last = Math.max(
    seen.get(token.id) ?? Number.NEGATIVE_INFINITY,
    token.lastUsedAt?.getTime() ?? Number.NEGATIVE_INFINITY,
  );
  if (t - last < LAST_USED_INTERVAL_MS) return;
  seen.set(token.id, t);
  if (seen.size > 10_000) {
    for (const [id, at] of seen) if (t - at >= LAST_USED_INTERVAL_MS) seen.delete(id);
  }
  try {
    // Conditional: another instance that wrote within the minute wins, and this becomes a no-op.
    await db
      .update(apiTokens)
      .set({ lastUsedAt: now, lastUsedIp: ip })
      .where(
        and(
          eq(apiTokens.id, token.id),
          or(isNull(apiTokens.lastUsedAt), lte(apiTokens.lastUsedAt, new Date(t - LAST_USED_INTERVAL_MS))),
        ),
      )
      .run();
  } catch (error) {
    // Bookkeeping must not fail an authenticated request (e.g. SQLITE_BUSY).
    getLogger().warn({ id: token.id, err: { message: (error as Error).message } }, "could not record token use");
  }
}
