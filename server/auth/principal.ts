import type { Role } from "@/db/schema";
import type { Scope } from "./scopes";

/**
 * Who is calling, resolved once per request in the context step. Handlers
 * only ever see this, never the raw credential.
 */
interface PrincipalBase {
  userId: string;
  email: string;
  /** The user's role as of this request (read from the users row, not from the credential). */
  role: Role;
  /** Effective scopes: what this credential may do right now. */
  scopes: readonly Scope[];
  mustChangePassword: boolean;
}

/** A browser session (tRPC only): scopes are those of the role. */
export interface SessionPrincipal extends PrincipalBase {
  kind: "session";
  sessionId: string;
  /**
   * ADMIN_2FA=required and this is an admin without a second factor: nothing
   * but enrolling one is allowed (server/trpc.ts, server/auth/admin-page-gate.ts).
   * Bearer credentials are never held to this.
   */
  mustEnrolSecondFactor: boolean;
}

/**
 * An API token (both transports): scopes are the token's scopes ∩ the
 * owner's current role, so a demotion takes powers away on the next request.
 */
export interface TokenPrincipal extends PrincipalBase {
  kind: "token";
  tokenId: string;
}

/**
 * An OAuth 2.0 access token (both transports): it acts for the user who
 * authorised the client (or the client's service account, for
 * client_credentials); scopes are the grant's ∩ the client's ∩ the role's.
 */
export interface OAuthPrincipal extends PrincipalBase {
  kind: "oauth";
  clientId: string;
  grantId: string;
  /** The access token's jti. */
  accessTokenId: string;
}

export type Principal = SessionPrincipal | TokenPrincipal | OAuthPrincipal;

/** Network facts about the caller, resolved from the request (see security/client-ip.ts). */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export const cliClient: ClientInfo = { ip: null, userAgent: "gatehouse-cli", requestId: "cli" };
