import { eq, inArray } from "drizzle-orm";
import type { Executor } from "@/db";
import { corsOrigins } from "@/db/schema";
import { MAX_ORIGIN_LENGTH } from "./cors-limits";

/**
 * CORS for the API doors (tRPC, REST, later the OAuth token endpoints):
 * which foreign web pages may read our answers, and with cookies or not.
 *
 * What it trusts: only the allow-list in the `cors_origins` table, compared
 * byte for byte with the request's `Origin` header. Browsers serialise an
 * origin one way (lower-case scheme and host, punycode, no default port, no
 * path), and entries are stored in exactly that form, so a near miss —
 * another scheme or port, a trailing slash, a suffix such as
 * `https://app.example.com.evil.com`, mixed case, `null` — simply does not
 * match and gets no `Access-Control-*` header at all (failing closed: the
 * browser then keeps the answer from the page).
 *
 * No cache: the check is one indexed point query, made only for requests
 * whose Origin is not our own, so a removed origin is refused on the very
 * next request in every process sharing the database. A cache would need a
 * cross-process invalidation check that costs that same query.
 */

export { CORS_NOTE_MAX, MAX_ORIGIN_LENGTH } from "./cors-limits";
export const WILDCARD = "*";

/** What each door accepts, answered in a preflight. */
export const CORS_DOORS = {
  trpc: ["GET", "POST"],
  rest: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  oauth: ["GET", "POST"],
} as const satisfies Record<string, readonly string[]>;
export type CorsDoor = keyof typeof CORS_DOORS;

/** Request headers a cross-origin caller may send (beyond the CORS-safelisted ones). */
export const CORS_ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-Request-Id"] as const;
/** Response headers a cross-origin page may read: request id, rate-limit state, and the auth challenge. */
export const CORS_EXPOSED_HEADERS = [
  "X-Request-Id",
  "RateLimit",
  "RateLimit-Policy",
  "Retry-After",
  "WWW-Authenticate",
];
/** Seconds a browser may reuse a preflight answer. Short, so a removal is not outlived by long. */
export const CORS_MAX_AGE_SECONDS = 600;

export type OriginInput = { ok: true; origin: string } | { ok: false; reason: string };

/**
 * Validates an origin typed by an administrator (dashboard or CLI) and
 * returns the form a browser sends. Scheme http or https, a host, an
 * optional port — nothing else. Case, a default port and an IDN are
 * normalised (they name the same origin); a path, even a lone trailing
 * slash, a query, user info or a partial wildcard are refused with the
 * reason, since they show a misunderstanding the person should fix.
 */
export function parseOriginInput(raw: string): OriginInput {
  const text = raw.trim();
  if (text === "") return { ok: false, reason: "Enter an origin such as https://app.example.com" };
  if (text.length > MAX_ORIGIN_LENGTH)
    return { ok: false, reason: `An origin is at most ${MAX_ORIGIN_LENGTH} characters` };
  if (text === WILDCARD) return { ok: true, origin: WILDCARD };
  if (text.toLowerCase() === "null") {
    return {
      ok: false,
      reason: "The origin null is what sandboxed frames and file: pages send; it can never be allowed",
    };
  }
  if (text.includes("*")) {
    return {
      ok: false,
      reason: "Partial wildcards such as https://*.example.com are not supported: list each origin, or * alone",
    };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!scheme)
    return { ok: false, reason: "An origin starts with https:// (or http://), e.g. https://app.example.com" };
  const protocol = scheme[1]?.toLowerCase();
  if (protocol !== "https" && protocol !== "http") {
    return { ok: false, reason: `Only http and https origins can call the API (not ${protocol}:)` };
  }
  const authority = text.slice(scheme[0].length);
  if (/[/?#\\]/.test(authority)) {
    return {
      ok: false,
      reason: "An origin has no path, query or fragment — not even a trailing slash: e.g. https://app.example.com",
    };
  }
  if (authority.includes("@")) return { ok: false, reason: "An origin has no user name or password (user@…)" };
  if (/\s/.test(authority)) return { ok: false, reason: "An origin contains no spaces" };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: "This is not a valid origin: check the host name and port" };
  }
  if (!url.hostname) return { ok: false, reason: "An origin needs a host name" };
  const origin = url.origin;
  if (origin === "null" || origin.length > MAX_ORIGIN_LENGTH) {
    return { ok: false, reason: "This is not a valid origin: check the host name and port" };
  }
  return { ok: true, origin };
}

/**
 * True when a request's `Origin` header is exactly how a browser writes an
 * http(s) origin. Anything else (a path, mixed case, raw Unicode, a default
 * port, junk) cannot match an entry and is not worth a query.
 */
export function isCanonicalOrigin(value: string): boolean {
  if (value.length === 0 || value.length > MAX_ORIGIN_LENGTH) return false;
  if (!value.startsWith("https://") && !value.startsWith("http://")) return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** What the allow-list grants one origin. */
export interface CorsGrant {
  /** The value of Access-Control-Allow-Origin: the origin itself, or `*` from a wildcard entry. */
  allowOrigin: string;
  credentials: boolean;
  /** The entry that matched (the origin or `*`). */
  entry: string;
}

/**
 * The grant for a request's `Origin`, or null. An exact entry wins over `*`;
 * `*` never grants credentials (the table cannot hold one that does, and
 * this says so again), and never answers `null` or a malformed origin.
 */
export async function corsGrantFor(db: Executor, originHeader: string | null): Promise<CorsGrant | null> {
  if (originHeader === null || !isCanonicalOrigin(originHeader)) return null;
  const rows = await db
    .select({ origin: corsOrigins.origin, allowCredentials: corsOrigins.allowCredentials })
    .from(corsOrigins)
    .where(inArray(corsOrigins.origin, [originHeader, WILDCARD]))
    .all();
  const exact = rows.find((r) => r.origin === originHeader);
  if (exact) return { allowOrigin: originHeader, credentials: exact.allowCredentials, entry: exact.origin };
  if (rows.some((r) => r.origin === WILDCARD)) return { allowOrigin: WILDCARD, credentials: false, entry: WILDCARD };
  return null;
}

/**
 * Whether cookie-authenticated writes are accepted from this origin (CSRF):
 * only an exact entry flagged for credentials. Never the wildcard.
 */
export async function isCredentialedOrigin(db: Executor, origin: string): Promise<boolean> {
  if (!isCanonicalOrigin(origin)) return false;
  const row = await db
    .select({ allowCredentials: corsOrigins.allowCredentials })
    .from(corsOrigins)
    .where(eq(corsOrigins.origin, origin))
    .get();
  return row?.allowCredentials === true;
}

/** Headers on an actual (non-preflight) response for a granted origin. */
export function corsResponseHeaders(grant: CorsGrant | null): Record<string, string> {
  if (!grant) return {};
  const headers: Record<string, string> = {
    "access-control-allow-origin": grant.allowOrigin,
    "access-control-expose-headers": CORS_EXPOSED_HEADERS.join(", "),
  };
  if (grant.credentials && grant.allowOrigin !== WILDCARD) headers["access-control-allow-credentials"] = "true";
  return headers;
}

/** Headers on a preflight answer for a granted origin: the explicit methods and headers, and the max age. */
export function corsPreflightHeaders(grant: CorsGrant | null, door: CorsDoor): Record<string, string> {
  if (!grant) return {};
  const headers: Record<string, string> = {
    "access-control-allow-origin": grant.allowOrigin,
    "access-control-allow-methods": CORS_DOORS[door].join(", "),
    "access-control-allow-headers": CORS_ALLOWED_HEADERS.join(", "),
    "access-control-max-age": String(CORS_MAX_AGE_SECONDS),
  };
  if (grant.credentials && grant.allowOrigin !== WILDCARD) headers["access-control-allow-credentials"] = "true";
  return headers;
}

/** Adds each name to `Vary` unless it is there already (or `*` is), keeping what is there. */
export function addVary(headers: Headers, ...names: string[]): void {
  for (const name of names) {
    const vary = headers.get("vary");
    if (!vary) headers.set("vary", name);
    else if (!vary.split(",").some((v) => v.trim().toLowerCase() === name.toLowerCase() || v.trim() === "*")) {
      headers.set("vary", `${vary}, ${name}`);
    }
  }
}

/** Adds `Origin` to `Vary` (every API answer depends on it), keeping what is there. */
export function varyOnOrigin(headers: Headers): void {
  addVary(headers, "Origin");
}

/**
 * What a preflight answer depends on: the Origin, and the method and headers
 * the browser asks about. A shared cache that keyed a preflight on the Origin
 * alone could hand one request's answer to another that asked for something
 * else; every preflight, granted or not, says so.
 */
export const PREFLIGHT_VARY = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"] as const;

export function varyOnPreflight(headers: Headers): void {
  addVary(headers, ...PREFLIGHT_VARY);
}

/** What the dry-run tester on the "CORS origins" page reports for one origin and method. */
export interface CorsExplanation {
  /** Whether a page on this origin may read the answer to this method. */
  allowed: boolean;
  credentials: boolean;
  /** The allow-list entry that decides, if any. */
  entry: string | null;
  reason: string;
  /** What an OPTIONS preflight from this origin gets (beyond Vary). */
  preflight: Record<string, string>;
  /** What the actual response carries (beyond Vary and the usual API headers). */
  response: Record<string, string>;
}

/**
 * The dry run: the same decision `corsGrantFor` makes for a live request,
 * explained in words. Read-only, so it is not audited.
 */
export async function explainCors(
  db: Executor,
  input: { origin: string; method: string; door: CorsDoor; appOrigin?: string },
): Promise<CorsExplanation> {
  const method = input.method.toUpperCase();
  const none = { preflight: {}, response: {}, entry: null, credentials: false };
  if (input.origin === input.appOrigin) {
    return {
      ...none,
      allowed: true,
      reason: "This is the application's own origin: same-origin calls need no CORS headers.",
    };
  }
  if (!isCanonicalOrigin(input.origin)) {
    const parsed = parseOriginInput(input.origin);
    const reason = parsed.ok
      ? `Browsers send this origin as ${parsed.origin}; the value as typed matches nothing, so it gets no CORS headers.`
      : `${parsed.reason}. A request with this Origin gets no CORS headers.`;
    return { ...none, allowed: false, reason };
  }
  const grant = await corsGrantFor(db, input.origin);
  if (!grant) {
    return {
      ...none,
      allowed: false,
      reason: "Not on the allow-list: no CORS headers, so the browser keeps the answer from the page.",
    };
  }
  const preflight = corsPreflightHeaders(grant, input.door);
  const response = corsResponseHeaders(grant);
  const methods: readonly string[] = CORS_DOORS[input.door];
  if (!methods.includes(method)) {
    return {
      allowed: false,
      credentials: grant.credentials,
      entry: grant.entry,
      preflight,
      response,
      reason: `The origin is allowed, but this endpoint does not accept ${method.slice(0, 10)} (only ${methods.join(", ")}); the preflight fails.`,
    };
  }
  const how =
    grant.entry === WILDCARD
      ? "Allowed by the wildcard entry *, without credentials (cookies are not sent)."
      : grant.credentials
        ? "Allowed, with credentials: the browser may send cookies and read the answer."
        : "Allowed, without credentials: token calls work; cookies are not sent.";
  return { allowed: true, credentials: grant.credentials, entry: grant.entry, preflight, response, reason: how };
}
