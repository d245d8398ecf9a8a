import { requestIdOf } from "../context";
import { appErrorOf } from "../errors";
import type { RateLimitRecord } from "../ratelimit/record";
import { limiterFor } from "../ratelimit/runtime";
import type { Runtime } from "../runtime";
import { resolveClient } from "../security/client-ip";
import type { RequestHead } from "./observe";
import { problemResponse } from "./problem";
import { rateLimitProblem } from "./rate-limit-headers";

/** The procedure-path stand-in under which requests that run no procedure are rate limited (cost 1, policy `anon`). */
export const UNPROCEDURED_PATH = "http.request";

/**
 * Charges a request that runs no procedure (a refused request, a public
 * document) against its caller's anonymous quota, per client IP, as the
 * procedure chain charges an anonymous call. Returns the 429 (or 503 from a
 * fail-closed store) problem to answer instead, or null to go on; either way
 * `record` holds what the RateLimit headers report.
 */
export async function chargeAnonymous(
  head: RequestHead,
  runtime: Runtime,
  record: RateLimitRecord,
): Promise<Response | null> {
  const requestId = requestIdOf(head.headers);
  const { ip } = resolveClient(head.headers, runtime.trustedProxies);
  try {
    await limiterFor(runtime).checkCall({
      principal: null,
      ip,
      path: UNPROCEDURED_PATH,
      db: runtime.db,
      clock: runtime.clock,
      client: { ip, userAgent: head.headers.get("user-agent")?.slice(0, 512) ?? null, requestId },
      record,
    });
    return null;
  } catch (error) {
    const app = appErrorOf(error);
    if (!app) throw error;
    const limited = rateLimitProblem(app.code === "TOO_MANY_REQUESTS" ? 429 : 503, record, requestId);
    return limited ? problemResponse(limited) : null;
  }
}
