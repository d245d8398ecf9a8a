/**
 * Headers every API response carries, whichever door it came through and
 * whether it succeeded or not. The API never renders HTML, so its CSP forbids
 * everything, and its answers are personal: never cached.
 */
export function applyApiHeaders(headers: Headers, requestId: string): void {
  headers.set("x-request-id", requestId);
  headers.set("cache-control", "no-store");
  headers.set("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
  headers.set("x-content-type-options", "nosniff");
  headers.set("x-frame-options", "DENY");
  headers.set("referrer-policy", "no-referrer");
  headers.set("cross-origin-resource-policy", "same-origin");
  headers.delete("x-powered-by");
}

export function withApiHeaders(res: Response, requestId: string): Response {
  const headers = new Headers(res.headers);
  applyApiHeaders(headers, requestId);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
