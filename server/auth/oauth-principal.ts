import { getLogger } from "../logger";
import { issuerOf, verifyAccessTokenJwt } from "../oauth/access-token";
import { audiencesFor, audienceToVerify } from "../oauth/resource";
import { signingKeysFor } from "../oauth/signing-keys";
import type { Runtime } from "../runtime";
import { liveAccessToken, subjectOfGrant } from "../services/oauth-tokens";
import type { ClientInfo } from "./principal";
import type { BearerResolution } from "./token-principal";

/**
 * An OAuth access token (a JWT, RFC 9068) presented as a Bearer credential,
 * on either door. Two checks, both required:
 *
 * 1. the JWT itself: signature with a key from our JWKS, pinned algorithm,
 *    typ, iss, exp/nbf/iat (server/oauth/access-token.ts), and an `aud`
 *    that is exactly one of our resources covering this door
 *    (server/oauth/resource.ts: `/api` on both, `/api/v1` on REST only);
 * 2. its jti in the database: the token row, its grant, its client and its
 *    user must all be live — one indexed lookup, and the reason a revoked
 *    grant, a disabled client or a disabled user stops the token on the very
 *    next request instead of when it expires.
 *
 * The scopes are the token's, less any the client or the user's role has lost since.
 */
export async function principalFromAccessToken(
  token: string,
  runtime: Runtime,
  client: ClientInfo,
  transport: "rest" | "trpc",
): Promise<BearerResolution> {
  const now = runtime.clock.now();
  const check = await verifyAccessTokenJwt(token, signingKeysFor(runtime), {
    issuer: issuerOf(runtime.config),
    audience: audienceToVerify(token, audiencesFor(runtime.config, transport)),
    now,
  });
  if (!check.ok) {
    getLogger().info({ requestId: client.requestId, reason: check.reason, ip: client.ip }, "refused an access token");
    return { principal: null, error: "invalid_token" };
  }
  const state = await liveAccessToken(runtime.db, check.claims.jti, now);
  if (!state || state.client.id !== check.claims.client_id || subjectOfGrant(state.grant) !== check.claims.sub) {
    getLogger().info(
      { requestId: client.requestId, jti: check.claims.jti, clientId: check.claims.client_id, ip: client.ip },
      "refused a revoked or unknown access token",
    );
    return { principal: null, error: "invalid_token" };
  }
  return {
    principal: {
      kind: "oauth",
      userId: state.user.id,
      email: state.user.email,
      role: state.user.role,
      scopes: state.scopes,
      clientId: state.client.id,
      grantId: state.grant.id,
      accessTokenId: state.jti,
      mustChangePassword: state.user.mustChangePassword,
    },
    error: null,
  };
}
