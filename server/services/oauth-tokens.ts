import { createHash, timingSafeEqual } from "node:crypto";
import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { preparedOnce } from "@/db/prepared";
import {
  type OAuthClientRow,
  type OAuthGrantRow,
  oauthAccessTokens,
  oauthAuthorizationCodes,
  oauthClients,
  oauthGrants,
  oauthRefreshTokens,
  type UserRow,
  users,
} from "@/db/schema";
import { ROLE_SCOPES, type Scope } from "../auth/scopes";
import { newId } from "../ids";
import type { AccessClaims } from "../oauth/access-token";
import { hashSecret, newRefreshToken, plausibleSecret } from "../oauth/credentials";
import { OAuthError } from "../oauth/errors";
import { resourceCovered } from "../oauth/resource";
import { formatScope, grantableScopes } from "../oauth/scope";
import { recordAudit } from "./audit";
import type { ServiceContext } from "./context";

/**
 * The token endpoint's grants, introspection and revocation, as database
 * work inside one transaction each. Signing the JWT is async (jose), so these
 * return the claims and the HTTP layer signs them after the commit; the token
 * is only honoured while its jti row exists, so nothing is ever valid that
 * was not committed.
 */

export interface OAuthServiceContext extends ServiceContext {
  issuer: string;
  /** The default audience (server/oauth/resource.ts): what a token carries when no resource was asked for. */
  audience: string;
}

export interface TokenIssue {
  claims: AccessClaims;
  refreshToken: string | null;
  scope: string;
  expiresIn: number;
  grantId: string;
}

const invalidGrant = (description: string) => new OAuthError("invalid_grant", description);
const invalidTarget = () =>
  new OAuthError("invalid_target", "resource is not one this grant was authorized for (RFC 8707)");

/** Scopes a grant's token may carry today: as granted, less what the client or the user's role lost since. */
export function liveScopes(granted: readonly Scope[], client: OAuthClientRow, user: UserRow): Scope[] {
  return granted.filter((scope) => client.scopes.includes(scope) && ROLE_SCOPES[user.role].includes(scope));
}

function subjectOf(grant: OAuthGrantRow): string {
  // RFC 9068 §2.2: with client credentials the subject is the client itself.
  return grant.kind === "client_credentials" ? grant.clientId : grant.userId;
}

/** Issues one access token of a grant: its jti row now, its claims for signing. */
async function newAccessToken(
  tx: Executor,
  svc: OAuthServiceContext,
  grant: OAuthGrantRow,
  client: OAuthClientRow,
  scopes: Scope[],
  now: Date,
  /** The RFC 8707 resource asked for in this request, already checked against the grant; null: the grant's. */
  resource: string | null,
): Promise<{ claims: AccessClaims; expiresIn: number }> {
  const jti = newId("oauthAccessToken");
  const iat = Math.floor(now.getTime() / 1000);
  // Never past the grant's own end.
  const exp = Math.min(iat + client.accessTokenTtlSeconds, Math.floor(grant.expiresAt.getTime() / 1000));
  await tx
    .insert(oauthAccessTokens)
    .values({ jti, grantId: grant.id, scopes, createdAt: now, expiresAt: new Date(exp * 1000), revokedAt: null })
    .run();
  // Rows of tokens expired an hour ago can no longer be presented successfully: drop a few each time.
  await tx
    .delete(oauthAccessTokens)
    .where(lt(oauthAccessTokens.expiresAt, new Date(now.getTime() - 3_600_000)))
    .run();
  return {
    claims: {
      iss: svc.issuer,
      sub: subjectOf(grant),
      aud: resource ?? grant.resource ?? svc.audience,
      client_id: client.id,
      scope: formatScope(scopes),
      iat,
      exp,
      jti,
    },
    expiresIn: exp - iat,
  };
}

/**
 * Grants a day past their end can no longer issue, refresh or be replayed
 * against: they go, and their tokens with them (cascade). Client credentials
 * make one grant per token request, so this keeps the tables the size of
 * what is live. The audit log keeps the history.
 */
const ENDED_GRANT_KEEP_MS = 86_400_000;

async function insertGrant(tx: Executor, grant: OAuthGrantRow, now: Date): Promise<void> {
  await tx
    .delete(oauthGrants)
    .where(lt(oauthGrants.expiresAt, new Date(now.getTime() - ENDED_GRANT_KEEP_MS)))
    .run();
  await tx.insert(oauthGrants).values(grant).run();
}

async function newRefresh(tx: Executor, grant: OAuthGrantRow, now: Date): Promise<{ id: string; token: string }> {
  const token = newRefreshToken();
  const id = newId("oauthRefreshToken");
  await tx
    .insert(oauthRefreshTokens)
    .values({
      id,
      tokenHash: hashSecret(token),
      grantId: grant.id,
      createdAt: now,
      expiresAt: grant.expiresAt,
      usedAt: null,
      revokedAt: null,
    })
    .run();
  return { id, token };
}

async function revokeGrantIn(
  tx: Executor,
  grantId: string,
  now: Date,
  reason: "code_replay" | "refresh_reuse" | "revoked",
) {
  return (
    await tx
      .update(oauthGrants)
      .set({ revokedAt: now, revokedReason: reason })
      .where(and(eq(oauthGrants.id, grantId), isNull(oauthGrants.revokedAt)))
      .run()
  ).changes;
}

async function activeUser(tx: Executor, userId: string): Promise<UserRow | null> {
  const user = await tx.select().from(users).where(eq(users.id, userId)).get();
  return user && !user.disabledAt ? user : null;
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function pkceMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash("sha256").update(verifier, "ascii").digest("base64url"));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: OAuthError };

/** Runs `fn` in a transaction that commits even when the answer is an error (a replay's revocation must stick). */
async function committed<T>(svc: ServiceContext, fn: (tx: Executor) => Promise<Outcome<T>>): Promise<T> {
  const outcome = await svc.db.transaction(fn);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

async function auditIssue(
  tx: Executor,
  svc: OAuthServiceContext,
  grant: OAuthGrantRow,
  grantType: string,
  ids: { jti: string; refreshId: string | null; rotatedFrom?: string },
) {
  await recordAudit(tx, svc.clock, {
    actor: { kind: "oauth_client", id: grant.clientId, userId: grant.userId },
    action: "oauth.token_issue",
    target: { type: "oauth_grant", id: grant.id },
    client: svc.client,
    // Ids only, under names the redaction step leaves alone (it hides any key that mentions "token").
    detail: { grantType, jti: ids.jti, refreshId: ids.refreshId, rotatedFrom: ids.rotatedFrom },
  });
}

/**
 * authorization_code (RFC 6749 §4.1.3 with RFC 7636): the code must be ours,
 * issued to this client, unexpired, unused, for this redirect URI, and the
 * verifier must hash to its challenge. Any failure after the code is found
 * burns it (one attempt per code). A code presented again revokes the grant
 * it produced, and with it every token issued from it (RFC 6749 §4.1.2).
 */
export async function redeemAuthorizationCode(
  svc: OAuthServiceContext,
  client: OAuthClientRow,
  input: { code: string; redirectUri: string | undefined; codeVerifier: string | undefined; resource?: string | null },
): Promise<TokenIssue> {
  if (!plausibleSecret(input.code)) throw invalidGrant("The authorization code is invalid");
  const now = svc.clock.now();
  return await committed(svc, async (tx) => {
    const code = await tx
      .select()
      .from(oauthAuthorizationCodes)
      .where(eq(oauthAuthorizationCodes.codeHash, hashSecret(input.code)))
      .get();
    if (!code || code.clientId !== client.id) {
      return {
        ok: false,
        error: invalidGrant("The authorization code is invalid, expired or was issued to another client"),
      };
    }
    if (code.usedAt) {
      const revoked = await (code.grantId ? revokeGrantIn(tx, code.grantId, now, "code_replay") : 0);
      await recordAudit(tx, svc.clock, {
        actor: { kind: "oauth_client", id: client.id, userId: code.userId },
        action: "oauth.code_replay",
        target: { type: "oauth_grant", id: code.grantId },
        outcome: "denied",
        client: svc.client,
        detail: { codeId: code.id, grantRevoked: revoked > 0 },
      });
      return { ok: false, error: invalidGrant("The authorization code was already used; its tokens are revoked") };
    }
    // One attempt: whatever happens next, this code is spent.
    await tx.update(oauthAuthorizationCodes).set({ usedAt: now }).where(eq(oauthAuthorizationCodes.id, code.id)).run();
    if (code.expiresAt <= now) return { ok: false, error: invalidGrant("The authorization code has expired") };
    if (input.redirectUri !== code.redirectUri) {
      return { ok: false, error: invalidGrant("redirect_uri does not match the authorization request") };
    }
    if (!input.codeVerifier) return { ok: false, error: new OAuthError("invalid_request", 'Missing "code_verifier"') };
    // Not a verifier at all is a malformed request; a well-formed one that does not hash to the challenge is a bad grant.
    if (!VERIFIER.test(input.codeVerifier)) {
      return {
        ok: false,
        error: new OAuthError("invalid_request", "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~"),
      };
    }
    if (!pkceMatches(input.codeVerifier, code.codeChallenge)) {
      return { ok: false, error: invalidGrant("The code_verifier does not match the code_challenge") };
    }
    const user = await activeUser(tx, code.userId);
    if (!user) return { ok: false, error: invalidGrant("The user who authorised this code is no longer active") };
    const scopes = liveScopes(code.scopes, client, user);
    if (scopes.length === 0) return { ok: false, error: new OAuthError("invalid_scope", "No granted scope remains") };
    const resource = input.resource ?? null;
    if (resource !== null && !resourceCovered(code.resource, resource, svc.audience)) {
      return { ok: false, error: invalidTarget() };
    }

    const grant: OAuthGrantRow = {
      id: newId("oauthGrant"),
      clientId: client.id,
      userId: user.id,
      kind: "authorization_code",
      scopes,
      resource: code.resource,
      createdAt: now,
      expiresAt: new Date(now.getTime() + client.refreshTokenTtlSeconds * 1000),
      revokedAt: null,
      revokedReason: null,
    };
    await insertGrant(tx, grant, now);
    await tx
      .update(oauthAuthorizationCodes)
      .set({ grantId: grant.id })
      .where(eq(oauthAuthorizationCodes.id, code.id))
      .run();
    const access = await newAccessToken(tx, svc, grant, client, scopes, now, resource);
    const refresh = await (client.grantTypes.includes("refresh_token") ? newRefresh(tx, grant, now) : null);
    await auditIssue(tx, svc, grant, "authorization_code", { jti: access.claims.jti, refreshId: refresh?.id ?? null });
    return {
      ok: true,
      value: {
        claims: access.claims,
        refreshToken: refresh?.token ?? null,
        scope: access.claims.scope,
        expiresIn: access.expiresIn,
        grantId: grant.id,
      },
    };
  });
}

/**
 * client_credentials (RFC 6749 §4.4): confidential clients only (the caller
 * authenticated it), acting as their service account; no refresh token.
 */
export async function issueClientCredentials(
  svc: OAuthServiceContext,
  client: OAuthClientRow,
  requested: Scope[] | null,
  /** The RFC 8707 resource asked for (already checked to be ours); null: the default audience. */
  resource: string | null = null,
): Promise<TokenIssue> {
  const now = svc.clock.now();
  return await committed(svc, async (tx) => {
    const user = await (client.serviceUserId ? activeUser(tx, client.serviceUserId) : null);
    if (!user) {
      return { ok: false, error: new OAuthError("unauthorized_client", "The client's service account is disabled") };
    }
    const scopes = grantableScopes(requested, client.scopes, user.role);
    const grant: OAuthGrantRow = {
      id: newId("oauthGrant"),
      clientId: client.id,
      userId: user.id,
      kind: "client_credentials",
      scopes,
      resource,
      createdAt: now,
      expiresAt: new Date(now.getTime() + client.accessTokenTtlSeconds * 1000),
      revokedAt: null,
      revokedReason: null,
    };
    await insertGrant(tx, grant, now);
    const access = await newAccessToken(tx, svc, grant, client, scopes, now, null);
    await auditIssue(tx, svc, grant, "client_credentials", { jti: access.claims.jti, refreshId: null });
    return {
      ok: true,
      value: {
        claims: access.claims,
        refreshToken: null,
        scope: access.claims.scope,
        expiresIn: access.expiresIn,
        grantId: grant.id,
      },
    };
  });
}

/**
 * refresh_token (RFC 6749 §6, RFC 9700 §4.14.2): rotates on every use. A
 * refresh token that was already used (or revoked) means a second party holds
 * the family: the whole grant is revoked. The family never outlives the
 * grant's absolute end. A narrower `scope` may be asked for, never a wider one.
 */
export async function refreshAccessToken(
  svc: OAuthServiceContext,
  client: OAuthClientRow,
  input: { refreshToken: string; scopes: Scope[] | null; resource?: string | null },
): Promise<TokenIssue> {
  if (!plausibleSecret(input.refreshToken)) throw invalidGrant("The refresh token is invalid");
  const now = svc.clock.now();
  return await committed(svc, async (tx) => {
    const found = await tx
      .select({ token: oauthRefreshTokens, grant: oauthGrants })
      .from(oauthRefreshTokens)
      .innerJoin(oauthGrants, eq(oauthGrants.id, oauthRefreshTokens.grantId))
      .where(eq(oauthRefreshTokens.tokenHash, hashSecret(input.refreshToken)))
      .get();
    if (!found || found.grant.clientId !== client.id) {
      return { ok: false, error: invalidGrant("The refresh token is invalid, expired or revoked") };
    }
    const { token, grant } = found;
    if (token.usedAt || token.revokedAt) {
      const revoked = await revokeGrantIn(tx, grant.id, now, "refresh_reuse");
      if (token.usedAt) {
        await recordAudit(tx, svc.clock, {
          actor: { kind: "oauth_client", id: client.id, userId: grant.userId },
          action: "oauth.refresh_reuse",
          target: { type: "oauth_grant", id: grant.id },
          outcome: "denied",
          client: svc.client,
          detail: { refreshId: token.id, grantRevoked: revoked > 0 },
        });
      }
      return { ok: false, error: invalidGrant("The refresh token is invalid, expired or revoked") };
    }
    if (grant.revokedAt || grant.expiresAt <= now || token.expiresAt <= now) {
      return { ok: false, error: invalidGrant("The refresh token is invalid, expired or revoked") };
    }
    const user = await activeUser(tx, grant.userId);
    if (!user) return { ok: false, error: invalidGrant("The user of this grant is no longer active") };
    if (input.scopes && !input.scopes.every((scope) => grant.scopes.includes(scope))) {
      return { ok: false, error: new OAuthError("invalid_scope", "A refresh cannot widen the granted scope") };
    }
    const scopes = liveScopes(input.scopes ?? grant.scopes, client, user);
    if (scopes.length === 0) return { ok: false, error: new OAuthError("invalid_scope", "No granted scope remains") };
    // RFC 8707 §2.2: a refresh may name a resource of the grant, never another (the refresh token stays unused).
    const resource = input.resource ?? null;
    if (resource !== null && !resourceCovered(grant.resource, resource, svc.audience)) {
      return { ok: false, error: invalidTarget() };
    }

    await tx.update(oauthRefreshTokens).set({ usedAt: now }).where(eq(oauthRefreshTokens.id, token.id)).run();
    const access = await newAccessToken(tx, svc, grant, client, scopes, now, resource);
    const refresh = await newRefresh(tx, grant, now);
    await auditIssue(tx, svc, grant, "refresh_token", {
      jti: access.claims.jti,
      refreshId: refresh.id,
      rotatedFrom: token.id,
    });
    return {
      ok: true,
      value: {
        claims: access.claims,
        refreshToken: refresh.token,
        scope: access.claims.scope,
        expiresIn: access.expiresIn,
        grantId: grant.id,
      },
    };
  });
}

export interface AccessTokenState {
  jti: string;
  scopes: Scope[];
  grant: OAuthGrantRow;
  client: OAuthClientRow;
  user: UserRow;
  expiresAt: Date;
}

/**
 * The per-request revocation check of an access token: one primary-key
 * lookup joined to its grant, client and user. Null unless all four are live.
 */
export async function liveAccessToken(db: Executor, jti: string, now: Date): Promise<AccessTokenState | null> {
  // Every request with a JWT asks this: built once per connection (db/prepared.ts), not per request.
  const row = await preparedOnce(db, "oauth.liveAccessToken", () =>
    db
      .select({ token: oauthAccessTokens, grant: oauthGrants, client: oauthClients, user: users })
      .from(oauthAccessTokens)
      .innerJoin(oauthGrants, eq(oauthGrants.id, oauthAccessTokens.grantId))
      .innerJoin(oauthClients, eq(oauthClients.id, oauthGrants.clientId))
      .innerJoin(users, eq(users.id, oauthGrants.userId))
      .where(eq(oauthAccessTokens.jti, sql.placeholder("jti")))
      .prepare(),
  ).get({ jti });
  if (!row) return null;
  const { token, grant, client, user } = row;
  if (token.revokedAt || token.expiresAt <= now || grant.revokedAt || grant.expiresAt <= now) return null;
  if (client.disabledAt || user.disabledAt) return null;
  return { jti, scopes: liveScopes(token.scopes, client, user), grant, client, user, expiresAt: token.expiresAt };
}

export function subjectOfGrant(grant: OAuthGrantRow): string {
  return subjectOf(grant);
}

export interface RefreshTokenState {
  id: string;
  grant: OAuthGrantRow;
  client: OAuthClientRow;
  user: UserRow;
  expiresAt: Date;
  createdAt: Date;
}

/** A refresh token that would be accepted now (for introspection), or null. */
export async function liveRefreshToken(db: Executor, token: string, now: Date): Promise<RefreshTokenState | null> {
  if (!plausibleSecret(token)) return null;
  const row = await db
    .select({ token: oauthRefreshTokens, grant: oauthGrants, client: oauthClients, user: users })
    .from(oauthRefreshTokens)
    .innerJoin(oauthGrants, eq(oauthGrants.id, oauthRefreshTokens.grantId))
    .innerJoin(oauthClients, eq(oauthClients.id, oauthGrants.clientId))
    .innerJoin(users, eq(users.id, oauthGrants.userId))
    .where(eq(oauthRefreshTokens.tokenHash, hashSecret(token)))
    .get();
  if (!row) return null;
  const { token: rt, grant, client, user } = row;
  if (rt.usedAt || rt.revokedAt || rt.expiresAt <= now || grant.revokedAt || grant.expiresAt <= now) return null;
  if (client.disabledAt || user.disabledAt) return null;
  return { id: rt.id, grant, client, user, expiresAt: rt.expiresAt, createdAt: rt.createdAt };
}

/**
 * RFC 7009 revocation by a client of its own token. A refresh token ends its
 * whole grant (and so every access token issued from it); an access token
 * ends itself. Another client's token, or an unknown one, is left alone and
 * the answer is the same (the endpoint says 200 either way).
 */
export async function revokeClientToken(
  svc: ServiceContext,
  client: OAuthClientRow,
  token: { kind: "refresh"; value: string } | { kind: "access"; jti: string },
): Promise<boolean> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    let grant: OAuthGrantRow | undefined;
    let detail: Record<string, unknown>;
    if (token.kind === "refresh") {
      if (!plausibleSecret(token.value)) return false;
      const found = await tx
        .select({ token: oauthRefreshTokens, grant: oauthGrants })
        .from(oauthRefreshTokens)
        .innerJoin(oauthGrants, eq(oauthGrants.id, oauthRefreshTokens.grantId))
        .where(eq(oauthRefreshTokens.tokenHash, hashSecret(token.value)))
        .get();
      if (!found || found.grant.clientId !== client.id) return false;
      grant = found.grant;
      await revokeGrantIn(tx, grant.id, now, "revoked");
      await tx
        .update(oauthRefreshTokens)
        .set({ revokedAt: now })
        .where(and(eq(oauthRefreshTokens.grantId, grant.id), isNull(oauthRefreshTokens.revokedAt)))
        .run();
      detail = { kind: "refresh", refreshId: found.token.id };
    } else {
      const found = await tx
        .select({ token: oauthAccessTokens, grant: oauthGrants })
        .from(oauthAccessTokens)
        .innerJoin(oauthGrants, eq(oauthGrants.id, oauthAccessTokens.grantId))
        .where(eq(oauthAccessTokens.jti, token.jti))
        .get();
      if (!found || found.grant.clientId !== client.id) return false;
      grant = found.grant;
      await tx.update(oauthAccessTokens).set({ revokedAt: now }).where(eq(oauthAccessTokens.jti, token.jti)).run();
      detail = { kind: "access", jti: token.jti };
    }
    await recordAudit(tx, svc.clock, {
      actor: { kind: "oauth_client", id: client.id, userId: grant.userId },
      action: "oauth.token_revoke",
      target: { type: "oauth_grant", id: grant.id },
      client: svc.client,
      detail,
    });
    return true;
  });
}
