import type { Role } from "@/db/schema";
import { isScope, ROLE_SCOPES, type Scope } from "../auth/scopes";
import { OAuthError } from "./errors";

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * A `scope` parameter to a set of our scopes. Absent: null (the caller picks
 * the default). An unknown or malformed scope is `invalid_scope`, never
 * silently dropped.
 */
export function parseScopeParam(value: string | undefined): Scope[] | null {
  if (value === undefined) return null;
  if (value.length > 1000) throw new OAuthError("invalid_scope", "The scope parameter is too long");
  const parts = value.split(" ");
  const out = new Set<Scope>();
  for (const part of parts) {
    if (!SCOPE_TOKEN.test(part)) throw new OAuthError("invalid_scope", "The scope parameter is malformed");
    if (!isScope(part)) throw new OAuthError("invalid_scope", `Unknown scope "${part.slice(0, 40)}"`);
    out.add(part);
  }
  return [...out].sort();
}

export function formatScope(scopes: readonly Scope[]): string {
  return [...scopes].sort().join(" ");
}

/**
 * What a request may be granted: every requested scope must be allowed to
 * the client and to the user's role — asking for more is `invalid_scope`
 * (RFC 6749 §5.2), not a quiet downgrade. No `scope`: the client's scopes
 * the role allows.
 */
export function grantableScopes(
  requested: readonly Scope[] | null,
  clientScopes: readonly Scope[],
  role: Role,
): Scope[] {
  const allowed = clientScopes.filter((scope) => ROLE_SCOPES[role].includes(scope));
  if (requested === null) {
    if (allowed.length === 0) throw new OAuthError("invalid_scope", "No scope this client may be granted");
    return [...allowed].sort();
  }
  const beyond = requested.filter((scope) => !allowed.includes(scope));
  if (beyond.length > 0) {
    throw new OAuthError("invalid_scope", `Not grantable to this client or user: ${beyond.join(" ")}`);
  }
  if (requested.length === 0) throw new OAuthError("invalid_scope", "Request at least one scope");
  return [...requested].sort();
}

/** Whether every scope of `wanted` is in `held`. */
export function coversScopes(held: readonly Scope[], wanted: readonly Scope[]): boolean {
  return wanted.every((scope) => held.includes(scope));
}
