import type { PolicyName } from "./policies";

/** One policy checked for one call: the state its headers report. */
export interface LimitCheck {
  policy: PolicyName;
  /** Quota and window that applied (an override's, if any). */
  limit: number;
  windowMs: number;
  allowed: boolean;
  remaining: number;
  /** Epoch ms at which the window ends. */
  resetAt: number;
}

/**
 * What the rate-limit middleware learnt during one HTTP request (every call
 * of a tRPC batch adds to it). Created with the request's context and read by
 * the HTTP doors to write RateLimit, RateLimit-Policy and Retry-After; no
 * procedure reads it.
 */
export interface RateLimitRecord {
  checks: LimitCheck[];
  /** Set when a fail-closed policy could not be checked (the call was refused with 503). */
  unavailable: PolicyName | null;
}

export function newRateLimitRecord(): RateLimitRecord {
  return { checks: [], unavailable: null };
}
