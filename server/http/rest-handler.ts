import type { TRPCError } from "@trpc/server";
import { createOpenApiFetchHandler } from "trpc-to-openapi";
import { ZodError } from "zod";
import { type Context, createContext, requestIdOf } from "../context";
import { AppError, appErrorOf } from "../errors";
import { getLogger } from "../logger";
import { appRouter } from "../root";
import type { Runtime } from "../runtime";
import { fieldIssues } from "../trpc";
import { withApiHeaders } from "./api-headers";
import { isJsonContentType, readCappedBody, withBody } from "./body";
import { type Problem, problem, problemResponse } from "./problem";

export const REST_ENDPOINT = "/api/v1";
const REALM = 'realm="gatehouse"';

/**
 * The REST door for external clients: the same router and middleware chain
 * as tRPC, through trpc-to-openapi. It authenticates with bearer credentials
 * only (createContext ignores cookies for "rest"), so a cross-site request
 * cannot ride on a browser session. Errors become problem+json.
 */
export async function handleRest(req: Request, runtime: Runtime): Promise<Response> {
  const requestId = requestIdOf(req.headers);
  const fail = (body: Problem, headers?: HeadersInit) => withApiHeaders(problemResponse(body, headers), requestId);

  const reqHeaders = new Headers(req.headers);
  reqHeaders.set("x-request-id", requestId);
  let request = new Request(req, { headers: reqHeaders });

  if (!["GET", "HEAD", "DELETE"].includes(request.method)) {
    try {
      const body = await readCappedBody(request, runtime.config.maxBodyBytes);
      if (body && body.byteLength > 0 && !isJsonContentType(request.headers.get("content-type"))) {
        return fail(problem(415, "Send the request body as application/json", { reason: "json_required", requestId }));
      }
      request = withBody(request, body);
    } catch (error) {
      if (error instanceof AppError) return fail(problem(413, error.message, { reason: error.reason, requestId }));
      throw error;
    }
  }

  let ctx: Context | undefined;
  let captured: TRPCError | undefined;
  const response = await createOpenApiFetchHandler({
    endpoint: REST_ENDPOINT,
    req: request,
    router: appRouter,
    createContext: async () => {
      ctx = await createContext(request, "rest", runtime);
      return ctx;
    },
    onError: ({ error }) => {
      captured = error;
    },
  });

  if (response.status < 400) return withApiHeaders(response, requestId);
  const { body, headers } = toProblem(response.status, captured, requestId);
  if (body.status >= 500) {
    getLogger().error(
      { requestId, err: { name: captured?.cause?.name, message: captured?.message } },
      "REST call failed",
    );
  }
  return fail(body, headers);
}

function toProblem(
  status: number,
  error: TRPCError | undefined,
  requestId: string,
): { body: Problem; headers: Headers } {
  const headers = new Headers();
  const app = error ? appErrorOf(error) : undefined;

  if (status >= 500) {
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
  if (status === 401) {
    const reason = app?.reason;
    headers.set(
      "www-authenticate",
      reason === "invalid_token" || reason === "invalid_request"
        ? `Bearer ${REALM}, error="${reason}"`
        : `Bearer ${REALM}`,
    );
  }
  if (status === 403 && app?.reason === "insufficient_scope") {
    const scope = (app.data?.scopes ?? []).join(" ");
    headers.set("www-authenticate", `Bearer ${REALM}, error="insufficient_scope", scope="${scope}"`);
  }
  if (error?.code === "PARSE_ERROR") {
    return {
      body: problem(400, "The request body is not valid JSON", { reason: "malformed_json", requestId }),
      headers,
    };
  }
  const detail =
    app?.message ??
    (status === 404 && !error
      ? "No such endpoint"
      : status === 405
        ? "Method not allowed"
        : (error?.message ?? "Request failed"));
  return {
    body: problem(status, detail, {
      reason: app?.reason ?? (status === 404 && !error ? "no_such_endpoint" : null),
      requestId,
      extra: app?.data?.scopes ? { scopes: app.data.scopes } : undefined,
    }),
    headers,
  };
}
