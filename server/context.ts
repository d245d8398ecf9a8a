import type { Db } from "@/db";
import type { ClientInfo, Principal } from "./auth/principal";
import { principalFromSessionCookie } from "./auth/session-principal";
import type { Clock } from "./clock";
import { newId } from "./ids";
import type { Runtime } from "./runtime";
import { resolveClient } from "./security/client-ip";

/** Which door the request came through. REST never honours the session cookie. */
export type Transport = "trpc" | "rest" | "internal";

/**
 * Why there is no principal although a credential was presented; drives the
 * `error` attribute of `WWW-Authenticate` (RFC 6750 §3).
 */
export type CredentialError = "invalid_token" | "invalid_request";

export interface Context {
  db: Db;
  clock: Clock;
  principal: Principal | null;
  client: ClientInfo;
  transport: Transport;
  credentialError: CredentialError | null;
}

export interface InnerContextOptions {
  db: Db;
  principal?: Principal | null;
  client?: Partial<ClientInfo>;
  clock?: Clock;
  transport?: Transport;
  credentialError?: CredentialError | null;
}

/** The context without a request: what tests and internal callers build directly. */
export function createContextInner(opts: InnerContextOptions): Context {
  return {
    db: opts.db,
    clock: opts.clock ?? { now: () => new Date() },
    principal: opts.principal ?? null,
    client: { ip: null, userAgent: null, requestId: newId("request"), ...opts.client },
    transport: opts.transport ?? "internal",
    credentialError: opts.credentialError ?? null,
  };
}

const REQUEST_ID = /^[A-Za-z0-9_.:-]{8,64}$/;

/** A caller's `X-Request-Id` is kept only when it is well-formed; otherwise we make one. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get("x-request-id");
  return given && REQUEST_ID.test(given) ? given : newId("request");
}

/** Reads a standard `Request` (no Next.js APIs) into the context of one call. */
export async function createContext(req: Request, transport: Transport, runtime: Runtime): Promise<Context> {
  const { db, clock } = runtime;
  const resolved = resolveClient(req.headers, runtime.trustedProxies);
  const client: ClientInfo = {
    ip: resolved.ip,
    userAgent: req.headers.get("user-agent")?.slice(0, 512) ?? null,
    requestId: requestIdOf(req.headers),
  };

  let principal: Principal | null = null;
  let credentialError: CredentialError | null = null;

  if (req.headers.has("authorization")) {
    // Bearer credentials are resolved here for both transports (API tokens
    // and OAuth access tokens plug in at this point). Until one matches,
    // a presented credential is an invalid one.
    credentialError = "invalid_token";
  } else if (transport === "trpc") {
    principal = await principalFromSessionCookie(req.headers, runtime);
  }

  return { db, clock, principal, client, transport, credentialError };
}
