/**
 * Cookie-authenticated state changes must come from our own pages. Browsers
 * send `Origin` on every cross-origin and every POST request, so a request
 * whose Origin (or, when a privacy setting stripped it, Referer) is not our
 * own origin did not come from our pages. Neither header: refused (fail
 * closed); non-browser clients use bearer credentials, not cookies.
 */
export function isSameOriginRequest(
  headers: Headers,
  appOrigin: string,
  extraOrigins: readonly string[] = [],
): boolean {
  const allowed = (origin: string) => origin === appOrigin || extraOrigins.includes(origin);
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
