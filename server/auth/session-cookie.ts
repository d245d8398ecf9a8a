import { decode } from "next-auth/jwt";

/**
 * The session cookie is a NextAuth JWT whose only claim of interest is `sid`,
 * the id of a row in `sessions`; the row, not the cookie, decides whether the
 * session is alive. On https the name carries the `__Host-` prefix, so the
 * browser only accepts it as Secure, host-only and Path=/.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-gatehouse.session" : "gatehouse.session";
}

export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Cookies this process decoded lately, by their exact text, with the `sid`
 * and expiry they carried: the same browser sends the same cookie on every
 * call, and decoding it (a key derivation and an authenticated decryption)
 * was the largest cost of a session call. Only cookies that decoded are
 * kept, each only until its own `exp`, and per secret and cookie name, so a
 * changed AUTH_SECRET opens nothing from before. The cookie only names the
 * session: the row is still read on every call, so revoking a session, or
 * signing out, counts on the very next request as before.
 */
const DECODED_KEPT = 10_000;
const decoded = new Map<string, { sid: string; expiresAt: number }>();

export async function readSessionId(headers: Headers, secret: string, secure: boolean): Promise<string | null> {
  const name = sessionCookieName(secure);
  const raw = readCookie(headers.get("cookie"), name);
  if (!raw || raw.length > 4096) return null;
  const key = `${name}\u0000${secret}\u0000${raw}`;
  const known = decoded.get(key);
  if (known) {
    if (known.expiresAt > Date.now()) return known.sid;
    decoded.delete(key);
  }
  try {
    const payload = await decode({ token: raw, secret, salt: name });
    if (typeof payload?.sid !== "string") return null;
    if (typeof payload.exp === "number") {
      decoded.set(key, { sid: payload.sid, expiresAt: payload.exp * 1000 });
      if (decoded.size > DECODED_KEPT) decoded.delete(decoded.keys().next().value as string);
    }
    return payload.sid;
  } catch {
    return null; // tampered, expired or signed with another secret
  }
}
