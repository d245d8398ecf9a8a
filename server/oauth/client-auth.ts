import { eq } from "drizzle-orm";
import type { Db } from "@/db";
import { type OAuthClientRow, oauthClients } from "@/db/schema";
import { recordAggregated } from "../audit/aggregate";
import type { ClientInfo } from "../auth/principal";
import type { Clock } from "../clock";
import { ANONYMOUS_ACTOR } from "../services/audit";
import { hashSecret, plausibleSecret, sameSecretHash } from "./credentials";
import { invalidClient, OAuthError } from "./errors";
import type { Params } from "./form";

/**
 * Client authentication at the token, introspection and revocation
 * endpoints (RFC 6749 §2.3):
 *
 * - confidential clients: `client_secret_basic` (HTTP Basic, the id and
 *   secret form-urlencoded first, §2.3.1) or `client_secret_post` (both in
 *   the form body) — exactly one of them, never in the URL;
 * - public clients: `client_id` alone (`none`); they prove possession with
 *   PKCE instead, and a secret sent for one is refused.
 *
 * Every failure is the same `invalid_client` (401, `WWW-Authenticate:
 * Basic`), so the answer does not tell an unknown client from a wrong
 * secret, and is audited (aggregated per client and minute, so a guessing
 * flood does not become a flood of writes).
 */
export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "none";

export interface AuthenticatedClient {
  client: OAuthClientRow;
  method: ClientAuthMethod;
}

interface Presented {
  clientId: string;
  secret: string | null;
  method: ClientAuthMethod;
}

function decodeBasicPart(part: string): string {
  // RFC 6749 §2.3.1: each part is application/x-www-form-urlencoded before Base64.
  return decodeURIComponent(part.replace(/\+/g, "%20"));
}

function presentedCredentials(headers: Headers, params: Params): Presented {
  // JWT client assertions (RFC 7523: private_key_jwt, client_secret_jwt) are not supported. Ignoring them like
  // other unknown parameters would leave the client_id unauthenticated, or fail later with a misleading reason:
  // the method is refused by name instead (RFC 6749 §5.2: unsupported authentication method is invalid_client).
  if (params.has("client_assertion") || params.has("client_assertion_type")) {
    throw invalidClient("client_assertion is not supported: use client_secret_basic, client_secret_post or none");
  }
  const authorization = headers.get("authorization");
  const formId = params.get("client_id");
  const formSecret = params.get("client_secret");
  if (authorization !== null) {
    const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(authorization.trim());
    if (!match) throw invalidClient("Use HTTP Basic client authentication, or the form parameters");
    if (formSecret !== undefined) {
      throw new OAuthError("invalid_request", "Use one client authentication method, not two");
    }
    const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw invalidClient();
    let clientId: string;
    let secret: string;
    try {
      clientId = decodeBasicPart(decoded.slice(0, colon));
      secret = decodeBasicPart(decoded.slice(colon + 1));
    } catch {
      throw invalidClient();
    }
    if (formId !== undefined && formId !== clientId) {
      throw new OAuthError("invalid_request", "client_id in the body differs from the authenticated client");
    }
    return { clientId, secret, method: "client_secret_basic" };
  }
  if (formId === undefined || formId === "") throw invalidClient("Client authentication is required");
  if (formSecret !== undefined) return { clientId: formId, secret: formSecret, method: "client_secret_post" };
  return { clientId: formId, secret: null, method: "none" };
}

function secretMatches(client: OAuthClientRow, secret: string, now: Date): boolean {
  if (!plausibleSecret(secret)) return false;
  const hash = hashSecret(secret);
  if (client.secretHash && sameSecretHash(client.secretHash, hash)) return true;
  return Boolean(
    client.previousSecretHash &&
      client.previousSecretExpiresAt &&
      client.previousSecretExpiresAt > now &&
      sameSecretHash(client.previousSecretHash, hash),
  );
}

export async function authenticateClient(
  ctx: { db: Db; clock: Clock; client: ClientInfo },
  headers: Headers,
  params: Params,
  opts: { allowPublic: boolean; endpoint: string },
): Promise<AuthenticatedClient> {
  const presented = presentedCredentials(headers, params);
  const now = ctx.clock.now();
  const fail = async (why: string): Promise<never> => {
    await recordAggregated(ctx.db, ctx.clock, {
      action: "oauth.client_auth_failed",
      actor: ANONYMOUS_ACTOR,
      client: ctx.client,
      target: { type: "oauth_client", id: /^ocl_[0-9a-z]{20}$/.test(presented.clientId) ? presented.clientId : null },
      group: { endpoint: opts.endpoint, method: presented.method, reason: why },
    });
    throw invalidClient();
  };
  const client = await (presented.clientId.length <= 64
    ? ctx.db.select().from(oauthClients).where(eq(oauthClients.id, presented.clientId)).get()
    : undefined);
  if (!client) return fail("unknown_client");
  if (client.disabledAt) return fail("client_disabled");
  if (client.type === "confidential") {
    if (presented.secret === null) return fail("secret_missing");
    if (!secretMatches(client, presented.secret, now)) return fail("wrong_secret");
  } else {
    if (presented.secret !== null) return fail("secret_for_public_client");
    if (!opts.allowPublic) return fail("public_client_not_allowed");
  }
  return { client, method: presented.method };
}
