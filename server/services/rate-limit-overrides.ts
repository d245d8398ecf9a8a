import type { Statement } from "better-sqlite3";
import { and, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { type Db, type Executor, type SqliteDb, whenConnectionFree } from "@/db";
import { preparedOnce } from "@/db/prepared";
import { apiTokens, type RateLimitOverrideRow, rateLimitOverrides, users } from "@/db/schema";
import { formatDuration } from "../config/duration";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import { MAX_LIMIT, type Rule, windowProblem } from "../ratelimit/rule";
import { recordAudit } from "./audit";
import type { ServiceContext } from "./context";
import { getUserRow } from "./users";

/**
 * Administrators' exceptions to the per-principal API limit (policy `api`,
 * RATE_LIMIT_API): a higher or lower quota for one user (their sessions and
 * all their tokens) or one API token, optionally until a given time. A
 * token's own override wins over its owner's. Every change is audited in the
 * same transaction. The limiter reads the effective rule on every call, so a
 * change applies to the next request in every process.
 */

export type OverrideTarget = { type: "user"; id: string } | { type: "token"; id: string };

export interface OverrideInput {
  limit: number;
  windowMs: number;
  /** From now; null or absent: until removed. */
  expiresInMs?: number | null;
  note?: string | null;
}

export interface OverrideSummary {
  id: string;
  subject: { type: "user" | "token"; id: string; label: string };
  limit: number;
  windowSeconds: number;
  expiresAt: string | null;
  expired: boolean;
  note: string | null;
  setBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface EffectiveLimit extends Rule {
  /** Where the rule comes from: RATE_LIMIT_API, the owner's override, or the token's own. */
  source: "default" | "user" | "token";
  overrideId: string | null;
  expiresAt: Date | null;
}

import { OVERRIDE_MAX_EXPIRY_MS, OVERRIDE_NOTE_MAX } from "./rate-limit-override-limits";

export { OVERRIDE_MAX_EXPIRY_MS, OVERRIDE_NOTE_MAX };

function validate(input: OverrideInput): void {
  if (!Number.isSafeInteger(input.limit) || input.limit < 1 || input.limit > MAX_LIMIT) {
    throw new AppError("BAD_REQUEST", `limit: must be a whole number from 1 to ${MAX_LIMIT}`, "invalid_input");
  }
  const problem = windowProblem(input.windowMs);
  if (problem) throw new AppError("BAD_REQUEST", `window: ${problem}`, "invalid_input");
  const expires = input.expiresInMs;
  if (expires != null && (!Number.isSafeInteger(expires) || expires < 1_000 || expires > OVERRIDE_MAX_EXPIRY_MS)) {
    throw new AppError("BAD_REQUEST", "expiresIn: must be between 1s and 365d", "invalid_input");
  }
  if (input.note && (input.note.length > OVERRIDE_NOTE_MAX || /[\u0000-\u001f\u007f]/.test(input.note))) {
    throw new AppError(
      "BAD_REQUEST",
      `note: at most ${OVERRIDE_NOTE_MAX} characters, no control characters`,
      "invalid_input",
    );
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

async function labelOf(tx: Executor, row: RateLimitOverrideRow): Promise<OverrideSummary["subject"]> {
  if (row.userId) {
    const user = await tx.select({ email: users.email }).from(users).where(eq(users.id, row.userId)).get();
    return { type: "user", id: row.userId, label: user?.email ?? row.userId };
  }
  const tokenId = row.tokenId as string;
  const token = await tx
    .select({ name: apiTokens.name, display: apiTokens.display, email: users.email })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.id, tokenId))
    .get();
  return {
    type: "token",
    id: tokenId,
    label: token ? `${token.name} (${token.display}, ${token.email})` : tokenId,
  };
}

async function toSummary(tx: Executor, row: RateLimitOverrideRow, now: Date): Promise<OverrideSummary> {
  return {
    id: row.id,
    subject: await labelOf(tx, row),
    limit: row.limit,
    windowSeconds: row.windowMs / 1000,
    expiresAt: iso(row.expiresAt),
    expired: row.expiresAt !== null && row.expiresAt.getTime() <= now.getTime(),
    note: row.note,
    setBy: row.setBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Every override, live ones first, newest first. */
export async function listOverrides(db: Executor, now: Date): Promise<OverrideSummary[]> {
  const rows = await db.select().from(rateLimitOverrides).all();
  const summaries: OverrideSummary[] = [];
  for (const row of rows) summaries.push(await toSummary(db, row, now));
  return summaries.sort((a, b) => Number(a.expired) - Number(b.expired) || b.updatedAt.localeCompare(a.updatedAt));
}

/** Sets (or replaces) the override of a user or a token. */
export async function setOverride(
  svc: ServiceContext,
  target: OverrideTarget,
  input: OverrideInput,
): Promise<OverrideSummary> {
  validate(input);
  const now = svc.clock.now();
  const expiresAt = input.expiresInMs != null ? new Date(now.getTime() + input.expiresInMs) : null;
  const note = input.note?.trim() || null;
  return await svc.db.transaction(async (tx) => {
    if (target.type === "user") {
      await getUserRow(tx, target.id);
    } else {
      const token = await tx.select().from(apiTokens).where(eq(apiTokens.id, target.id)).get();
      if (!token) throw notFound("Token");
      if (token.revokedAt) throw new AppError("CONFLICT", "The token is revoked", "token_inactive");
    }
    const column = target.type === "user" ? rateLimitOverrides.userId : rateLimitOverrides.tokenId;
    const previous = await tx.select().from(rateLimitOverrides).where(eq(column, target.id)).get();
    const values = {
      limit: input.limit,
      windowMs: input.windowMs,
      expiresAt,
      note,
      setBy: svc.actor.id ?? svc.actor.kind,
      updatedAt: now,
    };
    let row: RateLimitOverrideRow;
    if (previous) {
      await tx.update(rateLimitOverrides).set(values).where(eq(rateLimitOverrides.id, previous.id)).run();
      row = { ...previous, ...values };
    } else {
      row = {
        id: newId("rateLimitOverride"),
        userId: target.type === "user" ? target.id : null,
        tokenId: target.type === "token" ? target.id : null,
        createdAt: now,
        ...values,
      };
      await tx.insert(rateLimitOverrides).values(row).run();
    }
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "ratelimit.override_set",
      target: { type: target.type === "user" ? "user" : "api_token", id: target.id },
      client: svc.client,
      // No detail key may contain "token": the shared redaction drops those.
      detail: {
        overrideId: row.id,
        limit: row.limit,
        window: formatDuration(row.windowMs),
        expiresAt: iso(expiresAt),
        ...(note ? { note } : {}),
        ...(previous
          ? {
              previous: {
                limit: previous.limit,
                window: formatDuration(previous.windowMs),
                expiresAt: iso(previous.expiresAt),
              },
            }
          : {}),
      },
    });
    return toSummary(tx, row, now);
  });
}

/** Removes an override by id (404 when there is none). */
export async function removeOverride(svc: ServiceContext, id: string): Promise<void> {
  await svc.db.transaction(async (tx) => {
    const row = await tx.select().from(rateLimitOverrides).where(eq(rateLimitOverrides.id, id)).get();
    if (!row) throw notFound("Override");
    await tx.delete(rateLimitOverrides).where(eq(rateLimitOverrides.id, id)).run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "ratelimit.override_remove",
      target: row.userId ? { type: "user", id: row.userId } : { type: "api_token", id: row.tokenId },
      client: svc.client,
      detail: { overrideId: row.id, limit: row.limit, window: formatDuration(row.windowMs) },
    });
  });
}

/** The override of one user or token, live or not; undefined when there is none. */
export async function overrideOf(db: Executor, target: OverrideTarget): Promise<RateLimitOverrideRow | undefined> {
  const column = target.type === "user" ? rateLimitOverrides.userId : rateLimitOverrides.tokenId;
  return await db.select().from(rateLimitOverrides).where(eq(column, target.id)).get();
}

function live(now: Date) {
  return or(isNull(rateLimitOverrides.expiresAt), gt(rateLimitOverrides.expiresAt, now));
}

function fromRow(row: RateLimitOverrideRow | undefined, source: "user" | "token"): EffectiveLimit | undefined {
  if (!row) return undefined;
  return { limit: row.limit, windowMs: row.windowMs, source, overrideId: row.id, expiresAt: row.expiresAt };
}

function byDefault(fallback: Rule): EffectiveLimit {
  return { ...fallback, source: "default", overrideId: null, expiresAt: null };
}

interface LiveOverride {
  id: string;
  userId: string | null;
  tokenId: string | null;
  limit: number;
  windowMs: number;
  expiresAt: number | null;
}

/**
 * The per-call lookup, as one prepared statement per database (it runs on
 * every API call; building it with the query builder each time cost more than
 * the rate-limit counter itself). Plain SQL on purpose: keep the column names
 * in step with db/schema/rate-limit-overrides.ts.
 */
const lookups = new WeakMap<object, Statement>();
function lookupFor(db: SqliteDb): Statement {
  let statement = lookups.get(db.$client);
  if (!statement) {
    statement = db.$client.prepare(
      `SELECT id, user_id AS userId, token_id AS tokenId, "limit", window_ms AS windowMs, expires_at AS expiresAt
       FROM rate_limit_overrides
       WHERE (user_id = @userId OR token_id = @tokenId) AND (expires_at IS NULL OR expires_at > @now)`,
    );
    lookups.set(db.$client, statement);
  }
  return statement;
}

/**
 * The `api` rule for one principal right now: the token's own live override,
 * else its owner's, else the default. One indexed query; run on every call.
 */
export function effectiveApiRule(
  db: Db,
  who: { userId: string; tokenId?: string | null },
  now: Date,
  fallback: Rule,
): EffectiveLimit | Promise<EffectiveLimit> {
  const sqlite = db.$client;
  if (!sqlite) return liveOverrides(db, who, now).then((rows) => ruleOf(rows, fallback));
  // A raw statement on the connection: it waits while another request's transaction is open (db/index.ts).
  const found = whenConnectionFree(
    sqlite,
    () =>
      lookupFor(db as SqliteDb).all({
        userId: who.userId,
        tokenId: who.tokenId ?? null,
        now: now.getTime(),
      }) as LiveOverride[],
  );
  return found instanceof Promise ? found.then((rows) => ruleOf(rows, fallback)) : ruleOf(found, fallback);
}

/**
 * The same lookup through the query builder, where there is no SQLite connection to prepare it on
 * (PostgreSQL): built once per handle, with placeholders (db/prepared.ts).
 */
async function liveOverrides(
  db: Db,
  who: { userId: string; tokenId?: string | null },
  now: Date,
): Promise<LiveOverride[]> {
  const query = preparedOnce(db, "overrides.live", () =>
    db
      .select({
        id: rateLimitOverrides.id,
        userId: rateLimitOverrides.userId,
        tokenId: rateLimitOverrides.tokenId,
        limit: rateLimitOverrides.limit,
        windowMs: rateLimitOverrides.windowMs,
        expiresAt: rateLimitOverrides.expiresAt,
      })
      .from(rateLimitOverrides)
      .where(
        and(
          or(
            eq(rateLimitOverrides.userId, sql.placeholder("userId")),
            eq(rateLimitOverrides.tokenId, sql.placeholder("tokenId")),
          ),
          or(isNull(rateLimitOverrides.expiresAt), gt(rateLimitOverrides.expiresAt, sql.placeholder("now"))),
        ),
      )
      .prepare(),
  );
  const rows = await query.all({ userId: who.userId, tokenId: who.tokenId ?? null, now: now.getTime() });
  return rows.map((row) => ({ ...row, expiresAt: row.expiresAt?.getTime() ?? null }));
}

function ruleOf(rows: LiveOverride[], fallback: Rule): EffectiveLimit {
  const pick = (row: LiveOverride | undefined, source: "user" | "token"): EffectiveLimit | undefined =>
    row && {
      limit: row.limit,
      windowMs: row.windowMs,
      source,
      overrideId: row.id,
      expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt),
    };
  return (
    pick(
      rows.find((r) => r.tokenId !== null),
      "token",
    ) ??
    pick(
      rows.find((r) => r.userId !== null),
      "user",
    ) ??
    byDefault(fallback)
  );
}

/** The effective `api` rule of each of a user's tokens (for the API tokens page). */
export async function effectiveTokenLimits(
  db: Executor,
  userId: string,
  now: Date,
  fallback: Rule,
): Promise<Array<EffectiveLimit & { tokenId: string }>> {
  const tokenIds = (
    await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.userId, userId)).all()
  ).map((t) => t.id);
  const rows = await db
    .select()
    .from(rateLimitOverrides)
    .where(
      and(
        tokenIds.length > 0
          ? or(eq(rateLimitOverrides.userId, userId), inArray(rateLimitOverrides.tokenId, tokenIds))
          : eq(rateLimitOverrides.userId, userId),
        live(now),
      ),
    )
    .all();
  const forUser = fromRow(
    rows.find((r) => r.userId === userId),
    "user",
  );
  return tokenIds.map((tokenId) => ({
    tokenId,
    ...(fromRow(
      rows.find((r) => r.tokenId === tokenId),
      "token",
    ) ??
      forUser ??
      byDefault(fallback)),
  }));
}
