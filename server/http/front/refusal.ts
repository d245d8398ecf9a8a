import { requestIdOf } from "../../context";
import { newRateLimitRecord } from "../../ratelimit/record";
import type { Runtime } from "../../runtime";
import { resolveClient } from "../../security/client-ip";
import { varyOnOrigin } from "../../security/cors";
import { applyHsts } from "../../security/headers";
import { chargeAnonymous } from "../anonymous-quota";
import { applyApiHeaders } from "../api-headers";
import { observeRequest, type RequestHead } from "../observe";
import { problem, problemResponse } from "../problem";
import { withRateLimit } from "../rate-limit-headers";
import { UNMATCHED } from "../route-label";

export interface FrontRefusal {
  status: number;
  reason: string;
  detail: string;
  /** e.g. `Allow` on a 405. */
  headers?: Record<string, string>;
}

/**
 * The answer to a request the front refuses before any door runs: a bad
 * request line, Host or method. It is still an API request like any other:
 * logged once, counted in the metrics and the Overview, charged against the
 * caller's anonymous quota (a flood of malformed requests is limited like a
 * flood of anything else), and answered problem+json with the whole API
 * header set. What Node's HTTP parser itself cannot read never reaches a
 * request listener: it is answered by answerUnparsable (listener.ts), logged
 * and counted, and its connection is closed, which is its own limit.
 */
export async function refuseRequest(head: RequestHead, runtime: Runtime, refusal: FrontRefusal): Promise<Response> {
  return observeRequest(head, runtime, "front", UNMATCHED, async () => {
    const requestId = requestIdOf(head.headers);
    const { https } = resolveClient(head.headers, runtime.trustedProxies);
    const record = newRateLimitRecord();
    const answer =
      (await chargeAnonymous(head, runtime, record)) ??
      problemResponse(problem(refusal.status, refusal.detail, { reason: refusal.reason, requestId }), refusal.headers);
    const headers = answer.headers;
    applyApiHeaders(headers, requestId);
    applyHsts(headers, https);
    varyOnOrigin(headers);
    return withRateLimit(answer, record);
  });
}
