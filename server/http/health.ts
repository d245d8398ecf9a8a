import { requestIdOf } from "../context";
import { describeReadiness, type Readiness, readinessOf } from "../observability/readiness";
import type { Runtime } from "../runtime";
import { problem, problemResponse } from "./problem";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Retry-After of a 503 from /api/ready: an orchestrator asks again soon anyway. */
export const NOT_READY_RETRY_SECONDS = 5;

/**
 * Liveness: the process answers. Touches nothing else, so it stays cheap under load. Both probes are
 * served inside guardApi (front/dispatch.ts), which writes the API header set and the request id.
 */
export function handleHealth(): Response {
  return json({ status: "ok" });
}

/**
 * Readiness: this instance can do its work — the database can be written
 * and a configured Redis answers (server/observability/readiness.ts, cached
 * for a second). 200 `{status: "ready", checks}`; otherwise 503
 * problem+json `not_ready` naming each failing dependency in `detail` and
 * `checks` (e.g. `{"database": "full", "redis": "ok"}`), with Retry-After.
 * Nothing internal (paths, SQL, URLs) is said: that goes to the log.
 */
export async function handleReady(req: Request, runtime: () => Runtime): Promise<Response> {
  const requestId = requestIdOf(req.headers);
  let readiness: Readiness;
  try {
    readiness = await readinessOf(runtime());
  } catch {
    readiness = { ready: false, checks: { database: "error" } };
  }
  if (readiness.ready) return json({ status: "ready", checks: readiness.checks });
  const body = problem(503, describeReadiness(readiness), {
    reason: "not_ready",
    requestId,
    extra: { checks: readiness.checks, retryAfterSeconds: NOT_READY_RETRY_SECONDS },
  });
  return problemResponse(body, { "retry-after": String(NOT_READY_RETRY_SECONDS) });
}
