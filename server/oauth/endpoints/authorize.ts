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
import { parseResourceParam } from "../resource";
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
 * 2. every other problem (a repeated parameter, a response_type other than
 *    `code`, PKCE missing or not S256, a bad scope or resource) goes back to
 *    the client's redirect URI as `error=…` with its `state` and our `iss`;
 * 3. no session: to the sign-in page, which comes back here;
 * 4. the user has already consented to these scopes for this client: a code
 *    goes straight back; otherwise the request is parked server-side and the
 *    user is sent to the consent page.
 *
 * Parameters we do not know are ignored (RFC 6749 §3.1), and never echoed.
 * Those we know of but do not implement were decided one by one, by what
 * ignoring them would do to a client that relies on them:
 * - `response_mode`: only `query` (the default for `code`). Anything else
 *   (`fragment`, `form_post`, `jwt` …) is `invalid_request`: ignoring it would
 *   deliver the code where the client does not look for it (OAuth 2.0
 *   Multiple Response Types §2.1 lets a server refuse a mode it lacks).
 * - `request`, `request_uri` (RFC 9101): refused (`request_not_supported`,
 *   `request_uri_not_supported`): ignoring them would silently drop the
 *   parameters the client put inside the request object.
 * - `resource` (RFC 8707): implemented (server/oauth/resource.ts).
 * - `prompt`: `none` is honoured (no page is shown: `login_required`,
 *   `consent_required` or `interaction_required` instead of the sign-in,
 *   consent or password-change page) and cannot be combined with another
 *   value; `consent` always shows the consent page; `login` and
 *   `select_account` are ignored — this server issues no ID token and no
 *   `auth_time`, so a client has no way to rely on a fresh sign-in anyway.
 * - `nonce`, `max_age`, `claims`, `ui_locales`, `login_hint`, `acr_values`,
 *   `display`, `id_token_hint`: OpenID Connect, whose ID token this server
 *   does not issue; ignored, like any other unknown parameter.
 *
 * POST: the consent page's form (same-origin only, with its anti-CSRF
 * token, for the signed-in user who was asked).
 */
/** The parameters read here; any other is ignored (and not carried to the sign-in page's return address). */
const READ_PARAMS = [
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
  "resource",
  "response_mode",
  "prompt",
] as const;
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
    client = /^ocl_[0-9a-z]{20}$/.test(clientId) ? await getClientRow(runtime.db, clientId) : null;
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
    params = strictParams(search);
  } catch (error) {
    return back((error as OAuthError).error, (error as OAuthError).description);
  }
  if (state !== null && state.length > MAX_STATE) return back("invalid_request", "state is too long");
  const responseMode = params.get("response_mode");
  if (responseMode !== undefined && responseMode !== "query") {
    return back("invalid_request", "Only response_mode=query is supported");
  }
  if (params.has("request")) return back("request_not_supported", "Request objects are not supported");
  if (params.has("request_uri")) return back("request_uri_not_supported", "request_uri is not supported");
  const prompt = new Set((params.get("prompt") ?? "").split(" ").filter(Boolean));
  if (prompt.has("none") && prompt.size > 1) return back("invalid_request", "prompt=none cannot be combined");
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
  let resource: string | null;
  try {
    resource = parseResourceParam(params, runtime.config);
  } catch (error) {
    return back("invalid_target", (error as OAuthError).description);
  }

  // 3. Who is the user?
  const principal = await principalFromSessionCookie(req.headers, runtime);
  // Both come back here afterwards (the pages follow only our own origin: server/security/return-to.ts),
  // with only the parameters this endpoint reads: the ignored ones are not carried through the sign-in.
  const kept = new URLSearchParams();
  for (const name of READ_PARAMS) {
    const value = params.get(name);
    if (value !== undefined) kept.set(name, value);
  }
  const here = encodeURIComponent(`${url.pathname}?${kept}`);
  if (!principal) {
    return prompt.has("none")
      ? back("login_required", "The user is not signed in")
      : seeOther(`/signin?callbackUrl=${here}`);
  }
  if (principal.mustChangePassword) {
    return prompt.has("none")
      ? back("interaction_required", "The user must change their password first")
      : seeOther(`/change-password?callbackUrl=${here}`);
  }

  let scopes: AuthorizationRequest["scopes"];
  try {
    scopes = grantableScopes(requested, client.scopes, principal.role);
  } catch (error) {
    return back("invalid_scope", (error as OAuthError).description);
  }
  const request: AuthorizationRequest = { client, redirectUri, scopes, state, codeChallenge: challenge, resource };
  const userSvc = { ...svc, actor: actorOf(principal) };

  // 4. Asked before (and the client does not insist on asking again)? Then answer at once.
  if (!prompt.has("consent") && (await hasConsent(runtime.db, principal.userId, client.id, scopes))) {
    const now = svc.clock.now();
    const code = await runtime.db.transaction(async (tx) => issueAuthorizationCode(tx, request, principal.userId, now));
    return seeOther(authorizationResponseUrl(redirectUri, { code, state, iss }));
  }
  if (prompt.has("none")) return back("consent_required", "The user has not consented to this request");
  const pendingId = await createPendingAuthorization(userSvc, request, principal.userId);
  return seeOther(`${OAUTH_PATHS.consent}?request=${pendingId}`);
}

async function handleConsentPost(req: Request, runtime: Runtime): Promise<Response> {
  const svc = oauthServiceContext(req, runtime);
  if (!(await isSameOriginRequest(req.headers, runtime.config.appUrl.origin))) {
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
    params = await readFormBody(req);
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
  const outcome = await decideConsent(
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
