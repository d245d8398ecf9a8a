import { formatDuration, parseDuration } from "../config/duration";

/** A quota: at most `limit` units (requests, or cost units) per fixed window of `windowMs`. */
export interface Rule {
  limit: number;
  windowMs: number;
}

export const MAX_LIMIT = 1_000_000_000;
/** Windows are whole seconds (the RateLimit headers speak seconds), from 1 s to 7 days. */
export const MIN_WINDOW_MS = 1_000;
export const MAX_WINDOW_MS = 7 * 86_400_000;

/** Why a window is refused, or null when it is acceptable. */
export function windowProblem(ms: number): string | null {
  if (!Number.isSafeInteger(ms) || ms % 1000 !== 0) return "the window must be a whole number of seconds";
  if (ms < MIN_WINDOW_MS || ms > MAX_WINDOW_MS) return "the window must be between 1s and 7d";
  return null;
}

/**
 * Parses the `<count>/<window>` form of the RATE_LIMIT_* variables, e.g.
 * `600/1m`, `5/15m`, `100/30s`. Null when malformed or out of range.
 */
export function parseRule(text: string): Rule | null {
  const match = /^(\d{1,10})\/(\d{1,9}(?:ms|s|m|h|d))$/.exec(text.trim());
  if (!match) return null;
  const limit = Number(match[1]);
  const windowMs = parseDuration(match[2] as string);
  if (limit < 1 || limit > MAX_LIMIT || windowMs === null || windowProblem(windowMs)) return null;
  return { limit, windowMs };
}

export function formatRule(rule: Rule): string {
  return `${rule.limit}/${formatDuration(rule.windowMs)}`;
}
