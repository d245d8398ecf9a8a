import type { Db } from "@/db";
import { parseAuthorization } from "./auth/bearer";
import { principalFromAccessToken } from "./auth/oauth-principal";
import { readPendingSignInHandle } from "./auth/pending-sign-in-cookie";
import type { ClientInfo, Principal } from "./auth/principal";
import { principalFromSessionCookie } from "./auth/session-principal";
import { principalFromBearer } from "./auth/token-principal";
import type { Clock } from "./clock";
import { type Config, DEFAULT_TOKEN_POLICY, type TokenPolicy } from "./config";
import type { Keyring } from "./crypto/keyring";
import { newId } from "./ids";
import { looksLikeJwt } from "./oauth/access-token";
import { noteForwarding } from "./posture/forwarding";
import type { RateLimiter } from "./ratelimit/limiter";
import { newRateLimitRecord, type RateLimitRecord } from "./ratelimit/record";
import { limiterFor } from "./ratelimit/runtime";
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
  /** Lifetime rules for tokens created or rotated in this call. */
  tokenPolicy: TokenPolicy;
  /** Data-encryption keys for sealed columns; null where none was given (sealed data then fails closed). */
  keyring: Keyring | null;
  /** The runtime's rate limiter (server/ratelimit); null in contexts built by hand. Internal calls are not limited. */
  limiter: RateLimiter | null;
  /** Filled by the rate-limit step; the HTTP doors turn it into RateLimit/Retry-After headers. */
  rateLimit: RateLimitRecord;
  /** DATA_DIR (secrets.json lives there: key rotation changes it); null in contexts built by hand. */
  dataDir: string | null;
  /** The configuration the server runs with (the posture check judges it); null in contexts built by hand. */
  config: Config | null;
  /**
   * The pending sign-in handle from its HttpOnly cookie (tRPC only; server/auth/pending-sign-in-cookie.ts):
   * signIn.passkeyOptions binds a passkey challenge to that half-done sign-in.
   */
  pendingSignInHandle: string | null;
}

export interface InnerContextOptions {
  db: Db;
  principal?: Principal | null;
  client?: Partial<ClientInfo>;
  clock?: Clock;
  transport?: Transport;
  credentialError?: CredentialError | null;
  tokenPolicy?: TokenPolicy;
  keyring?: Keyring | null;
  limiter?: RateLimiter | null;
  dataDir?: string | null;
  config?: Config | null;
  pendingSignInHandle?: string | null;
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
    tokenPolicy: opts.tokenPolicy ?? DEFAULT_TOKEN_POLICY,
    keyring: opts.keyring ?? null,
    limiter: opts.limiter ?? null,
    rateLimit: newRateLimitRecord(),
    dataDir: opts.dataDir ?? null,
    config: opts.config ?? null,
    pendingSignInHandle: opts.pendingSignInHandle ?? null,
  };
}

/** What a caller's `X-Request-Id` must look like to be kept (also the OpenAPI document's pattern for it). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{8,64}$/;

/** A caller's `X-Request-Id` is kept only when it is well-formed; otherwise we make one. */
export function requestIdOf(headers: Headers): string {
  return requestIdFrom(headers.get("x-request-id"));
}

export function requestIdFrom(given: string | null | undefined): string {
  return given && REQUEST_ID_PATTERN.test(given) ? given : newId("request");
}

/** Reads a standard `Request` (no Next.js APIs) into the context of one call. */
export async function createContext(req: Request, transport: Transport, runtime: Runtime): Promise<Context> {
  const { db, clock } = runtime;
  const resolved = resolveClient(req.headers, runtime.trustedProxies);
  // For the posture check: forwarding headers from a peer that is not a trusted proxy (names and peer only).
  noteForwarding(req.headers, runtime.trustedProxies, clock.now());
  const client: ClientInfo = {
    ip: resolved.ip,
    userAgent: req.headers.get("user-agent")?.slice(0, 512) ?? null,
    requestId: requestIdOf(req.headers),
  };

  let principal: Principal | null = null;
  let credentialError: CredentialError | null = null;

  // Credentials come from the Authorization header only — never from the
  // URL (the HTTP doors refuse one there before we get here) and, on REST,
  // never from a cookie, so a cross-site request cannot ride on a browser
  // session.
  const authorization = parseAuthorization(req.headers.get("authorization"));
  if (authorization.kind === "bearer") {
    // The same resolution on both transports: an OAuth access token (a JWT) or an API token.
    const resolved = await (looksLikeJwt(authorization.credential)
      ? await principalFromAccessToken(
          authorization.credential,
          runtime,
          client,
          transport === "rest" ? "rest" : "trpc",
        )
      : principalFromBearer(authorization.credential, runtime, client));
    principal = resolved.principal;
    credentialError = resolved.error;
  } else if (authorization.kind === "malformed") {
    // The HTTP doors answer this with a 400 before the context is built;
    // this is the fallback for any other caller (fail closed, no cookie).
    credentialError = "invalid_request";
  } else if (transport === "trpc") {
    // No Authorization, or one with another scheme (RFC 6750 §3: treated as
    // no credential, e.g. HTTP Basic added by a proxy in front of the
    // dashboard): the session cookie decides.
    principal = await principalFromSessionCookie(req.headers, runtime);
  }

  return {
    db,
    clock,
    principal,
    client,
    transport,
    credentialError,
    tokenPolicy: runtime.config.tokens ?? DEFAULT_TOKEN_POLICY,
    keyring: runtime.keyring,
    limiter: limiterFor(runtime),
    rateLimit: newRateLimitRecord(),
    dataDir: runtime.config.dataDir,
    config: runtime.config,
    pendingSignInHandle: transport === "trpc" ? readPendingSignInHandle(req.headers, runtime.config.secure) : null,
  };
}
