/**
 * Redirect URIs are registered as exact strings and matched as exact
 * strings (RFC 9700 §4.1.3): no prefix, no pattern, no port leeway. What
 * may be registered:
 *
 * - https URLs;
 * - http only on the IPv4 loopback address 127.0.0.1, for native apps
 *   (RFC 8252 §7.3). `localhost` is refused: RFC 8252 §8.3 advises against
 *   it because it can resolve to something else. `[::1]` is refused too:
 *   the consent page must allow the redirect in its CSP `form-action`, and
 *   CSP source expressions cannot name an IPv6 address (browsers drop the
 *   entry, and the consent form would be blocked);
 * - never with userinfo or a fragment (RFC 6749 §3.1.2), and only in the
 *   canonical form the URL parser gives back, so that "the same" URI cannot
 *   be written two ways (`..`, case in the host, a default port).
 */
export const MAX_REDIRECT_URI_LENGTH = 2000;
export const MAX_REDIRECT_URIS = 10;

export function redirectUriProblem(value: string): string | null {
  if (value.length > MAX_REDIRECT_URI_LENGTH) return `longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "not an absolute URL";
  }
  if (url.username || url.password) return "must not contain a user name or password";
  if (url.hash || value.includes("#")) return "must not contain a fragment";
  if (url.protocol === "http:") {
    if (url.hostname === "localhost") return "use http://127.0.0.1 rather than localhost (RFC 8252 §8.3)";
    if (url.hostname === "[::1]")
      return "use http://127.0.0.1 for a loopback redirect (CSP cannot allow an IPv6 address)";
    if (url.hostname !== "127.0.0.1") return "must be https (http only on a loopback address)";
  } else if (url.protocol !== "https:") {
    return "must be an https URL";
  }
  if (url.href !== value) return `must be written in canonical form: ${url.href.slice(0, 200)}`;
  return null;
}

/** The registered URI equal to `given`, character for character, or null. */
export function matchRedirectUri(registered: readonly string[], given: string): string | null {
  return registered.find((uri) => uri === given) ?? null;
}
