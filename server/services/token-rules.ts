import { and, gt, isNotNull, isNull, lte, or, type SQL } from "drizzle-orm";
import { type ApiTokenRow, apiTokens, type TokenRevokeReason, type UserRow } from "@/db/schema";
import { ALL_SCOPES, isScope, ROLE_SCOPES, type Scope } from "../auth/scopes";
import type { TokenPolicy } from "../config";
import { formatDuration } from "../config/duration";
import { AppError } from "../errors";
import type { Actor } from "./audit";
import { TOKEN_NAME_MAX, type TokenStatus } from "./token-limits";

/**
 * The rules of API tokens, without I/O: what a status is, what a token may
 * do, which names, scopes and lifetimes are acceptable, and the summary
 * shape every caller (dashboard, REST, CLI) gets.
 */

export { MAX_GRACE_MS, TOKEN_NAME_MAX, TOKEN_STATUSES, type TokenStatus } from "./token-limits";

/** A bound on live tokens per user, so a script gone wrong cannot fill the table. */
export const MAX_ACTIVE_TOKENS_PER_USER = 100;

export interface TokenSummary {
  id: string;
  name: string;
  /** `gth_…` and the last four characters. */
  display: string;
  /** As granted at creation. */
  scopes: Scope[];
  /** What the token can do right now: its scopes ∩ the owner's current role (none while the owner is disabled). */
  effectiveScopes: Scope[];
  status: TokenStatus;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  revokedReason: TokenRevokeReason | null;
  rotatedFromId: string | null;
  replacedById: string | null;
  /** After a rotation: when this (old) token stops working. */
  graceUntil: string | null;
  owner: { id: string; email: string; disabled: boolean };
}

/** The answer to a creation: the summary plus the plaintext, which is never shown again. */
export interface CreatedToken extends TokenSummary {
  token: string;
}

export interface RotatedToken extends CreatedToken {
  previous: TokenSummary;
}

export interface CreateTokenInput {
  name: string;
  scopes: readonly string[];
  /** undefined: the policy's default lifetime; null: never expires (only if the policy allows it). */
  expiresInMs?: number | null;
}

export interface IssueOptions {
  /** Lifetime rules; the environment's (config.tokens) in the app, strict defaults otherwise. */
  policy?: TokenPolicy;
  /**
   * The scopes of the credential asking for the token. A credential can only
   * hand out what it holds: a token with `tokens:write` and `contacts:read`
   * cannot mint one with `contacts:write`. Omitted for the CLI (the operator).
   */
  grantorScopes?: readonly Scope[];
}

export type Owner = Pick<UserRow, "id" | "email" | "role" | "disabledAt">;

export function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

export function statusOf(row: ApiTokenRow, now: Date): TokenStatus {
  if (row.revokedAt) return "revoked";
  const t = now.getTime();
  if (row.expiresAt && row.expiresAt.getTime() <= t) return "expired";
  if (row.graceUntil && row.graceUntil.getTime() <= t) return "expired";
  return "active";
}

/** The single rule for what a token may do: its scopes ∩ what the owner's role allows today. */
export function effectiveScopes(scopes: readonly Scope[], owner: Owner): Scope[] {
  if (owner.disabledAt) return [];
  const allowed = ROLE_SCOPES[owner.role];
  return scopes.filter((scope) => allowed.includes(scope));
}

export function toSummary(row: ApiTokenRow, owner: Owner, now: Date): TokenSummary {
  return {
    id: row.id,
    name: row.name,
    display: row.display,
    scopes: row.scopes,
    effectiveScopes: effectiveScopes(row.scopes, owner),
    status: statusOf(row, now),
    createdAt: row.createdAt.toISOString(),
    expiresAt: iso(row.expiresAt),
    lastUsedAt: iso(row.lastUsedAt),
    lastUsedIp: row.lastUsedIp,
    revokedAt: iso(row.revokedAt),
    revokedBy: row.revokedBy,
    revokedReason: row.revokedReason,
    rotatedFromId: row.rotatedFromId,
    replacedById: row.replacedById,
    graceUntil: iso(row.graceUntil),
    owner: { id: owner.id, email: owner.email, disabled: owner.disabledAt !== null },
  };
}

/** How a revocation names who did it: the user or token id, or `cli` / `system`. */
export function revokerOf(actor: Actor): string {
  return actor.id ?? actor.kind;
}

const NO_CONTROL = /^[^\u0000-\u001F\u007F]*$/;

/** Same rules as the router's zod schema, for callers that do not come through it (the CLI). */
export function tokenName(input: string): string {
  const name = input.trim().normalize("NFC");
  if (name.length < 1 || name.length > TOKEN_NAME_MAX || !NO_CONTROL.test(name)) {
    throw new AppError(
      "BAD_REQUEST",
      `name: must be 1 to ${TOKEN_NAME_MAX} characters without control characters`,
      "invalid_input",
    );
  }
  return name;
}

/** Known scopes only, at least one, each once, in catalogue order. */
export function normalizeScopes(input: readonly string[]): Scope[] {
  const unknown = input.filter((scope) => !isScope(scope));
  if (unknown.length > 0) {
    throw new AppError(
      "BAD_REQUEST",
      `scopes: unknown scope ${unknown.map((s) => JSON.stringify(s.slice(0, 40))).join(", ")}`,
      "invalid_input",
    );
  }
  const scopes = ALL_SCOPES.filter((scope) => input.includes(scope));
  if (scopes.length === 0) throw new AppError("BAD_REQUEST", "scopes: give at least one scope", "invalid_input");
  return scopes;
}

export function assertGrantable(scopes: readonly Scope[], owner: Owner, grantorScopes?: readonly Scope[]): void {
  const beyondRole = scopes.filter((scope) => !ROLE_SCOPES[owner.role].includes(scope));
  if (beyondRole.length > 0) {
    throw new AppError(
      "FORBIDDEN",
      `scopes: the owner's role (${owner.role}) does not allow ${beyondRole.join(" ")}`,
      "scope_exceeds_role",
    );
  }
  const notHeld = grantorScopes ? scopes.filter((scope) => !grantorScopes.includes(scope)) : [];
  if (notHeld.length > 0) {
    throw new AppError(
      "FORBIDDEN",
      `scopes: a credential can only grant scopes it holds itself; this one lacks ${notHeld.join(" ")}`,
      "scope_not_held",
    );
  }
}

/** When a new token expires, under the policy. */
export function expiryFrom(policy: TokenPolicy, expiresInMs: number | null | undefined, now: Date): Date | null {
  if (expiresInMs === undefined) return new Date(now.getTime() + policy.defaultTtlMs);
  if (expiresInMs === null) {
    if (!policy.allowNoExpiry) {
      throw new AppError(
        "BAD_REQUEST",
        `expiry: tokens must expire on this server, within ${formatDuration(policy.maxTtlMs)}`,
        "expiry_required",
      );
    }
    return null;
  }
  if (!Number.isSafeInteger(expiresInMs) || expiresInMs <= 0) {
    throw new AppError("BAD_REQUEST", "expiry: must be a positive duration", "invalid_input");
  }
  if (expiresInMs > policy.maxTtlMs) {
    throw new AppError(
      "BAD_REQUEST",
      `expiry: at most ${formatDuration(policy.maxTtlMs)} on this server`,
      "expiry_too_long",
    );
  }
  return new Date(now.getTime() + expiresInMs);
}

/** SQL twin of statusOf, for filters and counts. */
export function statusWhere(status: TokenStatus, now: Date): SQL | undefined {
  const expired = or(
    and(isNotNull(apiTokens.expiresAt), lte(apiTokens.expiresAt, now)),
    and(isNotNull(apiTokens.graceUntil), lte(apiTokens.graceUntil, now)),
  );
  if (status === "revoked") return isNotNull(apiTokens.revokedAt);
  if (status === "expired") return and(isNull(apiTokens.revokedAt), expired);
  return and(
    isNull(apiTokens.revokedAt),
    or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
    or(isNull(apiTokens.graceUntil), gt(apiTokens.graceUntil, now)),
  );
}
