import { API_CSP, applyBaseSecurityHeaders } from "../security/headers";

/**
 * Headers every API response carries, whichever door it came through and
 * whether it succeeded or not. The API never renders HTML, so its CSP forbids
 * everything, and its answers are personal: never cached.
 */
export function applyApiHeaders(headers: Headers, requestId: string): void {
  headers.set("x-request-id", requestId);
  headers.set("cache-control", "no-store");
  // nosniff, DENY framing, Permissions-Policy, COOP/CORP: the same on every response (security/headers.ts).
  applyBaseSecurityHeaders(headers);
  headers.set("content-security-policy", API_CSP);
  headers.set("referrer-policy", "no-referrer");
}

export function withApiHeaders(res: Response, requestId: string): Response {
  return editHeaders(res, (headers) => applyApiHeaders(headers, requestId));
}

/**
 * Changes a response's headers in place: every response on the API path is
 * made by our own code with `new Response`, whose headers are mutable, so
 * nothing needs copying. A response with immutable headers (Response.redirect,
 * a fetched one) is copied once instead.
 */
export function editHeaders(res: Response, edit: (headers: Headers) => void): Response {
  try {
    edit(res.headers);
    return res;
  } catch {
    const headers = new Headers(res.headers);
    edit(headers);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}
