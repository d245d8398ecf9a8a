import type { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { CONTENT_TYPES } from "../audit/export";
import { type Context, createContext, requestIdOf } from "../context";
import { AppError, appErrorOf } from "../errors";
import { getLogger } from "../logger";
import { newRateLimitRecord } from "../ratelimit/record";
import type { Runtime } from "../runtime";
import { fieldIssues } from "../trpc";
import { chargeAnonymous } from "./anonymous-quota";
import { guardApi } from "./api-guard";
import { streamAuditExport } from "./audit-export";
import { isJsonContentType, readCappedBody } from "./body";
import { checkJsonShape } from "./json-shape";
import { methodNotAllowed } from "./method-not-allowed";
import { observeRequest, type Seen } from "./observe";
import { appErrorProblem, type Problem, problem, problemResponse } from "./problem";
import { reservedQueryName } from "./query-guard";
import { rateLimitProblem, withRateLimit } from "./rate-limit-headers";
import { callRestOperation, type ParsedBody, parseJsonBody } from "./rest-call";
import { type RestOperation, restMethodsOf, restOperationOf, UNMATCHED } from "./route-label";
import { challengeFor, refuseMalformedCredentials } from "./www-authenticate";

export const REST_ENDPOINT = "/api/v1";
const EMPTY_OBJECT = new TextEncoder().encode("{}");

/**
 * The REST door for external clients: the same router and middleware chain
 * as tRPC, each operation's procedure called directly (rest-call.ts). It authenticates with bearer credentials
 * only (createContext ignores cookies for "rest"), so a cross-site request
 * cannot ride on a browser session. Errors become problem+json.
 */
export async function handleRest(req: Request, runtime: Runtime): Promise<Response> {
  // HTTPS enforcement, CORS (preflight included) and the transport headers wrap everything below.
  // Outermost: one log line, metrics and Overview counters per request (server/http/observe.ts).
  const url = new URL(req.url);
  const operation = restOperationOf(req.method, url, REST_ENDPOINT);
  const route = operation?.label ?? UNMATCHED;
  return observeRequest(req, runtime, "rest", route, (seen) =>
    guardApi(req, runtime, "rest", async (request) => {
      if (operation) return serveRest(request, runtime, seen, operation, url);
      // No operation will run, so no procedure charges the caller: the request is charged here
      // (per IP, anonymous quota), so probing for paths costs quota like anything else.
      const record = newRateLimitRecord();
      const refused = await chargeAnonymous(request, runtime, record);
      if (refused) return withRateLimit(refused, record);
      // A path that exists with another verb: 405 and what it does take (RFC 9110 §15.5.6).
      const allowed = restMethodsOf(url, REST_ENDPOINT);
      const answer =
        allowed.length > 0
          ? methodNotAllowed(requestIdOf(request.headers), allowed)
          : await serveRest(request, runtime, seen, null, url);
      return withRateLimit(answer, record);
    }),
  );
}

/**
 * HEAD is GET without the body (RFC 9110 §9.3.2): the GET operation runs through the whole chain
 * (authentication, scopes, rate limit, audit) and its status and headers are the answer.
 */
async function serveRest(
  req: Request,
  runtime: Runtime,
  seen: Seen,
  operation: RestOperation | null,
  url: URL,
): Promise<Response> {
  const answer = await serveOperation(req, runtime, seen, operation, url);
  if (req.method !== "HEAD") return answer;
  void answer.body?.cancel().catch(() => undefined);
  return new Response(null, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
}

async function serveOperation(
  req: Request,
  runtime: Runtime,
  seen: Seen,
  operation: RestOperation | null,
  url: URL,
): Promise<Response> {
  const requestId = requestIdOf(req.headers);
  // The API header set is written once, by guardApi around this (api-guard.ts finish).
  const fail = (body: Problem, headers?: HeadersInit) => problemResponse(body, headers);

  const refused = refuseMalformedCredentials(req, requestId);
  if (refused) return refused;

  // guardApi made sure X-Request-Id is the id we answer with: no copy of the request is needed.
  const request = req;
  let parsed: ParsedBody = null;

  const reserved = reservedQueryName(url);
  if (reserved) {
    const errors = [{ path: reserved, message: "Unrecognized key" }];
    return fail(problem(400, `${reserved}: Unrecognized key`, { reason: "invalid_input", errors, requestId }));
  }

  const bodyInput = !["GET", "HEAD", "DELETE"].includes(request.method);
  if (bodyInput || operation?.takesInput === false) {
    // A POST/PATCH input comes from the body only, and an operation without input
    // (z.void()) gets none at all (rest-call.ts): query parameters would be silently dropped.
    // Refused instead, as an unknown field in the body is.
    const stray = [...url.searchParams.keys()][0];
    if (stray !== undefined) {
      const errors = [
        {
          path: stray.slice(0, 60),
          message: bodyInput
            ? "Unrecognized query parameter (this operation takes its input in the body)"
            : "Unrecognized query parameter (this operation takes no input)",
        },
      ];
      return fail(
        problem(400, `${errors[0]?.path}: Unrecognized query parameter`, {
          reason: "invalid_input",
          errors,
          requestId,
        }),
      );
    }
  }
  if (bodyInput) {
    try {
      const body = await readCappedBody(request, runtime.config.maxBodyBytes);
      if (body && body.byteLength > 0 && !isJsonContentType(request.headers.get("content-type"))) {
        return fail(problem(415, "Send the request body as application/json", { reason: "json_required", requestId }));
      }
      const shape = body && body.byteLength > 0 ? checkJsonShape(body) : null;
      if (shape) return fail(problem(400, shape.detail, { reason: shape.reason, requestId }));
      // Parsed once, here. No body at all (as for an operation that documents none,
      // e.g. POST /tokens/{id}/revoke) is the empty object, which the strict input
      // schema then judges like any other input.
      parsed = parseJsonBody(body && body.byteLength > 0 ? body : EMPTY_OBJECT);
    } catch (error) {
      if (error instanceof AppError) return fail(problem(413, error.message, { reason: error.reason, requestId }));
      throw error;
    }
  }

  if (!operation) {
    const { body, headers } = toProblem(404, undefined, requestId);
    return fail(body, headers);
  }
  let ctx: Context | undefined;
  const result = await callRestOperation({
    operation,
    url,
    path: url.pathname.slice(REST_ENDPOINT.length) || "/",
    body: parsed,
    createContext: async () => {
      ctx = await createContext(request, "rest", runtime);
      seen.principal = ctx.principal;
      return ctx;
    },
  });

  // RateLimit fields on every answer the rate-limit step saw; 429/503 it caused get its own problem body.
  if (result.ok) {
    return withRateLimit(await restAnswer(result.data, operation, ctx as Context, request), ctx?.rateLimit);
  }
  const limited = rateLimitProblem(result.status, ctx?.rateLimit, requestId);
  if (limited) return withRateLimit(fail(limited), ctx?.rateLimit);
  const { body, headers } = toProblem(result.status, result.error, requestId);
  if (body.status >= 500) {
    getLogger().error(
      { requestId, err: { name: result.error.cause?.name, message: result.error.message } },
      "REST call failed",
    );
  }
  return withRateLimit(fail(body, headers), ctx?.rateLimit);
}

/**
 * Answers whose body is not the procedure's JSON output: the procedure has run through the whole
 * chain (authorization, validation, rate limit, audit), and its output says what to stream.
 */
export const STREAMED: Record<
  string,
  {
    /** What the stream is sent as (the OpenAPI document lists these as the operation's answer). */
    contentTypes: readonly string[];
    stream: (output: unknown, ctx: Context, request: Request) => Promise<Response>;
  }
> = {
  "admin.audit.startExport": {
    contentTypes: Object.values(CONTENT_TYPES),
    stream: async (output, ctx, request) =>
      await streamAuditExport(
        ctx.db,
        new URL(request.url).searchParams,
        output as { throughSeq: number; filename: string },
      ),
  },
};

/**
 * The answer to a procedure that succeeded, by the REST resource conventions:
 * - a streamed operation (STREAMED) answers with its stream;
 * - a DELETE answers 204 with no body and no content type;
 * - an operation with `meta.created` answers 201 with `Location`: the absolute path (under
 *   /api/v1) of the created resource, its template's `{field}` (or `{a.b}`) taken from the output.
 *   A path, not a URL: it stays right behind any proxy, whatever APP_URL says (RFC 9110 §10.2.2);
 * - anything else 200 with the output as JSON.
 * HEAD ran the GET operation and is answered like it (serveRest drops the body).
 */
async function restAnswer(
  output: unknown,
  operation: RestOperation,
  ctx: Context,
  request: Request,
): Promise<Response> {
  const stream = STREAMED[operation.procedure]?.stream;
  if (stream) return await stream(output, ctx, request);
  if (operation.method === "DELETE") return new Response(null, { status: 204 });
  // An output of undefined is an empty body, as JSON.stringify gives it.
  const json = JSON.stringify(output) as string | undefined;
  const headers = { "content-type": "application/json" };
  if (!operation.created) return new Response(json, { status: 200, headers });
  const location = fillTemplate(operation.created, output);
  if (location === null) {
    // A procedure whose output lacks the field its template names: a bug of ours, said in the log, not to the client.
    getLogger().error({ procedure: operation.procedure }, "created resource without the id its Location names");
    return new Response(json, { status: 200, headers });
  }
  return new Response(json, { status: 201, headers: { ...headers, location: `${REST_ENDPOINT}${location}` } });
}

/** `/admin/tokens/{id}` with `{ id: "tok_…" }` -> `/admin/tokens/tok_…`; null when a field is missing. */
export function fillTemplate(template: string, output: unknown): string | null {
  let missing = false;
  const path = template.replace(/\{([^}]+)\}/g, (_, field: string) => {
    let value: unknown = output;
    for (const key of field.split(".")) value = (value as Record<string, unknown> | null)?.[key];
    if (typeof value !== "string" || value === "") {
      missing = true;
      return "";
    }
    return encodeURIComponent(value);
  });
  return missing ? null : path;
}

function toProblem(
  status: number,
  error: TRPCError | undefined,
  requestId: string,
): { body: Problem; headers: Headers } {
  const headers = new Headers();
  const app = error ? appErrorOf(error) : undefined;

  if (status >= 500) {
    // A 503 the application means (a storage failure, classified once in appErrorOf, wherever it was thrown)
    // says what and when to retry; any other failure is a bare 500 with nothing internal in it.
    // So does a stored value that failed authentication (a reason of ours, server/audit/sealed-failures.ts).
    if (app?.code === "SERVICE_UNAVAILABLE" || app?.reason) return appErrorProblem(app, requestId);
    return { body: problem(status, "Internal server error", { requestId }), headers };
  }
  if (error?.cause instanceof ZodError) {
    const errors = fieldIssues(error.cause);
    return {
      body: problem(400, errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
        reason: "invalid_input",
        errors,
        requestId,
      }),
      headers,
    };
  }
  const challenge = challengeFor(status, app);
  if (challenge) headers.set("www-authenticate", challenge);
  if (error?.code === "PARSE_ERROR") {
    return {
      body: problem(400, "The request body is not valid JSON", { reason: "malformed_json", requestId }),
      headers,
    };
  }
  // A missing record always carries an AppError (services throw notFound());
  // a NOT_FOUND without one comes from trpc-to-openapi: no such path/method.
  const noSuchEndpoint = status === 404 && !app;
  const detail =
    app?.message ??
    (noSuchEndpoint
      ? "No such endpoint"
      : status === 405
        ? "Method not allowed"
        : (error?.message ?? "Request failed"));
  return {
    body: problem(status, detail, {
      reason: app?.reason ?? (noSuchEndpoint ? "no_such_endpoint" : null),
      requestId,
      extra: app?.data?.scopes ? { scopes: app.data.scopes } : undefined,
    }),
    headers,
  };
}
