import type { Runtime } from "../../runtime";
import { liveAccessToken, liveRefreshToken, subjectOfGrant } from "../../services/oauth-tokens";
import { looksLikeJwt, verifyAccessTokenJwt } from "../access-token";
import { authenticateClient } from "../client-auth";
import { REFRESH_TOKEN_PREFIX } from "../credentials";
import { OAuthError, oauthJson } from "../errors";
import { readForm, required } from "../form";
import { audienceToVerify, knownResources } from "../resource";
import { formatScope } from "../scope";
import { signingKeysFor } from "../signing-keys";
import { throttleOAuth } from "../throttle";
import { answerOAuth, oauthServiceContext } from "./context";

const INACTIVE = { active: false } as const;

/**
 * POST /oauth/introspect (RFC 7662). Only authenticated confidential clients
 * may ask, and only about their own tokens: an inactive, expired, revoked,
 * unknown, forged or another client's token is `{"active": false}` and
 * nothing else, so the endpoint is no oracle for other clients' tokens.
 * An access token is judged like the API judges it: signature and claims,
 * then its jti, grant, client and user in the database.
 */
export async function handleIntrospection(req: Request, runtime: Runtime): Promise<Response> {
  const svc = oauthServiceContext(req, runtime);
  return answerOAuth(svc.client.requestId, async () => {
    await throttleOAuth(runtime, svc.client, "oauth.introspect");
    const params = await readForm(req);
    const { client } = await authenticateClient(svc, req.headers, params, {
      allowPublic: false,
      endpoint: "introspect",
    });
    const token = required(params, "token");
    const hint = params.get("token_type_hint");
    if (hint !== undefined && hint !== "access_token" && hint !== "refresh_token") {
      throw new OAuthError("unsupported_token_type", "token_type_hint is access_token or refresh_token");
    }
    const now = svc.clock.now();

    if (token.startsWith(REFRESH_TOKEN_PREFIX)) {
      const state = await liveRefreshToken(runtime.db, token, now);
      if (!state || state.client.id !== client.id) return oauthJson(INACTIVE);
      return oauthJson({
        active: true,
        scope: formatScope(state.grant.scopes),
        client_id: state.client.id,
        sub: subjectOfGrant(state.grant),
        iat: Math.floor(state.createdAt.getTime() / 1000),
        exp: Math.floor(state.expiresAt.getTime() / 1000),
        iss: svc.issuer,
      });
    }
    if (!looksLikeJwt(token)) return oauthJson(INACTIVE);
    const check = await verifyAccessTokenJwt(token, signingKeysFor(runtime), {
      issuer: svc.issuer,
      // Any resource of ours (RFC 8707): the answer reports which one as `aud`.
      audience: audienceToVerify(token, knownResources(runtime.config)),
      now,
    });
    if (!check.ok || check.claims.client_id !== client.id) return oauthJson(INACTIVE);
    const state = await liveAccessToken(runtime.db, check.claims.jti, now);
    if (!state || state.client.id !== client.id || subjectOfGrant(state.grant) !== check.claims.sub) {
      return oauthJson(INACTIVE);
    }
    return oauthJson({
      active: true,
      scope: formatScope(state.scopes),
      client_id: client.id,
      sub: check.claims.sub,
      username: state.user.email,
      token_type: "Bearer",
      exp: check.claims.exp,
      iat: check.claims.iat,
      iss: check.claims.iss,
      aud: check.claims.aud,
      jti: check.claims.jti,
    });
  });
}
