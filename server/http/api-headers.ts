import { API_CSP, applyBaseSecurityHeaders } from "../security/headers";

/**
 * Headers every API response carries, whichever door it came through and
 * whether it succeeded or not. The API never renders HTML, so its CSP forbids
 * everything, and its answers are personal: never cached.
 */
export function applyApiHeaders(headers: Headers, requestId: string): void {
  headers.set("x-request-id", requestId);
  labelJsonCharset(headers);
  headers.set("cache-control", "no-store");
  // nosniff, DENY framing, Permissions-Policy, COOP/CORP: the same on every response (security/headers.ts).
  applyBaseSecurityHeaders(headers);
  headers.set("content-security-policy", API_CSP);
  headers.set("referrer-policy", "no-referrer");
}

/** The media type of every JSON answer of the API, whoever wrote the body. */
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/**
 * `application/json` with its charset said out loud. JSON is UTF-8 by
 * definition (RFC 8259 §8.1), but a client or scanner that sniffs a charset
 * from a bare `application/json` may guess another; so every JSON answer of
 * the API names it, including those written by libraries (the tRPC fetch
 * adapter, trpc-to-openapi) that set the bare type. `application/problem+json`
 * (RFC 9457) and other `+json` types are left as they are: their
 * registrations define no charset parameter and they are UTF-8 by the same rule.
 */
export function labelJsonCharset(headers: Headers): void {
  const type = headers.get("content-type");
  if (
    type !== null &&
    type.split(";", 1)[0]?.trim().toLowerCase() === "application/json" &&
    !/;\s*charset=/i.test(type)
  ) {
    headers.set("content-type", JSON_CONTENT_TYPE);
  }
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
