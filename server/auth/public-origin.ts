import { NextRequest } from "next/server";

/**
 * NextAuth builds every URL it answers with — redirects, the callback-URL
 * cookie, the URLs in its JSON — from the request's URL. Behind our front,
 * Next.js makes that URL from the host and port it listens on and a
 * forwarded scheme (https://localhost:<internal port>/…), and a client can
 * send Host and X-Forwarded-* of its choosing. The public address is
 * APP_URL, always: NextAuth is handed the request re-addressed to APP_URL's
 * origin (same path, query, method, headers and body), which is what
 * next-auth itself does for AUTH_URL, here from our validated configuration.
 */
export function atPublicOrigin(req: NextRequest, appUrl: URL): NextRequest {
  const { pathname, search } = req.nextUrl;
  const url = new URL(`${pathname}${search}`, appUrl.origin);
  if (url.href === req.url) return req;
  return new NextRequest(url, req);
}
