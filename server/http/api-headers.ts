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
  const headers = new Headers(res.headers);
  applyApiHeaders(headers, requestId);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
