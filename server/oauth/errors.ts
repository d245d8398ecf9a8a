import { type AppError, retryAfterOf } from "../errors";

/**
 * OAuth protocol errors (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 6750 §3.1): a
 * JSON body with `error` and a human `error_description`, never a stack or
 * an input echoed back at length.
 */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "invalid_target"
  | "unsupported_token_type"
  | "server_error"
  | "temporarily_unavailable";

export class OAuthError extends Error {
  override name = "OAuthError";
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

/**
 * The OAuth answer of an application error that says "retry later" (a rate
 * limit, a limiter store or the database unavailable): RFC 6749 has no code
 * for either, `temporarily_unavailable` is the closest; the status (429 or
 * 503) and `Retry-After` say the rest. Null for any other error.
 */
export function oauthRetryLater(app: AppError): OAuthError | null {
  if (app.code !== "TOO_MANY_REQUESTS" && app.code !== "SERVICE_UNAVAILABLE") return null;
  return new OAuthError("temporarily_unavailable", app.message, app.code === "TOO_MANY_REQUESTS" ? 429 : 503, {
    "retry-after": String(retryAfterOf(app) ?? 5),
  });
}

/** A failed client authentication: 401 with `WWW-Authenticate: Basic` (RFC 6749 §5.2). */
export function invalidClient(description = "Client authentication failed"): OAuthError {
  return new OAuthError("invalid_client", description, 401, {
    "www-authenticate": 'Basic realm="gatehouse", charset="UTF-8"',
  });
}

/** Token-endpoint answers must never be cached (RFC 6749 §5.1). */
export const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const;

export function oauthJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...NO_STORE, ...headers },
  });
}

export function oauthErrorResponse(error: OAuthError): Response {
  return oauthJson({ error: error.error, error_description: error.description }, error.status, error.headers);
}
