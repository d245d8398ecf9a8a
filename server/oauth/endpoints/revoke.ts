import { decodeJwt } from "jose";
import type { Runtime } from "../../runtime";
import { revokeClientToken } from "../../services/oauth-tokens";
import { looksLikeJwt } from "../access-token";
import { authenticateClient } from "../client-auth";
import { REFRESH_TOKEN_PREFIX } from "../credentials";
import { OAuthError } from "../errors";
import { readForm, required } from "../form";
import { throttleOAuth } from "../throttle";
import { answerOAuth, oauthServiceContext } from "./context";

/**
 * POST /oauth/revoke (RFC 7009). The client revokes one of its own tokens:
 * a refresh token ends its whole grant (every access token issued from it),
 * an access token ends itself. Unknown tokens and other clients' tokens get
 * the same 200 and are left untouched. Public clients may revoke with their
 * client_id (§2.1).
 */
export async function handleRevocation(req: Request, runtime: Runtime): Promise<Response> {
  const svc = oauthServiceContext(req, runtime);
  return answerOAuth(svc.client.requestId, async () => {
    await throttleOAuth(runtime, svc.client, "oauth.revoke");
    const params = await readForm(req);
    const { client } = await authenticateClient(svc, req.headers, params, { allowPublic: true, endpoint: "revoke" });
    const token = required(params, "token");
    const hint = params.get("token_type_hint");
    if (hint !== undefined && hint !== "access_token" && hint !== "refresh_token") {
      throw new OAuthError("unsupported_token_type", "token_type_hint is access_token or refresh_token");
    }
    if (token.startsWith(REFRESH_TOKEN_PREFIX)) {
      await revokeClientToken(svc, client, { kind: "refresh", value: token });
    } else if (looksLikeJwt(token)) {
      // The jti row decides whose token it is: no signature check needed to revoke (a forged jti matches nothing).
      let jti: unknown;
      try {
        jti = decodeJwt(token).jti;
      } catch {
        jti = undefined;
      }
      if (typeof jti === "string" && jti.length <= 64) await revokeClientToken(svc, client, { kind: "access", jti });
    }
    return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
  });
}
