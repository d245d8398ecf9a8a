import { TOKEN_LIKE } from "./api-token";

/**
 * Reading `Authorization` and refusing credentials where they must not be.
 * Pure string work: nothing here touches the database, so a hostile header
 * costs us a regex and is answered without a query or a write.
 *
 * What each shape means (RFC 6750, RFC 7235):
 * - no header: no credential (401 without an `error` attribute);
 * - another scheme (`Basic …`, `Token …`): "an unsupported authentication
 *   method", which RFC 6750 §3 says to answer like no credential at all. On
 *   tRPC it is ignored and the session cookie still counts (a reverse proxy
 *   with HTTP Basic in front of the dashboard sends one on every request);
 * - a malformed header — empty, over 4 KB, several values joined by a comma
 *   (two `Authorization` fields), a Bearer credential with spaces or other
 *   characters outside RFC 6750's b64token — is `invalid_request`, which
 *   RFC 6750 §3.1 answers with 400;
 * - a well-formed Bearer credential: resolved by the context step, and if it
 *   is not a live token, `invalid_token` (401).
 */
export const MAX_AUTHORIZATION_LENGTH = 4096;

export type AuthorizationHeader =
  | { kind: "none" }
  | { kind: "other-scheme" }
  | { kind: "bearer"; credential: string }
  | { kind: "malformed"; detail: string };

/** RFC 7235 auth-scheme is a token; RFC 6750 b64token is the Bearer credential. */
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/;
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function parseAuthorization(value: string | null): AuthorizationHeader {
  if (value === null) return { kind: "none" };
  if (value.length > MAX_AUTHORIZATION_LENGTH) {
    return { kind: "malformed", detail: `The Authorization header is longer than ${MAX_AUTHORIZATION_LENGTH} bytes` };
  }
  // A comma never appears in one credential we accept: it is how a client
  // library joins two Authorization fields, i.e. two methods at once.
  if (value.includes(",")) return { kind: "malformed", detail: "Send exactly one Authorization header" };
  const match = CREDENTIALS.exec(value);
  if (!match) return { kind: "malformed", detail: "The Authorization header is not `<scheme> <credential>`" };
  if ((match[1] as string).toLowerCase() !== "bearer") return { kind: "other-scheme" };
  const credential = match[2];
  if (!credential || !B64TOKEN.test(credential)) {
    return { kind: "malformed", detail: "Send `Authorization: Bearer <token>` with one token and no spaces in it" };
  }
  return { kind: "bearer", credential };
}

/** Query parameters RFC 6750 §2.3 and common API-key conventions would carry a credential in. */
const CREDENTIAL_PARAMS = new Set(["access_token", "api_key", "apikey", "api-key"]);

/**
 * A credential in the URL ends up in proxy logs, browser history and Referer
 * headers, so it is never accepted; naming it a 400 tells the client why,
 * instead of a 401 that would send them looking at the token. Also caught:
 * anything that looks like a Gatehouse token in any parameter.
 */
export function credentialInQuery(url: URL): string | null {
  for (const [name, value] of url.searchParams) {
    if (CREDENTIAL_PARAMS.has(name.toLowerCase()) || TOKEN_LIKE.test(value)) {
      return "Credentials are never accepted in the URL; send `Authorization: Bearer <token>` (and revoke a token that was put in a URL)";
    }
  }
  return null;
}

/**
 * What the HTTP doors refuse before anything else runs (no body read, no
 * context, no query): a malformed Authorization header or a credential in the
 * query string. Null when the request may proceed.
 */
export function credentialPreflight(req: Request): string | null {
  const header = parseAuthorization(req.headers.get("authorization"));
  if (header.kind === "malformed") return header.detail;
  return credentialInQuery(new URL(req.url));
}
