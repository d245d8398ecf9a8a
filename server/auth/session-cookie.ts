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

export async function readSessionId(headers: Headers, secret: string, secure: boolean): Promise<string | null> {
  const name = sessionCookieName(secure);
  const raw = readCookie(headers.get("cookie"), name);
  if (!raw || raw.length > 4096) return null;
  try {
    const payload = await decode({ token: raw, secret, salt: name });
    return typeof payload?.sid === "string" ? payload.sid : null;
  } catch {
    return null; // tampered, expired or signed with another secret
  }
}
