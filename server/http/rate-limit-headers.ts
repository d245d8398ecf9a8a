import { secondsUntil } from "../ratelimit/limiter";
import { STORE_DOWN_RETRY_SECONDS } from "../ratelimit/policies";
import type { LimitCheck, RateLimitRecord } from "../ratelimit/record";
import { editHeaders } from "./api-headers";
import { type Problem, problem } from "./problem";

/**
 * Rate-limit answers of both HTTP doors, from what the rate-limit step
 * recorded for the request (server/ratelimit/record.ts):
 *
 * - every rate-limited response carries the fields of
 *   draft-ietf-httpapi-ratelimit-headers, as Structured Field Lists
 *   (RFC 8941): `RateLimit-Policy: "api";q=600;w=60` (quota and window in
 *   seconds) and `RateLimit: "api";r=42;t=30` (remaining units, seconds until
 *   the window resets), one item per policy that applied;
 * - 429 adds `Retry-After` in whole seconds, never earlier than the window
 *   ends; a 503 from a fail-closed policy adds a short `Retry-After`;
 * - on REST, the 429 body is problem+json with the IANA quota-exceeded type
 *   and the violated policies, the 503 body `rate_limit_unavailable`.
 *
 * A call let through because the store was down (fail-open) has no state to
 * report, so it gets no RateLimit fields rather than made-up ones.
 */

export const QUOTA_EXCEEDED_TYPE = "https://iana.org/assignments/http-problem-types#quota-exceeded";

/** An sf-string: policy names are ours, but escape as RFC 8941 §3.3.3 says anyway. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

/** Per policy, the tightest state seen during the request (a tRPC batch checks once per call). */
function tightest(checks: readonly LimitCheck[]): LimitCheck[] {
  const byPolicy = new Map<string, LimitCheck>();
  for (const check of checks) {
    const seen = byPolicy.get(check.policy);
    if (
      !seen ||
      check.remaining < seen.remaining ||
      (check.remaining === seen.remaining && check.resetAt > seen.resetAt)
    ) {
      byPolicy.set(check.policy, check);
    }
  }
  return [...byPolicy.values()];
}

export interface RateLimitFields {
  policy: string;
  state: string;
  /** Seconds, when a call was refused. */
  retryAfter: number | null;
}

export function rateLimitFields(record: RateLimitRecord, now = Date.now()): RateLimitFields | null {
  if (record.checks.length === 0) return null;
  const items = tightest(record.checks);
  const denied = record.checks.filter((c) => !c.allowed);
  return {
    policy: items.map((c) => `${sfString(c.policy)};q=${c.limit};w=${c.windowMs / 1000}`).join(", "),
    state: items
      .map((c) => `${sfString(c.policy)};r=${c.remaining};t=${Math.max(0, Math.ceil((c.resetAt - now) / 1000))}`)
      .join(", "),
    retryAfter: denied.length > 0 ? Math.max(...denied.map((c) => secondsUntil(c.resetAt, now))) : null,
  };
}

/** Adds the rate-limit fields (and Retry-After when something was refused) to a door's response. */
export function withRateLimit(res: Response, record: RateLimitRecord | undefined): Response {
  if (!record) return res;
  const fields = rateLimitFields(record);
  const unavailable = record.unavailable !== null && res.status === 503;
  if (!fields && !unavailable) return res;
  return editHeaders(res, (headers) => {
    if (fields) {
      headers.set("ratelimit-policy", fields.policy);
      headers.set("ratelimit", fields.state);
      if (fields.retryAfter !== null && res.status !== 503) headers.set("retry-after", String(fields.retryAfter));
    }
    if (unavailable) headers.set("retry-after", String(STORE_DOWN_RETRY_SECONDS));
    // A refusal is about this client now: never cache it (the API sets this everywhere; say it here too).
    if (res.status === 429 || unavailable) headers.set("cache-control", "no-store");
  });
}

/**
 * The problem+json body of a REST answer the rate-limit step caused, or null
 * when the status has another cause.
 */
export function rateLimitProblem(
  status: number,
  record: RateLimitRecord | undefined,
  requestId: string,
): Problem | null {
  if (!record) return null;
  if (status === 429) {
    const denied = record.checks.filter((c) => !c.allowed);
    if (denied.length === 0) return null;
    const retryAfterSeconds = Math.max(...denied.map((c) => secondsUntil(c.resetAt)));
    const policies = [...new Set(denied.map((c) => c.policy))];
    const first = denied[0] as LimitCheck;
    const body = problem(
      429,
      `Rate limit exceeded (policy "${first.policy}": ${first.limit} per ${first.windowMs / 1000}s); retry in ${retryAfterSeconds}s`,
      { reason: "rate_limited", requestId, extra: { "violated-policies": policies, retryAfterSeconds } },
    );
    return {
      ...body,
      type: QUOTA_EXCEEDED_TYPE,
      title: "Request cannot be satisfied as assigned quota has been exceeded",
    };
  }
  if (status === 503 && record.unavailable) {
    return problem(503, "Rate limiting is unavailable, so this operation is refused for now; retry shortly", {
      reason: "rate_limit_unavailable",
      requestId,
      extra: { retryAfterSeconds: STORE_DOWN_RETRY_SECONDS },
    });
  }
  return null;
}
