import type { Role } from "@/db/schema";

/**
 * The one catalogue of scopes. A procedure declares the scopes it needs in its
 * meta; that declaration drives the runtime check on both transports and the
 * OpenAPI document.
 */
export const SCOPES = {
  "contacts:read": "Read your contacts",
  "contacts:write": "Create, change and delete your contacts",
  "tokens:read": "List your API tokens",
  "tokens:write": "Create, rotate and revoke your API tokens",
  admin: "Administer Gatehouse: users, tokens, clients, origins, limits and the audit log",
  /** For a Prometheus scraper's token: GET /api/metrics and nothing else (admins only). */
  "metrics:read": "Read the Prometheus metrics at /api/metrics",
} as const;

export type Scope = keyof typeof SCOPES;
export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

/** What a role may do; a credential never holds more than its owner's role allows. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  admin: ALL_SCOPES,
  member: ["contacts:read", "contacts:write", "tokens:read", "tokens:write"],
};

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}
