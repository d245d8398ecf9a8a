import { and, asc, count, desc, eq, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { type ApiTokenRow, apiTokens, oauthConsents, oauthGrants, type UserRow, users } from "@/db/schema";
import { displayOf, generateToken, hashToken } from "../auth/api-token";
import type { Scope } from "../auth/scopes";
import { DEFAULT_TOKEN_POLICY } from "../config";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import { recordAudit } from "./audit";
import type { ServiceContext } from "./context";
import { decodeCursor, decodeSortedCursor, encodeSortedCursor, type SortOrder } from "./page-cursor";
import { endUserSessions } from "./sessions";
import type { TokenSort } from "./token-limits";
import {
  assertGrantable,
  type CreatedToken,
  type CreateTokenInput,
  effectiveScopes,
  expiryFrom,
  type IssueOptions,
  iso,
  MAX_ACTIVE_TOKENS_PER_USER,
  MAX_GRACE_MS,
  normalizeScopes,
  type RotatedToken,
  revokerOf,
  statusOf,
  statusWhere,
  type TokenStatus,
  type TokenSummary,
  tokenName,
  toSummary,
} from "./token-rules";
import { getUserRow, normalizeEmail } from "./users";

export { checkToken, LAST_USED_INTERVAL_MS, type TokenCheck, type TokenRefusal } from "./token-check";
export * from "./token-rules";

/**
 * API token lifecycle: create, list, revoke, rotate, revoke everything (the
 * per-request check is in token-check.ts, the rules in token-rules.ts). Knows nothing of HTTP or tRPC; the dashboard, both
 * API transports and the CLI call these functions. The plaintext token exists
 * only in the return value of createToken/rotateToken and is never logged,
 * audited or stored.
 */

async function activeOwner(tx: Executor, userId: string): Promise<UserRow> {
  const owner = await getUserRow(tx, userId);
  if (owner.disabledAt) throw new AppError("CONFLICT", "The user is disabled", "user_disabled");
  return owner;
}

/** A token with its owner; with `ownerId`, another owner's token is simply not found (never a 403). */
async function findToken(
  tx: Executor,
  tokenId: string,
  ownerId?: string,
): Promise<{ token: ApiTokenRow; owner: UserRow }> {
  const found = await tx
    .select({ token: apiTokens, owner: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.id, tokenId), ownerId ? eq(apiTokens.userId, ownerId) : undefined))
    .get();
  if (!found) throw notFound("Token");
  return found;
}

async function assertBelowCap(tx: Executor, userId: string, now: Date): Promise<void> {
  const live =
    (
      await tx
        .select({ n: count() })
        .from(apiTokens)
        .where(and(eq(apiTokens.userId, userId), statusWhere("active", now)))
        .get()
    )?.n ?? 0;
  if (live >= MAX_ACTIVE_TOKENS_PER_USER) {
    throw new AppError(
      "CONFLICT",
      `At most ${MAX_ACTIVE_TOKENS_PER_USER} active tokens per user; revoke some first`,
      "too_many_tokens",
    );
  }
}

async function insertToken(
  tx: Executor,
  values: { userId: string; name: string; scopes: Scope[]; now: Date; expiresAt: Date | null; rotatedFromId?: string },
): Promise<{ row: ApiTokenRow; token: string }> {
  const token = generateToken();
  const row: ApiTokenRow = {
    id: newId("token"),
    userId: values.userId,
    name: values.name,
    tokenHash: hashToken(token),
    display: displayOf(token),
    scopes: values.scopes,
    createdAt: values.now,
    expiresAt: values.expiresAt,
    lastUsedAt: null,
    lastUsedIp: null,
    revokedAt: null,
    revokedBy: null,
    revokedReason: null,
    rotatedFromId: values.rotatedFromId ?? null,
    replacedById: null,
    graceUntil: null,
  };
  await tx.insert(apiTokens).values(row).run();
  return { row, token };
}

// ---------------------------------------------------------------- lifecycle

/** Creates a token for `userId`; the plaintext is in the result and nowhere else. */
export async function createToken(
  svc: ServiceContext,
  userId: string,
  input: CreateTokenInput,
  opts: IssueOptions = {},
): Promise<CreatedToken> {
  const policy = opts.policy ?? DEFAULT_TOKEN_POLICY;
  const name = tokenName(input.name);
  const scopes = normalizeScopes(input.scopes);
  const now = svc.clock.now();
  const expiresAt = expiryFrom(policy, input.expiresInMs, now);
  return await svc.db.transaction(async (tx) => {
    const owner = await activeOwner(tx, userId);
    assertGrantable(scopes, owner, opts.grantorScopes);
    await assertBelowCap(tx, userId, now);
    const { row, token } = await insertToken(tx, { userId, name, scopes, now, expiresAt });
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "token.create",
      target: { type: "api_token", id: row.id },
      client: svc.client,
      detail: { ownerId: userId, name, scopes, expiresAt: iso(expiresAt) },
    });
    return { ...toSummary(row, owner, now), token };
  });
}

/**
 * Issues a replacement with the same name and scopes (less any the owner's
 * role no longer allows) and lets the old token live on for `graceMs`
 * (0 to 7 days; 0 revokes it at once). The replacement gets the old token's
 * lifetime again, capped by the policy.
 */
export async function rotateToken(
  svc: ServiceContext,
  userId: string,
  tokenId: string,
  input: { graceMs: number },
  opts: IssueOptions = {},
): Promise<RotatedToken> {
  const policy = opts.policy ?? DEFAULT_TOKEN_POLICY;
  if (!Number.isSafeInteger(input.graceMs) || input.graceMs < 0 || input.graceMs > MAX_GRACE_MS) {
    throw new AppError("BAD_REQUEST", "grace: must be between 0 and 7 days", "invalid_input");
  }
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    const { token: old } = await findToken(tx, tokenId, userId);
    const owner = await activeOwner(tx, old.userId);
    if (old.replacedById) {
      throw new AppError("CONFLICT", "This token was already rotated; rotate its replacement", "already_rotated");
    }
    if (statusOf(old, now) !== "active") {
      throw new AppError("CONFLICT", "Only an active token can be rotated; create a new one", "token_inactive");
    }
    const scopes = effectiveScopes(old.scopes, owner);
    if (scopes.length === 0) {
      throw new AppError(
        "FORBIDDEN",
        "None of this token's scopes is allowed to its owner's role any more",
        "scope_exceeds_role",
      );
    }
    assertGrantable(scopes, owner, opts.grantorScopes);

    const lifetime = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : null;
    const expiresAt =
      lifetime !== null
        ? new Date(now.getTime() + Math.min(Math.max(lifetime, 1), policy.maxTtlMs))
        : policy.allowNoExpiry
          ? null
          : new Date(now.getTime() + policy.defaultTtlMs);
    const { row, token } = await insertToken(tx, {
      userId: old.userId,
      name: old.name,
      scopes,
      now,
      expiresAt,
      rotatedFromId: old.id,
    });

    const graceUntil = input.graceMs > 0 ? new Date(now.getTime() + input.graceMs) : null;
    await tx
      .update(apiTokens)
      .set(
        graceUntil
          ? { replacedById: row.id, graceUntil }
          : { replacedById: row.id, revokedAt: now, revokedBy: revokerOf(svc.actor), revokedReason: "rotated" },
      )
      .where(eq(apiTokens.id, old.id))
      .run();

    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "token.rotate",
      target: { type: "api_token", id: old.id },
      client: svc.client,
      detail: { ownerId: old.userId, replacementId: row.id, oldValidUntil: iso(graceUntil ?? now) },
    });
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "token.create",
      target: { type: "api_token", id: row.id },
      client: svc.client,
      detail: { ownerId: old.userId, name: old.name, scopes, expiresAt: iso(expiresAt), rotatedFromId: old.id },
    });
    const previous = (await findToken(tx, old.id)).token;
    return { ...toSummary(row, owner, now), token, previous: toSummary(previous, owner, now) };
  });
}

/**
 * Revokes one token; effective on the next request (nothing is cached).
 * With `ownerId`, only that user's token (another's is NOT_FOUND). Revoking
 * a revoked token changes nothing and writes no audit entry.
 */
export async function revokeToken(
  svc: ServiceContext,
  tokenId: string,
  opts: { ownerId?: string } = {},
): Promise<TokenSummary> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    const { token, owner } = await findToken(tx, tokenId, opts.ownerId);
    if (token.revokedAt) return toSummary(token, owner, now);
    await tx
      .update(apiTokens)
      .set({ revokedAt: now, revokedBy: revokerOf(svc.actor), revokedReason: "revoked" })
      .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
      .run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "token.revoke",
      target: { type: "api_token", id: tokenId },
      client: svc.client,
      detail: { ownerId: token.userId, name: token.name },
    });
    return toSummary((await findToken(tx, tokenId)).token, owner, now);
  });
}

/**
 * "Sign out everywhere" / an admin's "revoke everything": every session and
 * every token of the user end in one transaction, with one audit entry.
 */
export async function revokeAllForUser(
  svc: ServiceContext,
  userId: string,
): Promise<{ sessionsEnded: number; tokensRevoked: number; oauthGrantsRevoked: number }> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    await getUserRow(tx, userId);
    const sessionsEnded = await endUserSessions(tx, userId);
    // Every app the user authorised loses its tokens, and must ask again.
    const oauthGrantsRevoked = (
      await tx
        .update(oauthGrants)
        .set({ revokedAt: now, revokedReason: "revoked" })
        .where(and(eq(oauthGrants.userId, userId), isNull(oauthGrants.revokedAt)))
        .run()
    ).changes;
    await tx.delete(oauthConsents).where(eq(oauthConsents.userId, userId)).run();
    const tokensRevoked = (
      await tx
        .update(apiTokens)
        .set({ revokedAt: now, revokedBy: revokerOf(svc.actor), revokedReason: "revoke_all" })
        .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .run()
    ).changes;
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "user.revoke_all",
      target: { type: "user", id: userId },
      client: svc.client,
      // "keys", not "tokens": the shared redaction drops any detail key containing "token".
      detail: { sessionsEnded, keysRevoked: tokensRevoked, oauthGrantsRevoked },
    });
    return { sessionsEnded, tokensRevoked, oauthGrantsRevoked };
  });
}

/** One token as the lists show it; with `ownerId`, only that user's (another's is NOT_FOUND). */
export async function getTokenSummary(
  svc: Pick<ServiceContext, "db" | "clock">,
  tokenId: string,
  opts: { ownerId?: string } = {},
): Promise<TokenSummary> {
  const { token, owner } = await findToken(svc.db, tokenId, opts.ownerId);
  return toSummary(token, owner, svc.clock.now());
}

export interface TokenQuery {
  ownerId?: string;
  /** Exact owner email (normalised), e.g. the CLI's `--email`. */
  ownerEmail?: string;
  /** Case-insensitive substring of the owner's email or the token's name (the admin filter box). */
  search?: string;
  status?: TokenStatus;
  sort?: TokenSort;
  direction?: "asc" | "desc";
  /** Keyset cursor (services/page-cursor.ts): the page after this one, in the same order. */
  cursor?: string;
  /** The dashboard's numbered pager; not with `cursor`. */
  offset?: number;
  limit?: number;
}

/** Before sort orders existed a cursor was [createdAt ms as text, id]: still honoured in the default order. */
const LEGACY_TOKEN_CURSOR = [/^\d{1,15}$/, /^tok_[0-9a-z]{20}$/] as const;
const TOKEN_ID = /^tok_[0-9a-z]{20}$/;

/** Each sort's key: an expression, its cursor element's shape, and the key of a row. */
const TOKEN_SORT_KEYS = {
  createdAt: { expr: sql`${apiTokens.createdAt}`, shape: "int", of: (t: ApiTokenRow) => t.createdAt.getTime() },
  lastUsedAt: {
    expr: sql`coalesce(${apiTokens.lastUsedAt}, 0)`,
    shape: "int",
    of: (t: ApiTokenRow) => t.lastUsedAt?.getTime() ?? 0,
  },
  name: { expr: sql`${apiTokens.name}`, shape: /^.{1,400}$/s, of: (t: ApiTokenRow) => t.name },
} as const satisfies Record<TokenSort, { expr: SQL; shape: RegExp | "int"; of: (t: ApiTokenRow) => string | number }>;

function tokenCursorKey(cursor: string | undefined, order: SortOrder): [string | number, string] | null {
  if (!cursor) return null;
  if (order.sort === "createdAt" && order.direction === "desc") {
    try {
      const [ms, id] = decodeCursor(cursor, LEGACY_TOKEN_CURSOR) as [string, string];
      return [Number(ms), id];
    } catch {
      // Not the old shape: read as a cursor with its order below.
    }
  }
  const shape = TOKEN_SORT_KEYS[order.sort as TokenSort].shape;
  return decodeSortedCursor(cursor, order, [shape, TOKEN_ID]) as [string | number, string];
}

/** Filtered and sorted (newest first unless asked otherwise), with owners; for "my tokens" pass ownerId. */
export async function listTokens(
  svc: Pick<ServiceContext, "db" | "clock">,
  query: TokenQuery = {},
): Promise<{ items: TokenSummary[]; total: number; nextCursor: string | null }> {
  const now = svc.clock.now();
  const sort = query.sort ?? "createdAt";
  const order: SortOrder = { sort, direction: query.direction ?? (sort === "name" ? "asc" : "desc") };
  const key = TOKEN_SORT_KEYS[sort];
  const after = tokenCursorKey(query.cursor, order);
  const pattern = query.search ? `%${query.search.toLowerCase().replace(/[%_\\]/g, "\\$&")}%` : null;
  const where = and(
    query.ownerId ? eq(apiTokens.userId, query.ownerId) : undefined,
    query.ownerEmail ? eq(users.email, normalizeEmail(query.ownerEmail)) : undefined,
    pattern
      ? or(sql`${users.email} like ${pattern} escape '\\'`, sql`lower(${apiTokens.name}) like ${pattern} escape '\\'`)
      : undefined,
    query.status ? statusWhere(query.status, now) : undefined,
  );
  const base = svc.db
    .select({ token: apiTokens, owner: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId));
  const total =
    (
      await svc.db
        .select({ n: count() })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(where)
        .get()
    )?.n ?? 0;
  const limit = query.limit ?? 50;
  const direction = order.direction === "asc" ? asc : desc;
  const past = after
    ? order.direction === "asc"
      ? sql`(${key.expr} > ${after[0]} or (${key.expr} = ${after[0]} and ${apiTokens.id} > ${after[1]}))`
      : sql`(${key.expr} < ${after[0]} or (${key.expr} = ${after[0]} and ${apiTokens.id} < ${after[1]}))`
    : undefined;
  const rows = await base
    .where(and(where, past))
    .orderBy(direction(key.expr), direction(apiTokens.id))
    .limit(limit + 1)
    .offset(after ? 0 : (query.offset ?? 0))
    .all();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last ? encodeSortedCursor(order, [key.of(last.token), last.token.id]) : null;
  return { items: page.map((r) => toSummary(r.token, r.owner, now)), total, nextCursor };
}
