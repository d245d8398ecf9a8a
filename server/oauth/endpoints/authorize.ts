import type { Principal } from "../../auth/principal";
import { principalFromSessionCookie } from "../../auth/session-principal";
import type { Runtime } from "../../runtime";
import { isSameOriginRequest } from "../../security/csrf";
import { actorOf } from "../../services/audit";
import { getClientRow } from "../../services/oauth-clients";
import {
  type AuthorizationRequest,
  authorizationResponseUrl,
  createPendingAuthorization,
  decideConsent,
  hasConsent,
  issueAuthorizationCode,
} from "../../services/oauth-consent";
import { oauthErrorPage } from "../error-page";
import { OAuthError } from "../errors";
import { type Params, readFormBody, strictParams } from "../form";
import { OAUTH_PATHS } from "../metadata";
import { matchRedirectUri } from "../redirect-uri";
import { grantableScopes, parseScopeParam } from "../scope";
import { throttleOAuth } from "../throttle";
import { oauthServiceContext } from "./context";

/**
 * The authorization endpoint (RFC 6749 §3.1, §4.1; RFC 7636; RFC 9700).
 *
 * GET: the client sends the user here. In order:
 * 1. client_id and redirect_uri are checked first; if either is missing,
 *    repeated, unknown or not registered character for character, the user
 *    sees an error page — never a redirect to an unverified URI;
 * 2. every other problem (an unknown or repeated parameter, a response_type
 *    other than `code`, PKCE missing or not S256, a bad scope) goes back to
 *    the client's redirect URI as `error=…` with its `state` and our `iss`;
 * 3. no session: to the sign-in page, which comes back here;
 * 4. the user has already consented to these scopes for this client: a code
 *    goes straight back; otherwise the request is parked server-side and the
 *    user is sent to the consent page.
 *
 * POST: the consent page's form (same-origin only, with its anti-CSRF
 * token, for the signed-in user who was asked).
 */
const AUTHORIZE_PARAMS = new Set([
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
]);
const CONSENT_PARAMS = new Set(["request_id", "csrf_token", "decision"]);
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE = 1000;

function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
}

function only(search: URLSearchParams, name: string): string | null {
  const values = search.getAll(name);
  return values.length === 1 ? (values[0] as string) : null;
}

export async function handleAuthorize(req: Request, runtime: Runtime): Promise<Response> {
  if (req.method === "POST") return handleConsentPost(req, runtime);
  // HEAD would run the GET logic (park a request, even issue a code) for a response nobody reads.
  if (req.method !== "GET") {
    return new Response(null, { status: 405, headers: { allow: "GET, POST" } });
  }
  const svc = oauthServiceContext(req, runtime);
  const url = new URL(req.url);
  const search = url.searchParams;
  // Each request may park a pending authorization or issue a code: counted per client IP like the token endpoint.
  try {
    await throttleOAuth(runtime, svc.client, "oauth.authorize");
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    const page = oauthErrorPage(req, { status: error.status, title: "Too many requests", message: error.description });
    for (const [name, value] of Object.entries(error.headers)) page.headers.set(name, value);
    return page;
  }

  // 1. Whom would we redirect to? Until that is settled, errors are shown here.
  const clientId = only(search, "client_id");
  const redirectParam = only(search, "redirect_uri");
  if (clientId === null) {
    return oauthErrorPage(req, {
      status: 400,
      title: "Invalid request",
      message: "client_id is missing or repeated.",
      error: "invalid_request",
    });
  }
  let client: AuthorizationRequest["client"] | null = null;
  try {
    client = /^ocl_[0-9a-z]{20}$/.test(clientId) ? getClientRow(runtime.db, clientId) : null;
  } catch {
    client = null;
  }
  if (!client || client.disabledAt) {
    return oauthErrorPage(req, {
      status: 400,
      title: "Unknown application",
      message: "No active application has this client_id.",
      error: "invalid_client",
    });
  }
  const redirectUri = redirectParam === null ? null : matchRedirectUri(client.redirectUris, redirectParam);
  if (redirectUri === null) {
    return oauthErrorPage(req, {
      status: 400,
      title: "Invalid redirect URI",
      message:
        "redirect_uri is missing, repeated, or not exactly one of the addresses registered for this application.",
      error: "invalid_request",
    });
  }

  // 2. From here on, errors go back to the client.
  const stateValues = search.getAll("state");
  const state = stateValues.length === 1 ? (stateValues[0] as string) : null;
  const iss = svc.issuer;
  const back = (error: string, description: string) =>
    seeOther(authorizationResponseUrl(redirectUri, { error, error_description: description, state, iss }));

  let params: Params;
  try {
    params = strictParams(search, AUTHORIZE_PARAMS);
  } catch (error) {
    return back("invalid_request", (error as OAuthError).description);
  }
  if (state !== null && state.length > MAX_STATE) return back("invalid_request", "state is too long");
  if (params.get("response_type") !== "code") {
    return params.has("response_type")
      ? back("unsupported_response_type", "Only response_type=code is supported")
      : back("invalid_request", "response_type is missing");
  }
  if (!client.grantTypes.includes("authorization_code")) {
    return back("unauthorized_client", "This client may not use the authorization code flow");
  }
  const method = params.get("code_challenge_method");
  const challenge = params.get("code_challenge");
  if (challenge === undefined) return back("invalid_request", "PKCE is required: send code_challenge with method S256");
  if (method !== "S256") return back("invalid_request", "code_challenge_method must be S256 (plain is not accepted)");
  if (!CODE_CHALLENGE.test(challenge))
    return back("invalid_request", "code_challenge must be BASE64URL(SHA-256(verifier))");
  let requested: ReturnType<typeof parseScopeParam>;
  try {
    requested = parseScopeParam(params.get("scope"));
  } catch (error) {
    return back("invalid_scope", (error as OAuthError).description);
  }

  // 3. Who is the user?
  const principal = await principalFromSessionCookie(req.headers, runtime);
  // Both come back here afterwards (the pages follow only our own origin: server/security/return-to.ts).
  const here = encodeURIComponent(url.pathname + url.search);
  if (!principal) return seeOther(`/signin?callbackUrl=${here}`);
  if (principal.mustChangePassword) return seeOther(`/change-password?callbackUrl=${here}`);

  let scopes: AuthorizationRequest["scopes"];
  try {
    scopes = grantableScopes(requested, client.scopes, principal.role);
  } catch (error) {
    return back("invalid_scope", (error as OAuthError).description);
  }
  const request: AuthorizationRequest = { client, redirectUri, scopes, state, codeChallenge: challenge };
  const userSvc = { ...svc, actor: actorOf(principal) };

  // 4. Asked before? Then answer at once.
  if (hasConsent(runtime.db, principal.userId, client.id, scopes)) {
    const now = svc.clock.now();
    const code = runtime.db.transaction((tx) => issueAuthorizationCode(tx, request, principal.userId, now));
    return seeOther(authorizationResponseUrl(redirectUri, { code, state, iss }));
  }
  const pendingId = createPendingAuthorization(userSvc, request, principal.userId);
  return seeOther(`${OAUTH_PATHS.consent}?request=${pendingId}`);
}

async function handleConsentPost(req: Request, runtime: Runtime): Promise<Response> {
  const svc = oauthServiceContext(req, runtime);
  if (!isSameOriginRequest(req.headers, runtime.config.appUrl.origin)) {
    return oauthErrorPage(req, {
      status: 403,
      title: "Forbidden",
      message: "This form must be sent from the consent page.",
    });
  }
  const principal: Principal | null = await principalFromSessionCookie(req.headers, runtime);
  if (!principal || principal.mustChangePassword) {
    return oauthErrorPage(req, {
      status: 401,
      title: "Signed out",
      message: "Sign in again, then start over from the application.",
    });
  }
  let params: Params;
  try {
    params = await readFormBody(req, CONSENT_PARAMS);
  } catch (error) {
    const description = error instanceof OAuthError ? error.description : "Malformed form";
    return oauthErrorPage(req, { status: 400, title: "Invalid request", message: description });
  }
  const decision = params.get("decision");
  const requestId = params.get("request_id");
  const csrfToken = params.get("csrf_token");
  if ((decision !== "allow" && decision !== "deny") || !requestId || !csrfToken) {
    return oauthErrorPage(req, { status: 400, title: "Invalid request", message: "The form is incomplete." });
  }
  const outcome = decideConsent(
    { ...svc, actor: actorOf(principal) },
    { requestId, userId: principal.userId, csrfToken, allow: decision === "allow" },
  );
  if (outcome.kind === "invalid") {
    return oauthErrorPage(req, {
      status: 400,
      title: "Request expired",
      message: "This authorization request has expired, was already answered, or was not made by you.",
    });
  }
  return seeOther(outcome.location);
}
