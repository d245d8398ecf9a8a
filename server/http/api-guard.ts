import { requestIdOf } from "../context";
import { getLogger } from "../logger";
import type { Runtime } from "../runtime";
import { resolveClient } from "../security/client-ip";
import {
  CORS_DOORS,
  type CorsDoor,
  type CorsGrant,
  corsGrantFor,
  corsPreflightHeaders,
  corsResponseHeaders,
  varyOnOrigin,
  varyOnPreflight,
} from "../security/cors";
import { applyHsts } from "../security/headers";
import { HTTPS_REQUIRED_DETAIL, httpsVerdict, isPlainHttpProbe } from "../security/https";
import { applyApiHeaders, editHeaders, withApiHeaders } from "./api-headers";
import { problem, problemResponse } from "./problem";

/**
 * The transport rules every API door applies around its handler, with a
 * standard Request and no Next.js (so the API stays servable without it):
 *
 * 1. HTTPS: when APP_URL is https, a request that did not arrive over https
 *    (judged from the socket or a trusted proxy only) gets 403
 *    `https_required` before anything reads its body or credential.
 * 2. CORS preflight: OPTIONS is answered 204 here, with the allow-list's
 *    grant for the Origin (or no Access-Control-* header at all).
 * 3. The handler runs; its answer — success, error, 404, 429 alike — gets
 *    the API security headers, HSTS on https, the CORS grant and
 *    `Vary: Origin`.
 *
 * Used by every machine endpoint (server/http/front/dispatch.ts): handleTrpc
 * and handleRest, the OAuth endpoints with door "oauth", and with no CORS
 * door the probes, the metrics scrape and the OpenAPI document (probes
 * answer over plain HTTP too, see isPlainHttpProbe). Never for pages or the
 * authorize page.
 */
export async function guardApi(
  req: Request,
  runtime: Runtime,
  door: CorsDoor | null,
  handle: (req: Request) => Promise<Response> | Response,
): Promise<Response> {
  const requestId = requestIdOf(req.headers);
  // The handler must log and answer with the same request id as we do.
  let request = req;
  if (req.headers.get("x-request-id") !== requestId) {
    const headers = new Headers(req.headers);
    headers.set("x-request-id", requestId);
    request = copyRequest(req, headers);
  }

  const { https } = resolveClient(req.headers, runtime.trustedProxies);
  // No CORS door (probes, the metrics scrape, the OpenAPI document): no grant, and OPTIONS is the handler's.
  // Only a foreign Origin needs the allow-list (a query): the common request takes no turn of the event loop here.
  const origin = door ? req.headers.get("origin") : null;
  const grant = origin === null || origin === runtime.config.appUrl.origin ? null : await grantFor(origin, runtime);
  const url = new URL(req.url);
  const verdict = httpsVerdict({
    secure: runtime.config.secure && !isPlainHttpProbe(url.pathname, req.method),
    https,
    method: req.method,
    api: true,
    pathAndQuery: url.pathname + url.search,
    appUrl: runtime.config.appUrl,
  });

  let response: Response;
  if (verdict.action !== "pass") {
    response = withApiHeaders(
      problemResponse(problem(403, HTTPS_REQUIRED_DETAIL, { reason: "https_required", requestId })),
      requestId,
    );
  } else if (door && req.method === "OPTIONS") {
    return finish(preflight(door, grant, requestId), { https, grant: null, requestId });
  } else {
    response = await handle(request);
  }
  return finish(response, { https, grant, requestId });
}

/** The allow-list's answer for a foreign Origin. Fails closed on a database error. */
async function grantFor(origin: string, runtime: Runtime): Promise<CorsGrant | null> {
  try {
    return await corsGrantFor(runtime.db, origin);
  } catch (error) {
    getLogger().error(
      { err: { name: (error as Error).name, message: (error as Error).message } },
      "CORS lookup failed",
    );
    return null;
  }
}

function preflight(door: CorsDoor, grant: CorsGrant | null, requestId: string): Response {
  const headers = new Headers(corsPreflightHeaders(grant, door));
  headers.set("allow", ["OPTIONS", ...CORS_DOORS[door]].join(", "));
  applyApiHeaders(headers, requestId);
  varyOnPreflight(headers);
  return new Response(null, { status: 204, headers });
}

function finish(res: Response, opts: { https: boolean; grant: CorsGrant | null; requestId: string }): Response {
  return editHeaders(res, (headers) => {
    applyApiHeaders(headers, headers.get("x-request-id") ?? opts.requestId);
    applyHsts(headers, opts.https);
    for (const [name, value] of Object.entries(corsResponseHeaders(opts.grant))) headers.set(name, value);
    varyOnOrigin(headers);
  });
}

/** The same request with other headers, body streamed through (works for any Request-like, e.g. the front's). */
function copyRequest(req: Request, headers: Headers): Request {
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.body !== null;
  return new Request(req.url, {
    method: req.method,
    headers,
    body: hasBody ? req.body : null,
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}
