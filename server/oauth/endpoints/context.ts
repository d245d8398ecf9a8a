import { decryptionErrorOf, noteSealedValueAudit } from "../../audit/sealed-failures";
import type { ClientInfo } from "../../auth/principal";
import { requestIdOf } from "../../context";
import { appErrorOf } from "../../errors";
import { getLogger } from "../../logger";
import type { Runtime } from "../../runtime";
import { resolveClient } from "../../security/client-ip";
import { ANONYMOUS_ACTOR } from "../../services/audit";
import type { OAuthServiceContext } from "../../services/oauth-tokens";
import { audienceOf, issuerOf } from "../access-token";
import { OAuthError, oauthErrorResponse, oauthRetryLater } from "../errors";

/** What every OAuth endpoint derives from the request: who is calling from where, and our issuer. */
export function oauthServiceContext(req: Request, runtime: Runtime): OAuthServiceContext {
  const resolved = resolveClient(req.headers, runtime.trustedProxies);
  const client: ClientInfo = {
    ip: resolved.ip,
    userAgent: req.headers.get("user-agent")?.slice(0, 512) ?? null,
    requestId: requestIdOf(req.headers),
  };
  return {
    db: runtime.db,
    clock: runtime.clock,
    actor: ANONYMOUS_ACTOR,
    client,
    keyring: runtime.keyring,
    issuer: issuerOf(runtime.config),
    audience: audienceOf(runtime.config),
  };
}

/**
 * Protocol errors become RFC 6749 §5.2 JSON; a storage failure or a rate
 * limit (the one mapping, appErrorOf) `temporarily_unavailable` with 503/429
 * and Retry-After; anything else is logged and a bare `server_error`.
 */
export async function answerOAuth(
  /** The request id, or the endpoint's service context: then a signing key that does not open is audited too. */
  who: string | Pick<OAuthServiceContext, "db" | "clock" | "client">,
  work: () => Promise<Response>,
): Promise<Response> {
  const requestId = typeof who === "string" ? who : who.client.requestId;
  const svc = typeof who === "string" ? null : who;
  try {
    return await work();
  } catch (error) {
    if (error instanceof OAuthError) return oauthErrorResponse(error);
    const sealed = decryptionErrorOf(error);
    if (sealed) {
      // The signing key did not open (logged and counted where it was opened): audited here; say so, never a bare error.
      if (svc) await noteSealedValueAudit({ ...svc, principal: null }, "oauth", sealed);
      return oauthErrorResponse(
        new OAuthError(
          "server_error",
          "A stored signing key failed authentication (sealed_value_failed_authentication); no token was issued",
          500,
        ),
      );
    }
    const app = appErrorOf(error);
    const later = app && oauthRetryLater(app);
    if (later) {
      getLogger().error(
        { requestId, err: { name: (error as Error)?.name, code: (error as { code?: unknown })?.code } },
        "OAuth endpoint unavailable",
      );
      return oauthErrorResponse(later);
    }
    getLogger().error(
      { requestId, err: { name: (error as Error)?.name, message: (error as Error)?.message } },
      "OAuth endpoint failed",
    );
    return oauthErrorResponse(new OAuthError("server_error", "Internal error", 500));
  }
}
