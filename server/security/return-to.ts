/**
 * Where to send someone back to after signing in, signing out, changing a
 * password or answering a consent page: the one rule for every return-to
 * target (a `callbackUrl` query parameter, NextAuth's redirect callback).
 *
 * The value is parsed as a URL against APP_URL, the way a browser would
 * resolve it (WHATWG URL: tabs and line feeds dropped, `\` read as `/`,
 * `//host` taken as another host), and followed only when the result is on
 * APP_URL's origin. Anything else — another origin, a scheme-relative or
 * backslash trick, a value that does not parse, anything not a string — gives
 * "/". The answer is the parsed URL's own serialization (path, query,
 * fragment; percent-encoded, so no control character or raw space can reach a
 * Location header), always a path starting with exactly one "/".
 */
export const FALLBACK_RETURN_TO = "/";

/** Longer values are refused outright (no page of ours needs one; a header has limits). */
const MAX_RETURN_TO = 2048;

export function safeReturnTo(value: unknown, appUrl: URL): string {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_RETURN_TO) return FALLBACK_RETURN_TO;
  let url: URL;
  try {
    url = new URL(raw, appUrl.origin);
  } catch {
    return FALLBACK_RETURN_TO;
  }
  if (url.origin !== appUrl.origin || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return FALLBACK_RETURN_TO;
  }
  // A path that begins with "//" would itself read as another host once written without the origin.
  if (url.pathname.startsWith("//") || url.username !== "" || url.password !== "") return FALLBACK_RETURN_TO;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The same target as an absolute URL on APP_URL's origin (NextAuth's redirect callback wants one). */
export function safeReturnUrl(value: unknown, appUrl: URL): string {
  return `${appUrl.origin}${safeReturnTo(value, appUrl)}`;
}
