/**
 * Cookie-authenticated state changes must come from our own pages (or from
 * an origin an administrator allow-listed for credentials). Browsers send
 * `Origin` on every cross-origin and every POST request, so a request whose
 * Origin (or, when a privacy setting stripped it, Referer) is not trusted
 * did not come from our pages. Neither header: refused (fail closed);
 * non-browser clients use bearer credentials, not cookies.
 *
 * `extraOrigins` is a list or a predicate (the CORS allow-list lookup,
 * security/cors.ts isCredentialedOrigin, which only says yes to an exact
 * entry flagged for credentials — never to `*`).
 */
export async function isSameOriginRequest(
  headers: Headers,
  appOrigin: string,
  extraOrigins: readonly string[] | ((origin: string) => Promise<boolean>) = [],
): Promise<boolean> {
  const allowed = async (origin: string) =>
    origin === appOrigin || (typeof extraOrigins === "function" ? extraOrigins(origin) : extraOrigins.includes(origin));
  const origin = headers.get("origin");
  if (origin !== null) return allowed(origin);
  const referer = headers.get("referer");
  if (!referer) return false;
  try {
    return allowed(new URL(referer).origin);
  } catch {
    return false;
  }
}
