import type { Role } from "@/db/schema";
import type { Scope } from "./scopes";

/**
 * Who is calling, resolved once per request in the context step. Handlers
 * only ever see this, never the raw credential.
 */
export interface Principal {
  /** How the caller authenticated. */
  kind: "session";
  userId: string;
  email: string;
  role: Role;
  /** Effective scopes: for a session, those of the role. */
  scopes: readonly Scope[];
  sessionId: string;
  mustChangePassword: boolean;
}

/** Network facts about the caller, resolved from the request (see security/client-ip.ts). */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export const cliClient: ClientInfo = { ip: null, userAgent: "gatehouse-cli", requestId: "cli" };
