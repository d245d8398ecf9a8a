/**
 * HTTPS enforcement. Applies only when APP_URL is https (config.secure):
 * in development (http://localhost) nothing here blocks anyone.
 *
 * Whether a request arrived over https is `resolveClient(...).https`
 * (server/security/client-ip.ts): the socket's own TLS state, or
 * `X-Forwarded-Proto` only when the direct peer is in TRUSTED_PROXIES. A
 * client that sends `X-Forwarded-Proto: https` itself changes nothing.
 *
 * - A page (GET/HEAD) over plain HTTP is redirected with 308 to the same
 *   path and query on APP_URL's origin — never to the request's Host, which
 *   the client chose (no open redirect).
 * - Anything else over plain HTTP — every /api/* call, a page POST — is
 *   refused with 403 and not processed: redirecting an API call would come
 *   too late, its credential has already crossed the network in clear.
 */
export type HttpsVerdict = { action: "pass" } | { action: "redirect"; location: string } | { action: "refuse" };

export interface HttpsInput {
  /** config.secure: APP_URL is https. */
  secure: boolean;
  /** This request arrived over https (directly or through a trusted proxy). */
  https: boolean;
  method: string;
  /** /api/* and the OAuth endpoints: refused, never redirected. */
  api: boolean;
  /** Path and query of the request, e.g. `/contacts?x=1`. */
  pathAndQuery: string;
  appUrl: URL;
}

export function httpsVerdict(input: HttpsInput): HttpsVerdict {
  if (!input.secure || input.https) return { action: "pass" };
  const readOnly = input.method === "GET" || input.method === "HEAD";
  if (input.api || !readOnly) return { action: "refuse" };
  return { action: "redirect", location: httpsLocation(input.appUrl, input.pathAndQuery) };
}

/** APP_URL's origin with the request's path and query; a path that does not start with one `/` becomes `/`. */
export function httpsLocation(appUrl: URL, pathAndQuery: string): string {
  const safe = pathAndQuery.startsWith("/") && !pathAndQuery.startsWith("//") ? pathAndQuery : "/";
  return `${appUrl.origin}${safe}`;
}

/**
 * Paths that belong to the API (refused over plain HTTP rather than
 * redirected). The OAuth token, introspection and revocation endpoints are
 * POST-only, so they are refused anyway; the authorize page is a page.
 */
export function isApiPath(pathname: string): boolean {
  return pathname === "/api" || pathname.startsWith("/api/");
}

/**
 * Liveness and readiness probes answer over plain HTTP too: a load balancer
 * or an orchestrator probes the app's own port directly, the answers carry
 * no credential and no personal data, and refusing them would only take a
 * healthy instance out of service. Read-only methods only.
 */
export function isPlainHttpProbe(pathname: string, method: string): boolean {
  return (pathname === "/api/health" || pathname === "/api/ready") && (method === "GET" || method === "HEAD");
}

export const HTTPS_REQUIRED_DETAIL = "This API is only served over HTTPS; the request was not processed";
