import { credentialPreflight } from "../auth/bearer";
import type { AppError } from "../errors";
import { withApiHeaders } from "./api-headers";
import { problem, problemResponse } from "./problem";

/**
 * The `WWW-Authenticate: Bearer` challenge (RFC 6750 §3), built in one place
 * for both doors:
 * - 401 without a usable credential: `Bearer realm="gatehouse"`, no error;
 * - 401 for a credential that is not a live token: `error="invalid_token"`;
 * - 400 for a malformed Authorization header or a credential in the URL:
 *   `error="invalid_request"` (RFC 6750 §3.1 says 400 for this error);
 * - 403 for a valid credential without the scope: `error="insufficient_scope"`
 *   and the `scope` the operation requires.
 */
const REALM = 'realm="gatehouse"';

type ChallengeError = "invalid_request" | "invalid_token" | "insufficient_scope";

export function bearerChallenge(error?: ChallengeError, scopes?: readonly string[]): string {
  let value = `Bearer ${REALM}`;
  if (error) value += `, error="${error}"`;
  if (error === "insufficient_scope" && scopes) value += `, scope="${scopes.join(" ")}"`;
  return value;
}

/** The challenge for an error response, or null when none belongs on it. */
export function challengeFor(status: number, app: AppError | undefined): string | null {
  const reason = app?.reason;
  if (status === 401) {
    return reason === "invalid_token" || reason === "invalid_request" ? bearerChallenge(reason) : bearerChallenge();
  }
  if (status === 403 && reason === "insufficient_scope") return bearerChallenge(reason, app?.data?.scopes ?? []);
  if (status === 400 && reason === "invalid_request") return bearerChallenge(reason);
  return null;
}

/**
 * First thing both doors do: refuse a malformed Authorization header or a
 * credential in the query string with a 400 problem, before the body is read,
 * the context is built or the database is touched.
 */
export function refuseMalformedCredentials(req: Request, requestId: string): Response | null {
  const detail = credentialPreflight(req);
  if (!detail) return null;
  const res = problemResponse(problem(400, detail, { reason: "invalid_request", requestId }), {
    "www-authenticate": bearerChallenge("invalid_request"),
  });
  return withApiHeaders(res, requestId);
}
