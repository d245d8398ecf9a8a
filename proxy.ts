import { type NextRequest, NextResponse } from "next/server";
import { adminPageVerdict, isAdminPagePath } from "@/server/auth/admin-page-gate";
import { ENROL_PAGE } from "@/server/auth/second-factor-gate";
import { getConfig } from "@/server/config";
import { withApiHeaders } from "@/server/http/api-headers";
import { problem, problemResponse } from "@/server/http/problem";
import { newId } from "@/server/ids";
import { parseTrustedProxies, resolveClient, type TrustedProxies } from "@/server/security/client-ip";
import { varyOnOrigin } from "@/server/security/cors";
import {
  API_CSP,
  applyBaseSecurityHeaders,
  applyHsts,
  applyPageHeaders,
  newNonce,
  pageCsp,
} from "@/server/security/headers";
import { HTTPS_REQUIRED_DETAIL, httpsVerdict, isApiPath, isPlainHttpProbe } from "@/server/security/https";
import { safeReturnTo } from "@/server/security/return-to";

/**
 * Next.js 16 proxy (formerly middleware): HTTPS enforcement and security
 * headers for everything Next serves except the two API doors, /api/trpc and
 * /api/v1, which apply the same rules themselves in server/http/api-guard.ts
 * (so they stay servable without Next, and do not pay for this step twice).
 *
 * - Pages get a fresh nonce per response in a strict CSP. Next.js reads the
 *   nonce from the request's Content-Security-Policy header and puts it on
 *   every script it renders (the root layout makes every page dynamic, so
 *   none is served prerendered without it).
 * - Other /api routes (NextAuth, health, the OpenAPI document, the API
 *   reference) get the API headers; /api/docs sets its own CSP (Swagger UI),
 *   so only the common headers are added there.
 * - Static assets get the common headers.
 *
 * Headers set here win over a route's own (Next keeps the first value), so
 * this only sets what a route must not loosen.
 */

type Transport = { secure: boolean; appUrl: URL; trusted: TrustedProxies };
let transport: Transport | undefined;

function transportSettings(): Transport {
  if (!transport) {
    const config = getConfig();
    transport = { secure: config.secure, appUrl: config.appUrl, trusted: parseTrustedProxies(config.trustedProxies) };
  }
  return transport;
}

const dev = process.env.NODE_ENV === "development";

type Kind = "page" | "api" | "api-docs" | "asset";

function kindOf(pathname: string): Kind {
  if (pathname === "/api/docs" || pathname.startsWith("/api/docs/")) return "api-docs";
  if (isApiPath(pathname)) return "api";
  if (pathname.startsWith("/_next/static/") || pathname.startsWith("/_next/image") || pathname === "/favicon.ico") {
    return "asset";
  }
  return "page";
}

export async function proxy(request: NextRequest): Promise<Response> {
  const { pathname, search } = request.nextUrl;
  const kind = kindOf(pathname);
  const { secure, appUrl, trusted } = transportSettings();
  // https from the socket, or X-Forwarded-Proto only from a TRUSTED_PROXIES peer (client-ip.ts).
  const { https } = resolveClient(request.headers, trusted);
  const verdict = httpsVerdict({
    secure: secure && !isPlainHttpProbe(pathname, request.method),
    https,
    method: request.method,
    api: kind === "api" || kind === "api-docs",
    pathAndQuery: pathname + search,
    appUrl,
  });

  if (verdict.action === "redirect") {
    const res = new NextResponse(null, { status: 308, headers: { location: verdict.location } });
    applyBaseSecurityHeaders(res.headers);
    return res;
  }
  if (verdict.action === "refuse") {
    const requestId = newId("request");
    return withApiHeaders(
      problemResponse(problem(403, HTTPS_REQUIRED_DETAIL, { reason: "https_required", requestId })),
      requestId,
    );
  }

  if (kind === "page") {
    const nonce = newNonce();
    const requestHeaders = new Headers(request.headers);
    const csp = { dev, formRedirects: pathname === "/oauth/consent", https };
    requestHeaders.set("content-security-policy", pageCsp(nonce, csp));
    requestHeaders.set("x-nonce", nonce);
    const res =
      (await guardAdminPages(request, requestHeaders, appUrl)) ??
      NextResponse.next({ request: { headers: requestHeaders } });
    applyPageHeaders(res.headers, nonce, csp);
    applyHsts(res.headers, https);
    return res;
  }

  const res = NextResponse.next();
  applyBaseSecurityHeaders(res.headers);
  if (kind === "api") {
    res.headers.set("content-security-policy", API_CSP);
    res.headers.set("cache-control", "no-store");
    res.headers.set("referrer-policy", "no-referrer");
    varyOnOrigin(res.headers);
  }
  applyHsts(res.headers, https);
  return res;
}

/** A path no route has: rewriting to it renders the app's own 404 page (status 404). */
const NOT_FOUND_PATH = "/_gatehouse/not-found";

/**
 * The admin pages, before Next.js routes the request (server/auth/admin-page-gate.ts
 * says why a layout cannot be the guard): a non-admin gets no admin layout,
 * page or payload for any request kind. Without a live session (none,
 * expired, ended) a GET or HEAD is sent to sign in (303) with this page as its
 * return-to, as every other page does; Next.js hands the proxy its RSC GETs
 * without their flight headers, so a client-router navigation is redirected
 * too and follows the redirect to the sign-in page, as after a server
 * redirect(). A signed-in member's document request gets the app's 404 page.
 * Anything else (a server action's POST, a request still marked as RSC) gets
 * a plain 404, which no router reads as a payload. An admin who must change a
 * one-time password is sent to do that first. Null: an admin, or not an admin
 * path.
 */
async function guardAdminPages(request: NextRequest, requestHeaders: Headers, appUrl: URL): Promise<Response | null> {
  const { pathname, search } = request.nextUrl;
  if (!isAdminPagePath(pathname)) return null;
  const verdict = await adminPageVerdict(request.headers);
  if (verdict === "admin") return null;
  if (verdict === "change-password") {
    const back = encodeURIComponent(pathname + search);
    return NextResponse.redirect(new URL(`/change-password?callbackUrl=${back}`, appUrl.origin), 303);
  }
  // ADMIN_2FA=required and no second factor yet: enrol one on the account page first.
  if (verdict === "enrol-second-factor") return NextResponse.redirect(new URL(ENROL_PAGE, appUrl.origin), 303);
  const h = request.headers;
  const document =
    (request.method === "GET" || request.method === "HEAD") &&
    !h.has("rsc") &&
    !h.has("next-action") &&
    !h.has("next-router-prefetch") &&
    !h.has("next-router-state-tree") &&
    !h.has("next-router-segment-prefetch") &&
    !request.nextUrl.searchParams.has("_rsc");
  if (document && verdict === "sign-in") {
    // The same return-to rule as every target of ours (a path like //admin falls back to /).
    const back = encodeURIComponent(safeReturnTo(pathname + search, appUrl));
    const res = NextResponse.redirect(new URL(`/signin?callbackUrl=${back}`, appUrl.origin), 303);
    res.headers.set("cache-control", "no-store");
    return res;
  }
  if (document) {
    return NextResponse.rewrite(new URL(NOT_FOUND_PATH, request.url), { request: { headers: requestHeaders } });
  }
  return new NextResponse(request.method === "HEAD" ? null : "Not found\n", {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

export const config = {
  // Everything but the API doors, which guard themselves (server/http/api-guard.ts): tRPC, REST and the
  // OAuth endpoints that machines call. The authorize endpoint and the consent page are pages.
  matcher: [
    "/((?!api/trpc/|api/v1/|oauth/token|oauth/introspect|oauth/revoke|oauth/jwks|\\.well-known/oauth-authorization-server).*)",
  ],
};
