import type { OAuthGrantType } from "@/db/schema";
import type { Runtime } from "../../runtime";
import {
  issueClientCredentials,
  redeemAuthorizationCode,
  refreshAccessToken,
  type TokenIssue,
} from "../../services/oauth-tokens";
import { signAccessToken } from "../access-token";
import { authenticateClient } from "../client-auth";
import { OAuthError, oauthJson } from "../errors";
import { readForm, required } from "../form";
import { parseResourceParam } from "../resource";
import { parseScopeParam } from "../scope";
import { signingKeysFor } from "../signing-keys";
import { throttleOAuth } from "../throttle";
import { answerOAuth, oauthServiceContext } from "./context";

/** Grant types we implement; `password` and the implicit flow are deliberately absent (RFC 9700 §2.4). */
const SUPPORTED = new Set<OAuthGrantType>(["authorization_code", "refresh_token", "client_credentials"]);

/**
 * POST /oauth/token (RFC 6749 §3.2). Rate limited per client IP before any
 * work, failing closed; the answer is never cached. Parameters we do not
 * know are ignored (§3.2), a repeated one is refused (§3.1). `resource`
 * (RFC 8707) is accepted with every grant: one of ours, and for a code or a
 * refresh token one its grant covers (server/oauth/resource.ts); the token's
 * `aud` is that resource.
 */
export async function handleTokenRequest(req: Request, runtime: Runtime): Promise<Response> {
  const svc = oauthServiceContext(req, runtime);
  return answerOAuth(svc, async () => {
    await throttleOAuth(runtime, svc.client, "oauth.token");
    const params = await readForm(req);
    const grantType = required(params, "grant_type");
    if (!SUPPORTED.has(grantType as OAuthGrantType)) {
      throw new OAuthError(
        "unsupported_grant_type",
        "Supported: authorization_code, refresh_token, client_credentials",
      );
    }
    const { client } = await authenticateClient(svc, req.headers, params, { allowPublic: true, endpoint: "token" });
    if (!client.grantTypes.includes(grantType as OAuthGrantType)) {
      throw new OAuthError("unauthorized_client", `This client may not use ${grantType}`);
    }
    const resource = parseResourceParam(params, runtime.config);
    let issue: TokenIssue;
    if (grantType === "authorization_code") {
      issue = await redeemAuthorizationCode(svc, client, {
        code: required(params, "code"),
        redirectUri: params.get("redirect_uri"),
        codeVerifier: params.get("code_verifier"),
        resource,
      });
    } else if (grantType === "refresh_token") {
      issue = await refreshAccessToken(svc, client, {
        refreshToken: required(params, "refresh_token"),
        scopes: parseScopeParam(params.get("scope")),
        resource,
      });
    } else {
      if (client.type !== "confidential") {
        throw new OAuthError("unauthorized_client", "client_credentials is for confidential clients only");
      }
      issue = await issueClientCredentials(svc, client, parseScopeParam(params.get("scope")), resource);
    }
    const accessToken = await signAccessToken(signingKeysFor(runtime), issue.claims, client.accessTokenSigningAlg);
    return oauthJson({
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: issue.expiresIn,
      scope: issue.scope,
      ...(issue.refreshToken ? { refresh_token: issue.refreshToken } : {}),
    });
  });
}
