import { encode } from "next-auth/jwt";
import * as oauth from "oauth4webapi";
import { expect } from "vitest";
import { openDatabase } from "@/db";
import { oauthGrants, type Role } from "@/db/schema";
import { sessionCookieName } from "../../auth/session-cookie";
import type { Config } from "../../config";
import { guardApi } from "../../http/api-guard";
import { handleRest } from "../../http/rest-handler";
import { handleTrpc } from "../../http/trpc-handler";
import { newId } from "../../ids";
import { CLI_ACTOR } from "../../services/audit";
import { type CreateClientInput, createClient } from "../../services/oauth-clients";
import { openConsent } from "../../services/oauth-consent";
import { createTestRuntime, seedUser, type TestRuntime } from "../../testing/harness";
import { handleAuthorize } from "../endpoints/authorize";
import { handleJwks, handleMetadata } from "../endpoints/discovery";
import { handleIntrospection } from "../endpoints/introspect";
import { handleRevocation } from "../endpoints/revoke";
import { handleTokenRequest } from "../endpoints/token";
import { OAUTH_PATHS } from "../metadata";

/**
 * Gatehouse's OAuth endpoints and API doors on an in-memory database, routed
 * exactly as app/ routes them (the same handlers, the same guardApi), with a
 * `fetch` that a client library can be given (oauth4webapi's customFetch):
 * real Request and Response objects end to end, without a listening socket.
 */
export const APP = "http://127.0.0.1:3000";
const TEST_CLIENT = { ip: null, userAgent: null, requestId: "test" };

export interface Testbed {
  rt: TestRuntime;
  dispatch(req: Request): Promise<Response>;
  fetch: typeof fetch;
  sessionCookie(user: { id: string }, sessionId: string): Promise<string>;
  registerClient(input: Partial<CreateClientInput>): Promise<{ clientId: string; clientSecret: string | null }>;
  user(email: string, role?: Role): ReturnType<typeof seedUser>;
}

/** `overrides` change the runtime's configuration (e.g. `rateLimit` with a small quota). */
export function createTestbed(overrides: Partial<Config> = {}): Testbed {
  const base = createTestRuntime({ appUrl: new URL(APP), ...overrides });
  // An on-disk database when one is named (storage tests read its bytes); in memory otherwise.
  const rt = overrides.databaseFile ? { ...base, db: openDatabase(overrides.databaseFile) } : base;
  const api = (handle: (req: Request, r: TestRuntime) => Promise<Response>) => (req: Request) =>
    guardApi(req, rt, "oauth", (request) => handle(request, rt));
  const routes: Record<string, (req: Request) => Promise<Response>> = {
    [OAUTH_PATHS.metadata]: api(handleMetadata),
    [OAUTH_PATHS.jwks]: api(handleJwks),
    [OAUTH_PATHS.token]: api(handleTokenRequest),
    [OAUTH_PATHS.introspect]: api(handleIntrospection),
    [OAUTH_PATHS.revoke]: api(handleRevocation),
    [OAUTH_PATHS.authorize]: (req) => handleAuthorize(req, rt),
  };
  const dispatch = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    const route = routes[path];
    if (route) return route(req);
    if (path.startsWith("/api/v1/")) return handleRest(req, rt);
    if (path.startsWith("/api/trpc/")) return handleTrpc(req, rt);
    return new Response("not found", { status: 404 });
  };
  return {
    rt,
    dispatch,
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => dispatch(new Request(input, init))) as typeof fetch,
    async sessionCookie(user, sessionId) {
      const name = sessionCookieName(rt.config.secure);
      const value = await encode({ token: { sub: user.id, sid: sessionId }, secret: rt.config.authSecret, salt: name });
      return `${name}=${value}`;
    },
    async registerClient(input) {
      const created = await createClient(
        { db: rt.db, clock: rt.clock, actor: CLI_ACTOR, client: { ip: null, userAgent: null, requestId: "test" } },
        {
          name: "Test app",
          type: "confidential",
          redirectUris: ["https://app.example.com/callback"],
          grantTypes: ["authorization_code", "refresh_token", "client_credentials"],
          scopes: ["contacts:read", "contacts:write"],
          ...input,
        },
      );
      return { clientId: created.client.id, clientSecret: created.clientSecret };
    },
    user: (email, role = "member") => seedUser(rt, email, role),
  };
}

/** The redirect URI registerClient() registers by default. */
export const CALLBACK = "https://app.example.com/callback";

/** oauth4webapi options that send its requests through the testbed (http: is fine, there is no socket). */
export function clientOptions(bed: Testbed) {
  return { [oauth.customFetch]: bed.fetch, [oauth.allowInsecureRequests]: true } as const;
}

/** RFC 8414 discovery through the testbed, validated by oauth4webapi. */
export async function discover(bed: Testbed): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(APP);
  return oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { ...clientOptions(bed), algorithm: "oauth2" }),
  );
}

/** A signed-in user: their row and a session cookie for it. */
export async function signedIn(bed: Testbed, email: string, role: Role = "member") {
  const seeded = await bed.user(email, role);
  return { user: seeded.user, cookie: await bed.sessionCookie(seeded.user, seeded.session.id) };
}

/** GET /oauth/authorize with exactly these query parameters (in this order, repeats allowed), as the browser sends it. */
export function authorizeRequest(params: [string, string][] | Record<string, string>, cookie?: string): Request {
  const url = new URL(OAUTH_PATHS.authorize, APP);
  for (const [name, value] of Array.isArray(params) ? params : Object.entries(params)) {
    url.searchParams.append(name, value);
  }
  return new Request(url, { headers: cookie ? { cookie } : {} });
}

/** What the consent page does when it renders: a fresh anti-CSRF token for the user's parked request (null if not theirs). */
export async function renderConsent(bed: Testbed, requestId: string, userId: string): Promise<string | null> {
  const view = await openConsent(
    { db: bed.rt.db, clock: bed.rt.clock, actor: { kind: "user", id: userId }, client: TEST_CLIENT },
    requestId,
    userId,
  );
  return view?.csrfToken ?? null;
}

/** The consent form's POST, same-origin by default; `headers` replace or add to the browser's. */
export function postConsent(
  bed: Testbed,
  input: { cookie: string; requestId: string; csrfToken: string; decision?: "allow" | "deny" },
  headers: Record<string, string> = { origin: APP },
): Promise<Response> {
  return bed.dispatch(
    new Request(new URL(OAUTH_PATHS.authorize, APP), {
      method: "POST",
      headers: { cookie: input.cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams({
        request_id: input.requestId,
        csrf_token: input.csrfToken,
        decision: input.decision ?? "allow",
      }),
    }),
  );
}

export interface Authorized {
  /** Where the browser ends up: the client's redirect URI with the response parameters. */
  callback: URL;
  /** Whether the user was asked (false: an earlier consent covered the scopes). */
  asked: boolean;
  verifier: string;
  state: string;
}

/**
 * The whole front channel as a browser goes through it: GET /oauth/authorize
 * (PKCE S256, a random state), and when the consent page is shown, its form
 * posted with `decision`. Fails the test unless it ends in a redirect.
 */
export async function authorize(
  bed: Testbed,
  input: {
    clientId: string;
    cookie: string;
    userId: string;
    scope?: string;
    redirectUri?: string;
    decision?: "allow" | "deny";
    /** The PKCE verifier whose S256 challenge is sent (default: a fresh random one). */
    verifier?: string;
  },
): Promise<Authorized> {
  const verifier = input.verifier ?? oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const params: Record<string, string> = {
    response_type: "code",
    client_id: input.clientId,
    redirect_uri: input.redirectUri ?? CALLBACK,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  };
  if (input.scope !== undefined) params.scope = input.scope;
  let res = await bed.dispatch(authorizeRequest(params, input.cookie));
  expect(res.status).toBe(303);
  let location = res.headers.get("location") as string;
  const asked = location.startsWith(`${OAUTH_PATHS.consent}?`);
  if (asked) {
    const requestId = new URL(location, APP).searchParams.get("request") as string;
    const csrfToken = await renderConsent(bed, requestId, input.userId);
    expect(csrfToken).not.toBeNull();
    res = await postConsent(bed, {
      cookie: input.cookie,
      requestId,
      csrfToken: csrfToken as string,
      decision: input.decision,
    });
    expect(res.status).toBe(303);
    location = res.headers.get("location") as string;
  }
  return { callback: new URL(location), asked, verifier, state };
}

export type Registered = Awaited<ReturnType<Testbed["registerClient"]>>;

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;
}

/**
 * A form POST to an OAuth endpoint as `client`: HTTP Basic when it has a
 * secret, `client_id` alone when it is public, no authentication for null.
 */
export async function postForm(bed: Testbed, path: string, client: Registered | null, params: Record<string, string>) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  const form = { ...params };
  if (client?.clientSecret) headers.authorization = basicAuth(client.clientId, client.clientSecret);
  else if (client) form.client_id = client.clientId;
  const res = await bed.dispatch(
    new Request(`${APP}${path}`, { method: "POST", headers, body: new URLSearchParams(form) }),
  );
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}

export async function tokenRequest(bed: Testbed, client: Registered, params: Record<string, string>) {
  const res = await postForm(bed, OAUTH_PATHS.token, client, params);
  return { status: res.status, body: res.json as Record<string, string> };
}

/** A client_credentials access token (the request must succeed). */
export async function clientCredentialsToken(bed: Testbed, client: Registered, scope?: string): Promise<string> {
  const res = await tokenRequest(bed, client, { grant_type: "client_credentials", ...(scope ? { scope } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token as string;
}

/**
 * The whole authorization code flow for a seeded user (consenting when
 * asked), then the code redeemed: the token response. `scope` null sends no
 * scope parameter.
 */
export async function authorizationCodeTokens(
  bed: Testbed,
  client: Registered,
  who: Awaited<ReturnType<Testbed["user"]>>,
  scope: string | null = "contacts:read",
) {
  const cookie = await bed.sessionCookie(who.user, who.session.id);
  const { callback, verifier } = await authorize(bed, {
    clientId: client.clientId,
    cookie,
    userId: who.user.id,
    ...(scope === null ? {} : { scope }),
  });
  const code = callback.searchParams.get("code");
  expect(code, callback.href).toBeTruthy();
  const res = await tokenRequest(bed, client, {
    grant_type: "authorization_code",
    code: code as string,
    redirect_uri: CALLBACK,
    code_verifier: verifier,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { access_token: string; refresh_token: string; scope: string };
}

/** A live authorization-code grant, as the token endpoint leaves one after a code is redeemed (no tokens). */
export async function seedGrant(
  rt: Pick<TestRuntime, "db" | "clock">,
  input: { clientId: string; userId: string; ttlMs?: number },
): Promise<string> {
  const now = rt.clock.now();
  const id = newId("oauthGrant");
  await rt.db
    .insert(oauthGrants)
    .values({
      id,
      clientId: input.clientId,
      userId: input.userId,
      kind: "authorization_code",
      scopes: ["contacts:read"],
      createdAt: now,
      expiresAt: new Date(now.getTime() + (input.ttlMs ?? 86_400_000)),
    })
    .run();
  return id;
}
