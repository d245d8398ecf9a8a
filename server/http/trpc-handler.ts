import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { type Context, createContext, requestIdOf } from "../context";
import { AppError } from "../errors";
import { appRouter } from "../root";
import type { Runtime } from "../runtime";
import { isSameOriginRequest } from "../security/csrf";
import { withApiHeaders } from "./api-headers";
import { isJsonContentType, readCappedBody, withBody } from "./body";
import { problem, problemResponse } from "./problem";

export const TRPC_ENDPOINT = "/api/trpc";
/** Matches the batch link of the typed frontend (components/trpc-provider.tsx). */
export const MAX_BATCH_SIZE = 10;

/**
 * The tRPC door: the typed frontend with its session cookie. Mutations are
 * POSTs; they must carry JSON and come from our own origin (CSRF), checked
 * before any procedure runs.
 */
export async function handleTrpc(req: Request, runtime: Runtime): Promise<Response> {
  const requestId = requestIdOf(req.headers);
  const reqHeaders = new Headers(req.headers);
  reqHeaders.set("x-request-id", requestId);
  let request = new Request(req, { headers: reqHeaders });

  if (request.method === "POST") {
    if (!isJsonContentType(request.headers.get("content-type"))) {
      return withApiHeaders(
        problemResponse(
          problem(415, "Send the request body as application/json", { reason: "json_required", requestId }),
        ),
        requestId,
      );
    }
    if (!isSameOriginRequest(request.headers, runtime.config.appUrl.origin)) {
      return withApiHeaders(
        problemResponse(
          problem(403, "Cross-site request refused: Origin is not this application", { reason: "csrf", requestId }),
        ),
        requestId,
      );
    }
    try {
      request = withBody(request, await readCappedBody(request, runtime.config.maxBodyBytes));
    } catch (error) {
      if (error instanceof AppError) {
        return withApiHeaders(
          problemResponse(problem(413, error.message, { reason: error.reason, requestId })),
          requestId,
        );
      }
      throw error;
    }
  }

  let ctx: Context | undefined;
  const response = await fetchRequestHandler({
    endpoint: TRPC_ENDPOINT,
    req: request,
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: async () => {
      ctx = await createContext(request, "trpc", runtime);
      return ctx;
    },
  });
  return withApiHeaders(response, ctx?.client.requestId ?? requestId);
}
