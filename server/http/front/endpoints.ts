/**
 * Which requests Gatehouse's own HTTP front answers itself, without Next.js:
 * the machine endpoints, whose callers are programs (API clients, OAuth
 * clients, probes, scrapers). Everything else — pages, NextAuth under
 * /api/auth, the API reference at /api/docs, the consent page, the
 * authorization endpoint (a page flow) and static assets — goes to Next.js.
 *
 * Decided on the raw path, before anything decodes it, so a path that
 * cannot be decoded still reaches the door it names and gets that door's
 * answer (problem+json, logged, counted, rate limited).
 */
export type MachineEndpoint =
  | "rest"
  | "trpc"
  | "oauth-token"
  | "oauth-introspect"
  | "oauth-revoke"
  | "oauth-jwks"
  | "oauth-metadata"
  | "well-known"
  | "health"
  | "ready"
  | "metrics"
  | "openapi";

const EXACT: Record<string, MachineEndpoint> = {
  "/api/v1": "rest",
  "/api/trpc": "trpc",
  "/oauth/token": "oauth-token",
  "/oauth/introspect": "oauth-introspect",
  "/oauth/revoke": "oauth-revoke",
  "/oauth/jwks": "oauth-jwks",
  "/.well-known/oauth-authorization-server": "oauth-metadata",
  "/api/health": "health",
  "/api/ready": "ready",
  "/api/metrics": "metrics",
  "/api/openapi.json": "openapi",
};

const PREFIXES: Array<[string, MachineEndpoint]> = [
  ["/api/v1/", "rest"],
  ["/api/trpc/", "trpc"],
  ["/.well-known/", "well-known"],
];

/** The raw path of a request target: up to `?` (a fragment is never sent). */
export function rawPathOf(target: string): string {
  const q = target.indexOf("?");
  return q === -1 ? target : target.slice(0, q);
}

export function machineEndpointOf(rawPath: string): MachineEndpoint | null {
  const exact = EXACT[rawPath];
  if (exact) return exact;
  // A trailing slash names the same endpoint (the doors' own routers decide what it means).
  const trimmed = rawPath.length > 1 && rawPath.endsWith("/") ? rawPath.slice(0, -1) : rawPath;
  const again = EXACT[trimmed];
  if (again) return again;
  for (const [prefix, endpoint] of PREFIXES) if (rawPath.startsWith(prefix)) return endpoint;
  return null;
}

/** The methods anything here answers; the rest (TRACE, CONNECT, WebDAV, inventions) get 405 or 501. */
export const SERVED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const SERVED = new Set<string>(SERVED_METHODS);

export function isServedMethod(method: string): boolean {
  return SERVED.has(method);
}
