import { requestIdOf } from "../../context";
import { appErrorOf } from "../../errors";
import { newRateLimitRecord } from "../../ratelimit/record";
import { limiterFor } from "../../ratelimit/runtime";
import type { Runtime } from "../../runtime";
import { resolveClient } from "../../security/client-ip";
import { varyOnOrigin } from "../../security/cors";
import { applyHsts } from "../../security/headers";
import { applyApiHeaders } from "../api-headers";
import { observeRequest, type RequestHead } from "../observe";
import { problem, problemResponse } from "../problem";
import { rateLimitProblem, withRateLimit } from "../rate-limit-headers";
import { UNMATCHED } from "../route-label";

export interface FrontRefusal {
  status: number;
  reason: string;
  detail: string;
  /** e.g. `Allow` on a 405. */
  headers?: Record<string, string>;
}

/** The procedure-path stand-in under which refused requests are rate limited (cost 1, policy `anon`). */
export const REFUSED_PATH = "http.refused";

/**
 * The answer to a request the front refuses before any door runs: a bad
 * request line, Host or method. It is still an API request like any other:
 * logged once, counted in the metrics and the Overview, charged against the
 * caller's anonymous quota (a flood of garbage is limited like a flood of
 * anything else), and answered problem+json with the whole API header set.
 */
export async function refuseRequest(head: RequestHead, runtime: Runtime, refusal: FrontRefusal): Promise<Response> {
  return observeRequest(head, runtime, "front", UNMATCHED, async () => {
    const requestId = requestIdOf(head.headers);
    const { ip, https } = resolveClient(head.headers, runtime.trustedProxies);
    const record = newRateLimitRecord();
    let answer = problemResponse(
      problem(refusal.status, refusal.detail, { reason: refusal.reason, requestId }),
      refusal.headers,
    );
    try {
      await limiterFor(runtime).checkCall({
        principal: null,
        ip,
        path: REFUSED_PATH,
        db: runtime.db,
        clock: runtime.clock,
        client: { ip, userAgent: head.headers.get("user-agent")?.slice(0, 512) ?? null, requestId },
        record,
      });
    } catch (error) {
      const app = appErrorOf(error);
      if (!app) throw error;
      const limited = rateLimitProblem(app.code === "TOO_MANY_REQUESTS" ? 429 : 503, record, requestId);
      if (limited) answer = problemResponse(limited);
    }
    const headers = answer.headers;
    applyApiHeaders(headers, requestId);
    applyHsts(headers, https);
    varyOnOrigin(headers);
    return withRateLimit(answer, record);
  });
}
