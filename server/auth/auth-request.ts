import { AsyncLocalStorage } from "node:async_hooks";
import { requestIdOf } from "../context";
import { editHeaders, labelJsonCharset } from "../http/api-headers";
import type { TrustedProxies } from "../security/client-ip";
import { resolveClient } from "../security/client-ip";
import type { ClientInfo } from "./principal";

/**
 * The request NextAuth is answering, for the code NextAuth calls without it.
 * Its `events.signOut` gets only the token, yet the `session.logout` audit
 * entry must say from where (IP, user agent, request id) like every other
 * entry. The NextAuth handlers (server/auth/nextauth.ts) run inside a slot of
 * this AsyncLocalStorage holding the request, and the event reads it back.
 */
const requests = new AsyncLocalStorage<Request>();

/** Runs one NextAuth handler with its request in reach; its JSON answers name their charset (as the API's do). */
export async function answerAuthRequest<R extends Request>(
  req: R,
  handle: (req: R) => Promise<Response>,
): Promise<Response> {
  const res = await requests.run(req, () => handle(req));
  return editHeaders(res, labelJsonCharset);
}

/**
 * Who is calling, from a request's headers: the IP through trusted proxies
 * only (server/security/client-ip.ts), the user agent cut to its column's
 * size, and the request id the front stamped (server/context.ts).
 */
export function clientOfRequest(req: Request, trusted: TrustedProxies): ClientInfo {
  return {
    ip: resolveClient(req.headers, trusted).ip,
    userAgent: req.headers.get("user-agent")?.slice(0, 512) ?? null,
    requestId: requestIdOf(req.headers),
  };
}

/** The client of the NextAuth request being answered; null outside one (then no request facts exist). */
export function currentAuthClient(trusted: TrustedProxies): ClientInfo | null {
  const req = requests.getStore();
  return req ? clientOfRequest(req, trusted) : null;
}

/**
 * A redirect that answers a POST is a 303 See Other: the browser then GETs
 * the new address and never re-sends the form (RFC 9110 §15.4.4). Auth.js
 * answers its form POSTs (the credentials sign-in, sign-out) with 302, which
 * browsers happen to treat the same way but the standard does not promise;
 * 307 and 308 would re-send the password. This rewrites the status only:
 * the Location, the session cookie and every other header stay as they were.
 */
export function seeOtherAfterPost(res: Response): Response {
  if (res.status !== 301 && res.status !== 302 && res.status !== 307 && res.status !== 308) return res;
  if (!res.headers.has("location")) return res;
  return new Response(res.body, { status: 303, statusText: "See Other", headers: res.headers });
}
