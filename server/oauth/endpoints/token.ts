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
import { readForm, refuseUnknown, required } from "../form";
import { parseScopeParam } from "../scope";
import { signingKeysFor } from "../signing-keys";
import { throttleOAuth } from "../throttle";
import { answerOAuth, oauthServiceContext } from "./context";

const TOKEN_PARAMS = new Set([
  "grant_type",
  "code",
  "redirect_uri",
  "code_verifier",
  "refresh_token",
  "scope",
  "client_id",
  "client_secret",
]);

/** Grant types we implement; `password` and the implicit flow are deliberately absent (RFC 9700 §2.4). */
const SUPPORTED = new Set<OAuthGrantType>(["authorization_code", "refresh_token", "client_credentials"]);

/**
 * POST /oauth/token (RFC 6749 §3.2). Rate limited per client IP before any
 * work, failing closed; the answer is never cached.
 */
export async function handleTokenRequest(req: Request, runtime: Runtime): Promise<Response> {
  const svc = oauthServiceContext(req, runtime);
  return answerOAuth(svc, async () => {
    await throttleOAuth(runtime, svc.client, "oauth.token");
    const params = await readForm(req, null);
    const grantType = required(params, "grant_type");
    // A password-grant request (with its username and password) is told the grant is unsupported,
    // not that `username` is an unknown parameter.
    if (!SUPPORTED.has(grantType as OAuthGrantType)) {
      throw new OAuthError(
        "unsupported_grant_type",
        "Supported: authorization_code, refresh_token, client_credentials",
      );
    }
    refuseUnknown(params, TOKEN_PARAMS);
    const { client } = authenticateClient(svc, req.headers, params, { allowPublic: true, endpoint: "token" });
    if (!client.grantTypes.includes(grantType as OAuthGrantType)) {
      throw new OAuthError("unauthorized_client", `This client may not use ${grantType}`);
    }
    let issue: TokenIssue;
    if (grantType === "authorization_code") {
      issue = redeemAuthorizationCode(svc, client, {
        code: required(params, "code"),
        redirectUri: params.get("redirect_uri"),
        codeVerifier: params.get("code_verifier"),
      });
    } else if (grantType === "refresh_token") {
      issue = refreshAccessToken(svc, client, {
        refreshToken: required(params, "refresh_token"),
        scopes: parseScopeParam(params.get("scope")),
      });
    } else {
      if (client.type !== "confidential") {
        throw new OAuthError("unauthorized_client", "client_credentials is for confidential clients only");
      }
      issue = issueClientCredentials(svc, client, parseScopeParam(params.get("scope")));
    }
    const accessToken = await signAccessToken(signingKeysFor(runtime), issue.claims);
    return oauthJson({
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: issue.expiresIn,
      scope: issue.scope,
      ...(issue.refreshToken ? { refresh_token: issue.refreshToken } : {}),
    });
  });
}
