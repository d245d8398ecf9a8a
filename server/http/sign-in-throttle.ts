import { clearPendingSignInCookie, setPendingSignInCookie } from "../auth/pending-sign-in-cookie";
import { collectSignInRefusal, type PendingCookieChange } from "../auth/sign-in-outcome";
import { requestIdOf } from "../context";
import { STORAGE_RETRY_SECONDS } from "../errors";
import { STORE_DOWN_RETRY_SECONDS } from "../ratelimit/policies";
import { applyApiHeaders } from "./api-headers";
import { problem } from "./problem";

export const CREDENTIALS_CALLBACK_PATH = "/api/auth/callback/credentials";

/**
 * Wraps NextAuth's POST handler so that the password sign-in's brute-force
 * protection (server/auth/sign-in.ts) is answered the standard way:
 *
 * - locked out (account or IP): NextAuth's own wrong-password answer, byte
 *   for byte, but with status 429, `Retry-After` and `Cache-Control:
 *   no-store`. Nothing else differs, so a lockout reveals no more than a
 *   wrong password does (and an unknown email is locked just the same);
 * - rate-limit store unavailable (sign-in fails closed): 503 problem+json
 *   `rate_limit_unavailable` with a short `Retry-After`; the database
 *   unusable (a full disk …): the same with `storage_unavailable`. The body
 *   keeps NextAuth's `url` member, which next-auth/react's signIn() reads.
 *
 * Every other request, and every other outcome, is NextAuth's answer untouched.
 */
export async function throttleCredentialsCallback<R extends Request>(
  req: R,
  handle: (req: R) => Promise<Response>,
): Promise<Response> {
  const address = new URL(req.url);
  if (req.method !== "POST" || address.pathname !== CREDENTIALS_CALLBACK_PATH) return handle(req);
  // The route hands us the request re-addressed to APP_URL's origin (server/auth/public-origin.ts):
  // its scheme is APP_URL's, the same test as config.secure.
  const secure = address.protocol === "https:";
  const { value: answer, refusal, pending } = await collectSignInRefusal(() => handle(req));
  // The pending sign-in handle between the password and the second factor (server/auth/sign-in.ts).
  const res = pending ? withPendingCookie(answer, pending, secure) : answer;
  if (!refusal) return res;

  const headers = new Headers(res.headers);
  headers.set("cache-control", "no-store");
  if (refusal.kind === "locked") {
    headers.set("retry-after", String(refusal.retryAfterSeconds));
    return new Response(res.body, { status: 429, statusText: "Too Many Requests", headers });
  }

  const requestId = requestIdOf(req.headers);
  let url: unknown;
  try {
    url = ((await res.json()) as { url?: unknown }).url;
  } catch {
    url = undefined;
  }
  const database = refusal.dependency === "database";
  const retryAfterSeconds = database ? STORAGE_RETRY_SECONDS : STORE_DOWN_RETRY_SECONDS;
  const body = problem(503, "Sign-in is temporarily unavailable; retry shortly", {
    reason: database ? "storage_unavailable" : "rate_limit_unavailable",
    requestId,
    extra: { retryAfterSeconds, ...(typeof url === "string" ? { url } : {}) },
  });
  headers.delete("content-length");
  headers.delete("location");
  headers.set("content-type", "application/problem+json");
  headers.set("retry-after", String(retryAfterSeconds));
  applyApiHeaders(headers, requestId);
  return new Response(JSON.stringify(body), { status: 503, headers });
}

function withPendingCookie(res: Response, change: PendingCookieChange, secure: boolean): Response {
  const headers = new Headers(res.headers);
  headers.append(
    "set-cookie",
    "set" in change ? setPendingSignInCookie(change.set, secure) : clearPendingSignInCookie(secure),
  );
  headers.set("cache-control", "no-store");
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
