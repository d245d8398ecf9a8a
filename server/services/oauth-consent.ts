import { and, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import {
  type OAuthClientRow,
  oauthAuthorizationCodes,
  oauthClients,
  oauthConsents,
  oauthGrants,
  oauthPendingAuthorizations,
} from "@/db/schema";
import type { Scope } from "../auth/scopes";
import { notFound } from "../errors";
import { newId } from "../ids";
import { hashSecret, newAuthorizationCode, newCsrfToken, sameSecretHash } from "../oauth/credentials";
import { coversScopes } from "../oauth/scope";
import { recordAudit } from "./audit";
import type { ServiceContext } from "./context";
import { revokeGrantsWhere } from "./oauth-clients";

/**
 * The user's side of OAuth: consent (asked once per client and scope set,
 * remembered, revocable), the authorization codes it leads to, and the list
 * of applications a user has authorised.
 */

export const CODE_TTL_MS = 60_000;
export const PENDING_TTL_MS = 10 * 60_000;

/** A validated authorization request (server/oauth/authorize.ts did the checking). */
export interface AuthorizationRequest {
  client: OAuthClientRow;
  redirectUri: string;
  scopes: Scope[];
  state: string | null;
  codeChallenge: string;
  /** The RFC 8707 resource asked for (already checked to be ours); null: none asked. */
  resource?: string | null;
}

export async function hasConsent(
  db: Executor,
  userId: string,
  clientId: string,
  scopes: readonly Scope[],
): Promise<boolean> {
  const consent = await db
    .select({ scopes: oauthConsents.scopes })
    .from(oauthConsents)
    .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.clientId, clientId)))
    .get();
  return consent !== undefined && coversScopes(consent.scopes, scopes);
}

/** Issues a code for a request the user has consented to. Returns the code (shown once, in the redirect). */
export async function issueAuthorizationCode(
  tx: Executor,
  request: AuthorizationRequest,
  userId: string,
  now: Date,
): Promise<string> {
  const code = newAuthorizationCode();
  await tx
    .insert(oauthAuthorizationCodes)
    .values({
      id: newId("oauthCode"),
      codeHash: hashSecret(code),
      clientId: request.client.id,
      userId,
      redirectUri: request.redirectUri,
      scopes: request.scopes,
      codeChallenge: request.codeChallenge,
      resource: request.resource ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CODE_TTL_MS),
      usedAt: null,
      grantId: null,
    })
    .run();
  // Codes an hour past their end can no longer even be recognised as replays worth acting on.
  await tx
    .delete(oauthAuthorizationCodes)
    .where(lt(oauthAuthorizationCodes.expiresAt, new Date(now.getTime() - 3_600_000)))
    .run();
  return code;
}

/**
 * The client's redirect URI with the authorization response parameters added
 * (RFC 6749 §4.1.2, RFC 9207 `iss`). A query the URI was registered with is
 * kept byte for byte (§3.1.2): the parameters are appended to it, never
 * re-serialised with it. Registered URIs have no fragment.
 */
export function authorizationResponseUrl(redirectUri: string, params: Record<string, string | null>): string {
  const added = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== null) added.append(name, value);
  const separator = !redirectUri.includes("?")
    ? "?"
    : redirectUri.endsWith("?") || redirectUri.endsWith("&")
      ? ""
      : "&";
  return `${redirectUri}${separator}${added.toString()}`;
}

/** Parks a request for the consent page; returns its id (the page's address). */
export async function createPendingAuthorization(
  svc: ServiceContext,
  request: AuthorizationRequest,
  userId: string,
): Promise<string> {
  const now = svc.clock.now();
  const id = newId("oauthPending");
  await svc.db.transaction(async (tx) => {
    await tx.delete(oauthPendingAuthorizations).where(lt(oauthPendingAuthorizations.expiresAt, now)).run();
    await tx
      .insert(oauthPendingAuthorizations)
      .values({
        id,
        userId,
        clientId: request.client.id,
        redirectUri: request.redirectUri,
        scopes: request.scopes,
        state: request.state,
        codeChallenge: request.codeChallenge,
        resource: request.resource ?? null,
        // Replaced when the page is rendered (openConsent): until then no form can be valid.
        csrfHash: hashSecret(newCsrfToken()),
        createdAt: now,
        expiresAt: new Date(now.getTime() + PENDING_TTL_MS),
      })
      .run();
  });
  return id;
}

export interface ConsentView {
  requestId: string;
  clientId: string;
  clientName: string;
  scopes: Scope[];
  redirectOrigin: string;
  /** The RFC 8707 resource the tokens will be limited to; null: none asked (the default audience). */
  resource: string | null;
  csrfToken: string;
}

/** A parked request of this user, unexpired, for a client that is still enabled. */
function livePending(tx: Executor, requestId: string, userId: string, now: Date) {
  return tx
    .select({ pending: oauthPendingAuthorizations, client: oauthClients })
    .from(oauthPendingAuthorizations)
    .innerJoin(oauthClients, eq(oauthClients.id, oauthPendingAuthorizations.clientId))
    .where(
      and(
        eq(oauthPendingAuthorizations.id, requestId),
        eq(oauthPendingAuthorizations.userId, userId),
        gt(oauthPendingAuthorizations.expiresAt, now),
        isNull(oauthClients.disabledAt),
      ),
    )
    .get();
}

/**
 * What the consent page shows, for the signed-in user only, with a fresh
 * anti-CSRF token for its form (only its hash is kept). Null when the request
 * is unknown, expired or someone else's.
 */
export async function openConsent(svc: ServiceContext, requestId: string, userId: string): Promise<ConsentView | null> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    const found = await livePending(tx, requestId, userId, now);
    if (!found) return null;
    const csrfToken = newCsrfToken();
    await tx
      .update(oauthPendingAuthorizations)
      .set({ csrfHash: hashSecret(csrfToken) })
      .where(eq(oauthPendingAuthorizations.id, requestId))
      .run();
    return {
      requestId,
      clientId: found.client.id,
      clientName: found.client.name,
      scopes: found.pending.scopes,
      redirectOrigin: new URL(found.pending.redirectUri).origin,
      resource: found.pending.resource ?? null,
      csrfToken,
    };
  });
}

export type ConsentOutcome = { kind: "redirect"; location: string } | { kind: "invalid" };

/**
 * The user's answer on the consent page. The request must be theirs, live,
 * and the form must carry the token of its latest rendering; it is consumed
 * either way. Allow: the consent is remembered (scopes added to what the user
 * already allowed this client) and a code goes back; deny: `access_denied`.
 */
export async function decideConsent(
  svc: ServiceContext & { issuer: string },
  input: { requestId: string; userId: string; csrfToken: string; allow: boolean },
): Promise<ConsentOutcome> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    const found = await livePending(tx, input.requestId, input.userId, now);
    if (!found) return { kind: "invalid" };
    if (!sameSecretHash(found.pending.csrfHash, hashSecret(input.csrfToken))) return { kind: "invalid" };
    const { pending, client } = found;
    await tx.delete(oauthPendingAuthorizations).where(eq(oauthPendingAuthorizations.id, pending.id)).run();
    const base = { state: pending.state, iss: svc.issuer };
    if (!input.allow) {
      await recordAudit(tx, svc.clock, {
        actor: svc.actor,
        action: "oauth.consent_deny",
        target: { type: "oauth_client", id: client.id },
        client: svc.client,
        detail: { scopes: pending.scopes },
      });
      return {
        kind: "redirect",
        location: authorizationResponseUrl(pending.redirectUri, {
          error: "access_denied",
          error_description: "The user denied the request",
          ...base,
        }),
      };
    }
    const existing = await tx
      .select()
      .from(oauthConsents)
      .where(and(eq(oauthConsents.userId, input.userId), eq(oauthConsents.clientId, client.id)))
      .get();
    const scopes = [...new Set([...(existing?.scopes ?? []), ...pending.scopes])].sort() as Scope[];
    if (existing) {
      await tx.update(oauthConsents).set({ scopes, updatedAt: now }).where(eq(oauthConsents.id, existing.id)).run();
    } else {
      await tx
        .insert(oauthConsents)
        .values({
          id: newId("oauthConsent"),
          userId: input.userId,
          clientId: client.id,
          scopes,
          createdAt: now,
          updatedAt: now,
        })
        .run();
    }
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "oauth.consent_grant",
      target: { type: "oauth_client", id: client.id },
      client: svc.client,
      detail: { scopes: pending.scopes, remembered: scopes },
    });
    const code = await issueAuthorizationCode(
      tx,
      {
        client,
        redirectUri: pending.redirectUri,
        scopes: pending.scopes,
        state: pending.state,
        codeChallenge: pending.codeChallenge,
        resource: pending.resource,
      },
      input.userId,
      now,
    );
    return { kind: "redirect", location: authorizationResponseUrl(pending.redirectUri, { code, ...base }) };
  });
}

export interface AuthorizedApp {
  clientId: string;
  clientName: string;
  scopes: Scope[];
  consentedAt: string;
  updatedAt: string;
  activeGrants: number;
}

/** The applications a user has authorised, for their settings page. */
export async function listAuthorizedApps(db: Executor, userId: string, now: Date): Promise<AuthorizedApp[]> {
  return (
    await db
      .select({
        consent: oauthConsents,
        clientName: oauthClients.name,
        activeGrants: sql<number>`(select count(*) from ${oauthGrants} where ${oauthGrants.userId} = ${oauthConsents.userId} and ${oauthGrants.clientId} = ${oauthConsents.clientId} and ${oauthGrants.revokedAt} is null and ${oauthGrants.expiresAt} > ${now.getTime()})`,
      })
      .from(oauthConsents)
      .innerJoin(oauthClients, eq(oauthClients.id, oauthConsents.clientId))
      .where(eq(oauthConsents.userId, userId))
      .orderBy(desc(oauthConsents.updatedAt))
      .all()
  ).map(({ consent, clientName, activeGrants }) => ({
    clientId: consent.clientId,
    clientName,
    scopes: consent.scopes,
    consentedAt: consent.createdAt.toISOString(),
    updatedAt: consent.updatedAt.toISOString(),
    activeGrants: Number(activeGrants),
  }));
}

/**
 * A user takes back an application's access: the remembered consent goes
 * (the next authorization asks again) and every grant they gave it is
 * revoked, so its tokens fail on the next request.
 */
export async function revokeAuthorizedApp(
  svc: ServiceContext,
  userId: string,
  clientId: string,
): Promise<{ grantsRevoked: number }> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    const removed = (
      await tx
        .delete(oauthConsents)
        .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.clientId, clientId)))
        .run()
    ).changes;
    if (removed === 0) throw notFound("Authorised application");
    const grantsRevoked = await revokeGrantsWhere(tx, now, "consent_revoked", { clientId, userId });
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "oauth.consent_revoke",
      target: { type: "oauth_client", id: clientId },
      client: svc.client,
      detail: { userId, grantsRevoked },
    });
    return { grantsRevoked };
  });
}
