import type { Principal } from "../auth/principal";
import { requestIdOf } from "../context";
import { appErrorOf } from "../errors";
import { getLogger } from "../logger";
import { METRICS } from "../observability/metrics";
import { countRequest } from "../observability/traffic";
import type { Runtime } from "../runtime";
import { resolveClient } from "../security/client-ip";
import { withApiHeaders } from "./api-headers";
import { appErrorProblem, problem, problemResponse } from "./problem";

/** Which HTTP entry point answered: the two API doors, and the routes beside them. */
export type Door = "trpc" | "rest" | "oauth" | "probe" | "openapi" | "audit-export" | "metrics" | "front";

/** What the log line and metrics need of a request: a standard Request has it, and so does one the front refused unparsed. */
export interface RequestHead {
  method: string;
  headers: Headers;
}

/** What the handler learns while answering and the request log needs. */
export interface Seen {
  principal: Principal | null;
  /** A closed-set route name (server/http/route-label.ts); set by the door. */
  route: string;
  /** For a tRPC batch: the procedures in it. */
  procedures?: string[];
}

export function principalIdOf(principal: Principal | null): string | null {
  if (!principal) return null;
  if (principal.kind === "token") return principal.tokenId;
  if (principal.kind === "oauth") return principal.clientId;
  return principal.userId;
}

/**
 * Wraps one API door: times the request, and when the answer is ready writes
 * one structured log line, the Prometheus metrics and the Overview counters.
 * Standard Request/Response only, no Next.js.
 *
 * The log line holds: request id (the one returned in X-Request-Id: a
 * caller's well-formed one, or ours), method, route (never the raw URL, which
 * may carry ids or a misplaced credential), status, duration, principal id
 * and client IP (from trusted proxies only, server/security/client-ip.ts).
 * No header, body or query string is logged. Every value goes through pino's
 * JSON encoding and the shared redaction (server/logger.ts).
 *
 * An exception escaping the handler is a bug: it is logged (name and first
 * line only) and answered as a 500 problem with the request id, never a stack.
 */
export async function observeRequest(
  req: RequestHead,
  runtime: Runtime,
  door: Door,
  route: string,
  serve: (seen: Seen) => Promise<Response>,
): Promise<Response> {
  const started = performance.now();
  const seen: Seen = { principal: null, route };
  let response: Response;
  try {
    response = await serve(seen);
  } catch (error) {
    const requestId = requestIdOf(req.headers);
    // What the application means (a storage failure, classified once in appErrorOf) keeps its answer: 503 with
    // Retry-After. Anything else escaping is a bug: 500, with nothing internal in it.
    const app = appErrorOf(error);
    getLogger().error(
      { requestId, door, route: seen.route, err: app ? { name: (error as Error)?.name, code: codeOf(error) } : error },
      app ? "request refused" : "unhandled error",
    );
    const { body, headers } = app
      ? appErrorProblem(app, requestId)
      : { body: problem(500, "Internal server error", { requestId }), headers: undefined };
    response = withApiHeaders(problemResponse(body, headers), requestId);
  }
  const durationMs = performance.now() - started;
  try {
    record(req, runtime, door, seen, response, durationMs);
  } catch (error) {
    // Observability must never turn an answer into a failure.
    getLogger().error({ err: error }, "could not record request metrics");
  }
  return response;
}

function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : null;
}

function record(req: RequestHead, runtime: Runtime, door: Door, seen: Seen, response: Response, durationMs: number) {
  const status = response.status;
  const principalId = principalIdOf(seen.principal);
  const ip = resolveClient(req.headers, runtime.trustedProxies).ip;
  const requestId = response.headers.get("x-request-id") ?? requestIdOf(req.headers);

  METRICS.requests.inc([door, seen.route, String(status)]);
  METRICS.duration.observe([door, seen.route], durationMs / 1000);
  if (status === 429) METRICS.rateLimited.inc([door, seen.route]);
  countRequest({ at: runtime.clock.now(), status, principalId, ip });

  const line = {
    requestId,
    door,
    method: req.method,
    route: seen.route,
    ...(seen.procedures && seen.procedures.length > 1 ? { procedures: seen.procedures } : {}),
    status,
    durationMs: Math.round(durationMs * 10) / 10,
    principal: principalId,
    ip,
  };
  const logger = getLogger();
  if (status >= 500) logger.error(line, "request");
  else logger.info(line, "request");
}
