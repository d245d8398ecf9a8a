import { randomBytes } from "node:crypto";

/**
 * The browser-facing security headers, in one place for every kind of
 * response: pages (through proxy.ts), the API doors (server/http/api-guard.ts
 * and api-headers.ts) and the other /api routes (proxy.ts again).
 */

/** Two years, subdomains included: sent only on https answers (a browser ignores it on http anyway, and it must not be spoofable into an http answer). */
export const HSTS = "max-age=63072000; includeSubDomains";

/** Powerful features nobody here needs: denied to this page and to anything it might embed. */
export const PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()";

/** For answers that are never HTML to render (JSON, problem+json, redirects of the API). */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Headers every response carries, whatever it is. */
export const BASE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "permissions-policy": PERMISSIONS_POLICY,
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const BASE_SECURITY_ENTRIES = Object.entries(BASE_SECURITY_HEADERS);

export function applyBaseSecurityHeaders(headers: Headers): void {
  for (const [name, value] of BASE_SECURITY_ENTRIES) headers.set(name, value);
  headers.delete("x-powered-by");
}

/** HSTS on https answers only; judged from the connection or a trusted proxy (server/security/client-ip.ts). */
export function applyHsts(headers: Headers, https: boolean): void {
  if (https) headers.set("strict-transport-security", HSTS);
  else headers.delete("strict-transport-security");
}

/** A fresh CSP nonce: 144 random bits, base64 (the CSP grammar allows base64 and base64url). */
export function newNonce(): string {
  return randomBytes(18).toString("base64");
}

export interface CspOptions {
  dev: boolean;
  /** The consent page: its form may be redirected to a client's redirect URI. */
  formRedirects?: boolean;
  /** The page is served over https (judged from the connection or a trusted proxy): adds `upgrade-insecure-requests`. */
  https?: boolean;
}

/**
 * The pages' Content-Security-Policy. Scripts run only from our origin and
 * only when they carry this response's nonce (Next.js puts it on every
 * script it renders, reading it from the request's CSP header); scripts
 * those load are trusted through 'strict-dynamic'. No 'unsafe-inline' and
 * no 'unsafe-eval' in production.
 *
 * Development only (`next dev`): React rebuilds server error stacks with
 * eval, so 'unsafe-eval' is added, and the dev overlay injects styles
 * without a nonce, so styles get 'unsafe-inline' instead of the nonce (a
 * nonce would make browsers ignore 'unsafe-inline').
 */
export function pageCsp(nonce: string, opts: CspOptions): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ""}`,
    opts.dev ? "style-src 'self' 'unsafe-inline'" : `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    opts.formRedirects ? `form-action 'self' ${CONSENT_FORM_REDIRECTS}` : "form-action 'self'",
    "frame-ancestors 'none'",
    // Served over https: any http:// subresource or form target a page may still name is fetched over https.
    ...(opts.https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

/**
 * The OAuth consent form posts to our own /oauth/authorize, which answers
 * with a redirect to the client's redirect URI — and browsers check
 * `form-action` against every hop of a form submission's redirects. The
 * consent page (and only it) therefore also allows what a redirect URI may
 * be (server/oauth/redirect-uri.ts): any https origin, or http on
 * 127.0.0.1. The URI itself is never taken from the page: the server redirects to
 * the one registered and bound to the pending request.
 */
const CONSENT_FORM_REDIRECTS = "https: http://127.0.0.1:*";

/** Pages: the base headers, the nonce CSP, and a referrer that does not leak paths to other sites. */
export function applyPageHeaders(headers: Headers, nonce: string, opts: CspOptions): void {
  applyBaseSecurityHeaders(headers);
  headers.set("content-security-policy", pageCsp(nonce, opts));
  headers.set("referrer-policy", "strict-origin-when-cross-origin");
}
