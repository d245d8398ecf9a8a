import { and, count, desc, eq, gt, inArray, isNull } from "drizzle-orm";
import type { Executor } from "@/db";
import {
  OAUTH_GRANT_TYPES,
  type OAuthClientRow,
  type OAuthClientType,
  type OAuthGrantKind,
  type OAuthGrantRevokeReason,
  type OAuthGrantType,
  oauthClients,
  oauthGrants,
  SIGNING_ALGS,
  type SigningAlg,
  users,
} from "@/db/schema";
import { isScope, type Scope } from "../auth/scopes";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import { hashSecret, newClientSecret, secretDisplay } from "../oauth/credentials";
import { MAX_REDIRECT_URIS, redirectUriProblem } from "../oauth/redirect-uri";
import { DEFAULT_SIGNING_ALG } from "../oauth/signing-keys";
import { recordAudit } from "./audit";
import type { ServiceContext } from "./context";
import { SERVICE_ACCOUNT_DOMAIN } from "./users";

/**
 * OAuth client registration and administration: the dashboard's OAuth
 * clients page, `gatehouse oauth-client …` and the admin API all call these.
 * A client secret exists in plaintext only in the return value of
 * createClient/rotateClientSecret.
 */

import {
  DEFAULT_ACCESS_TOKEN_TTL_S,
  DEFAULT_REFRESH_TOKEN_TTL_S,
  MAX_ACCESS_TOKEN_TTL_S,
  MAX_REFRESH_TOKEN_TTL_S,
  MAX_SECRET_GRACE_S,
  MIN_ACCESS_TOKEN_TTL_S,
  MIN_REFRESH_TOKEN_TTL_S,
} from "./oauth-client-limits";

export {
  DEFAULT_ACCESS_TOKEN_TTL_S,
  DEFAULT_REFRESH_TOKEN_TTL_S,
  MAX_REFRESH_TOKEN_TTL_S,
  MAX_SECRET_GRACE_S,
  MIN_ACCESS_TOKEN_TTL_S,
  MIN_REFRESH_TOKEN_TTL_S,
} from "./oauth-client-limits";

export interface CreateClientInput {
  name: string;
  type: OAuthClientType;
  redirectUris: string[];
  grantTypes: OAuthGrantType[];
  scopes: Scope[];
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  /** The JWS algorithm of its access tokens; ES256 unless the client needs RS256. */
  accessTokenSigningAlg?: SigningAlg;
}

export interface ClientSummary {
  id: string;
  name: string;
  type: OAuthClientType;
  redirectUris: string[];
  grantTypes: OAuthGrantType[];
  scopes: Scope[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  accessTokenSigningAlg: SigningAlg;
  secretDisplay: string | null;
  secretRotatedAt: string | null;
  previousSecretExpiresAt: string | null;
  serviceUserId: string | null;
  createdAt: string;
  disabledAt: string | null;
  activeGrants: number;
}

export interface ClientWithSecret {
  client: ClientSummary;
  /** Shown once; null for public clients. */
  clientSecret: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toSummary(row: OAuthClientRow, activeGrants: number, now: Date): ClientSummary {
  const previousLive = row.previousSecretExpiresAt && row.previousSecretExpiresAt > now;
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    redirectUris: row.redirectUris,
    grantTypes: row.grantTypes,
    scopes: row.scopes,
    accessTokenTtlSeconds: row.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: row.refreshTokenTtlSeconds,
    accessTokenSigningAlg: row.accessTokenSigningAlg,
    secretDisplay: row.secretDisplay,
    secretRotatedAt: iso(row.secretRotatedAt),
    previousSecretExpiresAt: previousLive ? iso(row.previousSecretExpiresAt) : null,
    serviceUserId: row.serviceUserId,
    createdAt: row.createdAt.toISOString(),
    disabledAt: iso(row.disabledAt),
    activeGrants,
  };
}

function invalid(message: string, reason = "invalid_client_metadata"): AppError {
  return new AppError("BAD_REQUEST", message, reason);
}

/** The registration rules, whoever registers (RFC 9700 and RFC 7591 §2 in spirit). */
export function validateClientInput(input: CreateClientInput): Required<CreateClientInput> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw invalid("The name must be 1 to 100 characters");
  const grantTypes = [...new Set(input.grantTypes)];
  if (grantTypes.length === 0) throw invalid("Allow at least one grant type");
  for (const grant of grantTypes) {
    if (!OAUTH_GRANT_TYPES.includes(grant)) throw invalid(`Unknown grant type "${String(grant).slice(0, 40)}"`);
  }
  if (input.type === "public" && grantTypes.includes("client_credentials")) {
    throw invalid("A public client cannot use client_credentials: it has no secret to authenticate with");
  }
  if (grantTypes.includes("refresh_token") && !grantTypes.includes("authorization_code")) {
    throw invalid("refresh_token only comes with authorization_code");
  }
  const redirectUris = [...new Set(input.redirectUris)];
  if (grantTypes.includes("authorization_code") && redirectUris.length === 0) {
    throw invalid("authorization_code needs at least one redirect URI");
  }
  if (!grantTypes.includes("authorization_code") && redirectUris.length > 0) {
    throw invalid("Redirect URIs are only for clients allowed authorization_code");
  }
  if (redirectUris.length > MAX_REDIRECT_URIS) throw invalid(`At most ${MAX_REDIRECT_URIS} redirect URIs`);
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw invalid(`Redirect URI ${JSON.stringify(uri.slice(0, 100))}: ${problem}`, "invalid_redirect_uri");
  }
  const scopes = [...new Set(input.scopes)].sort();
  if (scopes.length === 0) throw invalid("Allow at least one scope");
  for (const scope of scopes) if (!isScope(scope)) throw invalid(`Unknown scope "${String(scope).slice(0, 40)}"`);
  const accessTokenTtlSeconds = input.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_S;
  if (
    !Number.isSafeInteger(accessTokenTtlSeconds) ||
    accessTokenTtlSeconds < MIN_ACCESS_TOKEN_TTL_S ||
    accessTokenTtlSeconds > MAX_ACCESS_TOKEN_TTL_S
  ) {
    throw invalid(`The access-token lifetime must be ${MIN_ACCESS_TOKEN_TTL_S} to ${MAX_ACCESS_TOKEN_TTL_S} seconds`);
  }
  const refreshTokenTtlSeconds = input.refreshTokenTtlSeconds ?? DEFAULT_REFRESH_TOKEN_TTL_S;
  if (
    !Number.isSafeInteger(refreshTokenTtlSeconds) ||
    refreshTokenTtlSeconds < MIN_REFRESH_TOKEN_TTL_S ||
    refreshTokenTtlSeconds > MAX_REFRESH_TOKEN_TTL_S
  ) {
    throw invalid(
      `The refresh-token lifetime must be ${MIN_REFRESH_TOKEN_TTL_S} to ${MAX_REFRESH_TOKEN_TTL_S} seconds`,
    );
  }
  const accessTokenSigningAlg = input.accessTokenSigningAlg ?? DEFAULT_SIGNING_ALG;
  if (!SIGNING_ALGS.includes(accessTokenSigningAlg)) {
    throw invalid(`The access-token signing algorithm must be one of ${SIGNING_ALGS.join(", ")}`);
  }
  return {
    name,
    type: input.type,
    grantTypes,
    redirectUris,
    scopes,
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds,
    accessTokenSigningAlg,
  };
}

/** Ids per query: far below SQLite's limit on bound parameters, whatever the number of clients. */
const GRANT_COUNT_CHUNK = 500;

async function activeGrantCounts(tx: Executor, clientIds: string[], now: Date): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < clientIds.length; i += GRANT_COUNT_CHUNK) {
    const chunk = clientIds.slice(i, i + GRANT_COUNT_CHUNK);
    const rows = await tx
      .select({ clientId: oauthGrants.clientId, n: count() })
      .from(oauthGrants)
      .where(and(inArray(oauthGrants.clientId, chunk), isNull(oauthGrants.revokedAt), gt(oauthGrants.expiresAt, now)))
      .groupBy(oauthGrants.clientId)
      .all();
    for (const row of rows) counts.set(row.clientId, row.n);
  }
  return counts;
}

export async function getClientRow(tx: Executor, id: string): Promise<OAuthClientRow> {
  const row = await tx.select().from(oauthClients).where(eq(oauthClients.id, id)).get();
  if (!row) throw notFound("OAuth client");
  return row;
}

async function summaryOf(tx: Executor, row: OAuthClientRow, now: Date): Promise<ClientSummary> {
  return toSummary(row, (await activeGrantCounts(tx, [row.id], now)).get(row.id) ?? 0, now);
}

/** The user a client's own (client_credentials) tokens act for: cannot sign in (no password), bounded by its role. */
async function createServiceAccount(tx: Executor, clientId: string, clientName: string, now: Date): Promise<string> {
  const id = newId("user");
  await tx
    .insert(users)
    .values({
      id,
      email: `${clientId}@${SERVICE_ACCOUNT_DOMAIN}`,
      name: `Service account of ${clientName}`.slice(0, 200),
      role: "member",
      passwordHash: "",
      mustChangePassword: false,
      createdAt: now,
      updatedAt: now,
    })
    .run();
  return id;
}

export async function createClient(svc: ServiceContext, input: CreateClientInput): Promise<ClientWithSecret> {
  const valid = validateClientInput(input);
  const now = svc.clock.now();
  const id = newId("oauthClient");
  const secret = valid.type === "confidential" ? newClientSecret() : null;
  return await svc.db.transaction(async (tx) => {
    const serviceUserId = await (valid.grantTypes.includes("client_credentials")
      ? createServiceAccount(tx, id, valid.name, now)
      : null);
    const row: OAuthClientRow = {
      id,
      name: valid.name,
      type: valid.type,
      redirectUris: valid.redirectUris,
      grantTypes: valid.grantTypes,
      scopes: valid.scopes,
      accessTokenTtlSeconds: valid.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: valid.refreshTokenTtlSeconds,
      accessTokenSigningAlg: valid.accessTokenSigningAlg,
      secretHash: secret ? hashSecret(secret) : null,
      secretDisplay: secret ? secretDisplay(secret) : null,
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      secretRotatedAt: null,
      serviceUserId,
      createdBy: svc.actor.userId ?? svc.actor.id,
      createdAt: now,
      updatedAt: now,
      disabledAt: null,
    };
    await tx.insert(oauthClients).values(row).run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "oauth_client.create",
      target: { type: "oauth_client", id },
      client: svc.client,
      detail: {
        name: valid.name,
        type: valid.type,
        redirectUris: valid.redirectUris,
        grantTypes: valid.grantTypes,
        scopes: valid.scopes,
        // Named without "token": the shared redaction hides any detail key that mentions it.
        signingAlg: valid.accessTokenSigningAlg,
        serviceUserId,
      },
    });
    return { client: toSummary(row, 0, now), clientSecret: secret };
  });
}

/**
 * Every client, newest first. All of them: the list procedure sorts and pages in memory (pageOf), so a
 * cap here would make a sort by name silently wrong past it. Clients are registered by admins only.
 */
export async function listClients(db: Executor, now: Date): Promise<ClientSummary[]> {
  const rows = await db.select().from(oauthClients).orderBy(desc(oauthClients.createdAt)).all();
  const counts = await activeGrantCounts(
    db,
    rows.map((row) => row.id),
    now,
  );
  return rows.map((row) => toSummary(row, counts.get(row.id) ?? 0, now));
}

export async function getClient(db: Executor, id: string, now: Date): Promise<ClientSummary> {
  return await summaryOf(db, await getClientRow(db, id), now);
}

export type UpdateClientInput = Partial<Omit<CreateClientInput, "type">>;

/**
 * Changes a client's registration (its type stays what it was registered
 * as). The same rules as registration apply to the result. What it means for
 * what was already issued:
 * - scopes taken away are gone from its live tokens on their next request
 *   (they are checked against the client's scopes every time);
 * - a grant type taken away is refused at the token endpoint from now on
 *   (`unauthorized_client`), refresh tokens included; taking away
 *   authorization_code or client_credentials also revokes the grants made
 *   with it, so their access tokens stop on the next request;
 * - redirect URIs, lifetimes and the signing algorithm apply to what is
 *   issued from now on (a token already signed with the other algorithm
 *   stays valid while its key is published).
 * Allowing client_credentials gives the client its service account.
 */
export async function updateClient(svc: ServiceContext, id: string, input: UpdateClientInput): Promise<ClientSummary> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    const row = await getClientRow(tx, id);
    const valid = validateClientInput({
      name: input.name ?? row.name,
      type: row.type,
      redirectUris: input.redirectUris ?? row.redirectUris,
      grantTypes: input.grantTypes ?? row.grantTypes,
      scopes: input.scopes ?? row.scopes,
      accessTokenTtlSeconds: input.accessTokenTtlSeconds ?? row.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: input.refreshTokenTtlSeconds ?? row.refreshTokenTtlSeconds,
      accessTokenSigningAlg: input.accessTokenSigningAlg ?? row.accessTokenSigningAlg,
    });
    const next = {
      name: valid.name,
      redirectUris: valid.redirectUris,
      grantTypes: valid.grantTypes,
      scopes: valid.scopes,
      accessTokenTtlSeconds: valid.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: valid.refreshTokenTtlSeconds,
      accessTokenSigningAlg: valid.accessTokenSigningAlg,
    };
    const changed = Object.fromEntries(
      Object.entries(next).filter(
        ([key, value]) => JSON.stringify(value) !== JSON.stringify(row[key as keyof typeof next]),
      ),
    );
    if (Object.keys(changed).length === 0) return summaryOf(tx, row, now);
    const serviceUserId = await (valid.grantTypes.includes("client_credentials") && !row.serviceUserId
      ? createServiceAccount(tx, id, valid.name, now)
      : row.serviceUserId);
    await tx
      .update(oauthClients)
      .set({ ...next, serviceUserId, updatedAt: now })
      .where(eq(oauthClients.id, id))
      .run();
    let grantsRevoked = 0;
    for (const kind of ["authorization_code", "client_credentials"] as const) {
      if (row.grantTypes.includes(kind) && !valid.grantTypes.includes(kind)) {
        grantsRevoked += await revokeGrantsWhere(tx, now, "revoked", { clientId: id, kind });
      }
    }
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "oauth_client.update",
      target: { type: "oauth_client", id },
      client: svc.client,
      // Lifetimes and the algorithm renamed: the shared redaction hides any detail key that mentions "token".
      detail: {
        changed: Object.fromEntries(
          Object.entries(changed).map(([key, value]) => [
            key === "accessTokenSigningAlg" ? "signingAlg" : key.replace("TokenTtlSeconds", "LifetimeSeconds"),
            value,
          ]),
        ),
        ...(grantsRevoked > 0 ? { grantsRevoked } : {}),
      },
    });
    return summaryOf(tx, await getClientRow(tx, id), now);
  });
}

/**
 * A new secret for a confidential client. The old one keeps working for
 * `graceSeconds` (0 to 7 days; 0 ends it at once), so a deployment can roll
 * the new one out without downtime.
 */
export async function rotateClientSecret(
  svc: ServiceContext,
  id: string,
  graceSeconds: number,
): Promise<ClientWithSecret> {
  if (!Number.isSafeInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_SECRET_GRACE_S) {
    throw invalid(`The grace period must be 0 to ${MAX_SECRET_GRACE_S} seconds`, "invalid_grace");
  }
  const now = svc.clock.now();
  const secret = newClientSecret();
  return await svc.db.transaction(async (tx) => {
    const row = await getClientRow(tx, id);
    if (row.type !== "confidential" || !row.secretHash) {
      throw new AppError("CONFLICT", "Public clients have no secret", "public_client");
    }
    const previousExpires = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
    await tx
      .update(oauthClients)
      .set({
        secretHash: hashSecret(secret),
        secretDisplay: secretDisplay(secret),
        previousSecretHash: previousExpires ? row.secretHash : null,
        previousSecretExpiresAt: previousExpires,
        secretRotatedAt: now,
        updatedAt: now,
      })
      .where(eq(oauthClients.id, id))
      .run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "oauth_client.rotate_secret",
      target: { type: "oauth_client", id },
      client: svc.client,
      detail: { graceSeconds, previousValidUntil: iso(previousExpires) },
    });
    return { client: await summaryOf(tx, await getClientRow(tx, id), now), clientSecret: secret };
  });
}

/** Revokes grants matching `where`, returning how many; inside the caller's transaction. */
export async function revokeGrantsWhere(
  tx: Executor,
  now: Date,
  reason: OAuthGrantRevokeReason,
  where: { clientId: string; userId?: string; kind?: OAuthGrantKind },
): Promise<number> {
  return (
    await tx
      .update(oauthGrants)
      .set({ revokedAt: now, revokedReason: reason })
      .where(
        and(
          eq(oauthGrants.clientId, where.clientId),
          where.userId ? eq(oauthGrants.userId, where.userId) : undefined,
          where.kind ? eq(oauthGrants.kind, where.kind) : undefined,
          isNull(oauthGrants.revokedAt),
        ),
      )
      .run()
  ).changes;
}

/**
 * Disabling stops the client at once: its authentication fails, and every
 * grant it holds is revoked, so its tokens fail on the next request and do
 * not come back if it is enabled again.
 */
export async function setClientDisabled(svc: ServiceContext, id: string, disabled: boolean): Promise<ClientSummary> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    const row = await getClientRow(tx, id);
    if (Boolean(row.disabledAt) === disabled) return summaryOf(tx, row, now);
    const revoked = disabled ? await revokeGrantsWhere(tx, now, "client_disabled", { clientId: id }) : 0;
    await tx
      .update(oauthClients)
      .set({ disabledAt: disabled ? now : null, updatedAt: now })
      .where(eq(oauthClients.id, id))
      .run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: disabled ? "oauth_client.disable" : "oauth_client.enable",
      target: { type: "oauth_client", id },
      client: svc.client,
      detail: disabled ? { grantsRevoked: revoked } : undefined,
    });
    return summaryOf(tx, await getClientRow(tx, id), now);
  });
}

/** Deletes the client with everything it was given (grants, tokens, codes, consents) and its service account. */
export async function deleteClient(svc: ServiceContext, id: string): Promise<{ id: string }> {
  return await svc.db.transaction(async (tx) => {
    const row = await getClientRow(tx, id);
    await tx.delete(oauthClients).where(eq(oauthClients.id, id)).run();
    if (row.serviceUserId) await tx.delete(users).where(eq(users.id, row.serviceUserId)).run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "oauth_client.delete",
      target: { type: "oauth_client", id },
      client: svc.client,
      detail: { name: row.name },
    });
    return { id };
  });
}

export interface GrantSummary {
  id: string;
  clientId: string;
  kind: "authorization_code" | "client_credentials";
  userId: string;
  userEmail: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt: string;
}

/** A client's live grants (who authorised it, with which scopes), newest first. */
export async function listClientGrants(db: Executor, clientId: string, now: Date): Promise<GrantSummary[]> {
  await getClientRow(db, clientId);
  return (
    await db
      .select({ grant: oauthGrants, email: users.email })
      .from(oauthGrants)
      .innerJoin(users, eq(users.id, oauthGrants.userId))
      .where(and(eq(oauthGrants.clientId, clientId), isNull(oauthGrants.revokedAt), gt(oauthGrants.expiresAt, now)))
      .orderBy(desc(oauthGrants.createdAt))
      .limit(200)
      .all()
  ).map(({ grant, email }) => ({
    id: grant.id,
    clientId: grant.clientId,
    kind: grant.kind,
    userId: grant.userId,
    userEmail: email,
    scopes: grant.scopes,
    createdAt: grant.createdAt.toISOString(),
    expiresAt: grant.expiresAt.toISOString(),
  }));
}

/** Revokes one grant (an administrator's decision); its tokens fail on the next request. */
export async function revokeGrant(svc: ServiceContext, grantId: string): Promise<{ id: string }> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    const grant = await tx.select().from(oauthGrants).where(eq(oauthGrants.id, grantId)).get();
    if (!grant) throw notFound("Grant");
    if (!grant.revokedAt) {
      await tx
        .update(oauthGrants)
        .set({ revokedAt: now, revokedReason: "revoked" })
        .where(eq(oauthGrants.id, grantId))
        .run();
      await recordAudit(tx, svc.clock, {
        actor: svc.actor,
        action: "oauth.grant_revoke",
        target: { type: "oauth_grant", id: grantId },
        client: svc.client,
        detail: { clientId: grant.clientId, userId: grant.userId },
      });
    }
    return { id: grantId };
  });
}
