import type { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { parseAuthorization } from "../auth/bearer";
import { type Context, createContext, requestIdOf } from "../context";
import { AppError, appErrorOf, retryAfterOf } from "../errors";
import { newRateLimitRecord } from "../ratelimit/record";
import { appRouter } from "../root";
import type { Runtime } from "../runtime";
import { isCredentialedOrigin } from "../security/cors";
import { isSameOriginRequest } from "../security/csrf";
import { chargeAnonymous } from "./anonymous-quota";
import { guardApi } from "./api-guard";
import { editHeaders } from "./api-headers";
import { isJsonContentType, readCappedBody, withBody } from "./body";
import { checkJsonShape } from "./json-shape";
import { observeRequest, type Seen } from "./observe";
import { problem, problemResponse } from "./problem";
import { withRateLimit } from "./rate-limit-headers";
import { trpcRouteOf, UNMATCHED } from "./route-label";
import { challengeFor, refuseMalformedCredentials } from "./www-authenticate";

export const TRPC_ENDPOINT = "/api/trpc";
/** Matches the batch link of the typed frontend (components/trpc-provider.tsx). */
export const MAX_BATCH_SIZE = 10;

/**
 * The tRPC door: the typed frontend with its session cookie, and clients
 * with a Bearer token. Mutations are POSTs; they must carry JSON and, unless
 * Bearer-authenticated, come from our own origin (CSRF), checked before any
 * procedure runs. A malformed Authorization header or a credential in the URL
 * is refused first, as on REST.
 */
export async function handleTrpc(req: Request, runtime: Runtime): Promise<Response> {
  // HTTPS enforcement, CORS (preflight included) and the transport headers wrap everything below.
  // Outermost: one log line, metrics and Overview counters per request (server/http/observe.ts).
  const { route, procedures } = trpcRouteOf(new URL(req.url), TRPC_ENDPOINT);
  return observeRequest(req, runtime, "trpc", route, (seen) => {
    seen.procedures = procedures;
    return guardApi(req, runtime, "trpc", async (request) => {
      if (route !== UNMATCHED) return serveTrpc(request, runtime, seen);
      // No procedure will run to charge the caller (as on REST): charged here, per IP, anonymous quota.
      const record = newRateLimitRecord();
      const refused = await chargeAnonymous(request, runtime, record);
      return withRateLimit(refused ?? (await serveTrpc(request, runtime, seen)), record);
    });
  });
}

/** Inside guardApi: the API header set is written there, once, on whatever this answers. */
async function serveTrpc(req: Request, runtime: Runtime, seen: Seen): Promise<Response> {
  const requestId = requestIdOf(req.headers);
  // guardApi made sure X-Request-Id is the id we answer with: no copy of the request is needed.
  let request = req;

  const refused = refuseMalformedCredentials(request, requestId);
  if (refused) return refused;

  if (request.method === "POST") {
    if (!isJsonContentType(request.headers.get("content-type"))) {
      return problemResponse(
        problem(415, "Send the request body as application/json", { reason: "json_required", requestId }),
      );
    }
    // CSRF is about ambient credentials. A Bearer request is authenticated by
    // its header alone (createContext then ignores the cookie), and a page on
    // another site cannot add that header without passing CORS, so it needs
    // no Origin; anything else may be riding on the session cookie.
    const bearer = parseAuthorization(request.headers.get("authorization")).kind === "bearer";
    // Our own origin, or an allow-listed origin an admin flagged for credentials.
    const trustedOrigin = (origin: string) => isCredentialedOrigin(runtime.db, origin);
    if (!bearer && !(await isSameOriginRequest(request.headers, runtime.config.appUrl.origin, trustedOrigin))) {
      return problemResponse(
        problem(403, "Cross-site request refused: Origin is not this application", { reason: "csrf", requestId }),
      );
    }
    try {
      const body = await readCappedBody(request, runtime.config.maxBodyBytes);
      const shape = body && body.byteLength > 0 ? checkJsonShape(body) : null;
      if (shape) {
        return problemResponse(problem(400, shape.detail, { reason: shape.reason, requestId }));
      }
      request = withBody(request, body);
    } catch (error) {
      if (error instanceof AppError) {
        return problemResponse(problem(413, error.message, { reason: error.reason, requestId }));
      }
      throw error;
    }
  }

  if (request.method === "GET") {
    // A query's input is JSON in the URL (`?input=…`): the same structural caps as a body.
    const shape = checkJsonShape(new URL(request.url).searchParams.get("input") ?? "");
    if (shape) {
      return problemResponse(problem(400, shape.detail, { reason: shape.reason, requestId }));
    }
  }

  let ctx: Context | undefined;
  const errors: TRPCError[] = [];
  const response = await fetchRequestHandler({
    endpoint: TRPC_ENDPOINT,
    req: request,
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: async () => {
      try {
        ctx = await createContext(request, "trpc", runtime);
      } catch (error) {
        // Before the procedure chain (and its error mapping) runs: a storage failure here is mapped the same way.
        throw appErrorOf(error)?.toTRPCError() ?? error;
      }
      seen.principal = ctx.principal;
      return ctx;
    },
    onError: ({ error }) => {
      errors.push(error);
    },
  });
  // RFC 7235/6750: a 401 carries a Bearer challenge, a scope 403 names the scope (as on REST).
  const challenge =
    response.status === 401 || response.status === 403 ? challengeFor(response.status, appErrorOf(errors[0])) : null;
  // A 503 the application means (a storage failure) says when to retry, as on REST; the body keeps
  // tRPC's shape with data.reason and data.retryAfterSeconds.
  const retryAfter =
    response.status === 503 ? retryAfterOf(errors.map(appErrorOf).find((app) => retryAfterOf(app) !== null)) : null;
  // Only what this answer adds: the API header set is written once, by guardApi around this (api-guard.ts).
  const answered = editHeaders(response, (headers) => {
    if (challenge) headers.set("www-authenticate", challenge);
    if (retryAfter !== null) headers.set("retry-after", String(retryAfter));
  });
  // RateLimit fields (and Retry-After on a refusal); the body stays tRPC's, with
  // TOO_MANY_REQUESTS and data.retryAfterSeconds for the typed client.
  return withRateLimit(answered, ctx?.rateLimit);
}
