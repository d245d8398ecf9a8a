import { PENDING_SIGN_IN_MS } from "../services/second-factors-pending";
import { readCookie } from "./session-cookie";

/**
 * The cookie that carries a pending sign-in's handle between the password
 * and the second factor (server/auth/sign-in.ts). HttpOnly: page script never
 * sees it. SameSite=Strict: no other site can make the browser send it. On
 * https the `__Host-` prefix makes the browser hold it to Secure, host-only
 * and Path=/. It lives as long as the pending row (five minutes).
 */
export function pendingSignInCookieName(secure: boolean): string {
  return secure ? "__Host-gatehouse.pending-sign-in" : "gatehouse.pending-sign-in";
}

export function readPendingSignInHandle(headers: Headers, secure: boolean): string | null {
  return readCookie(headers.get("cookie"), pendingSignInCookieName(secure));
}

function attributes(secure: boolean, maxAgeSeconds: number): string {
  return `Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

export function setPendingSignInCookie(handle: string, secure: boolean): string {
  return `${pendingSignInCookieName(secure)}=${handle}; ${attributes(secure, Math.floor(PENDING_SIGN_IN_MS / 1000))}`;
}

export function clearPendingSignInCookie(secure: boolean): string {
  return `${pendingSignInCookieName(secure)}=; ${attributes(secure, 0)}`;
}
