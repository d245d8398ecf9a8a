import { createHash, randomBytes } from "node:crypto";
import type { Answer } from "./cluster-server";

/**
 * A browser and an OAuth client, over plain HTTP, against whichever
 * instance of a fleet each step is sent to (server/serve/fleet.integration.test.ts):
 * the password sign-in through NextAuth's own endpoints, exactly like the
 * sign-in form, and the authorization-code flow with PKCE through the
 * authorization endpoint, the consent page and its form. Every step takes the
 * port of the instance to send it to, so one flow can cross the fleet.
 */

export type Send = (
  port: number,
  method: string,
  pathname: string,
  headers?: Record<string, string>,
  body?: string,
) => Promise<Answer>;

const FORM = "application/x-www-form-urlencoded";

/** The `name=value` pairs of an answer's Set-Cookie headers. */
export function cookiePairs(answer: Answer): string[] {
  return (answer.headers["set-cookie"] ?? []).map((c) => c.split(";")[0] as string);
}

/** On plain http (APP_URL http://…) the session cookie has no `__Host-` prefix (server/auth/session-cookie.ts). */
const SESSION_COOKIE = "gatehouse.session=";

/** A sign-in step's outcome: the callback's answer, the session cookie if one was set, the browser's cookies. */
export interface SignInStep {
  answer: Answer;
  /** `gatehouse.session=…` when the sign-in is complete, else null. */
  cookie: string | null;
  /** Every cookie the browser holds now (CSRF, pending sign-in …), for a second step. */
  jar: string[];
  csrfToken: string;
}

function step(answer: Answer, before: string[], csrfToken: string): SignInStep {
  const set = cookiePairs(answer);
  const names = new Set(set.map((c) => c.slice(0, c.indexOf("="))));
  const jar = [...before.filter((c) => !names.has(c.slice(0, c.indexOf("=")))), ...set];
  const cookie = set.find((c) => c.startsWith(SESSION_COOKIE) && c.length > SESSION_COOKIE.length) ?? null;
  return { answer, cookie, jar, csrfToken };
}

/**
 * GET /api/auth/csrf, then POST /api/auth/callback/credentials form-encoded with the CSRF cookie and
 * token and our own Origin, both on `port`. The answer is 429 with Retry-After when locked out; for an
 * account with a second factor it leaves a pending sign-in cookie in the jar for `secondStep`.
 */
export async function signIn(
  send: Send,
  port: number,
  appOrigin: string,
  email: string,
  password: string,
): Promise<SignInStep> {
  const csrf = await send(port, "GET", "/api/auth/csrf");
  if (csrf.status !== 200) throw new Error(`GET /api/auth/csrf: ${csrf.status} ${csrf.body}`);
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const jar = cookiePairs(csrf);
  const answer = await send(
    port,
    "POST",
    "/api/auth/callback/credentials",
    { "content-type": FORM, cookie: jar.join("; "), origin: appOrigin },
    new URLSearchParams({ csrfToken, email, password }).toString(),
  );
  return step(answer, jar, csrfToken);
}

/** The second step of a sign-in (a TOTP or recovery code), on `port`, with the browser's cookies from the first. */
export async function secondStep(
  send: Send,
  port: number,
  appOrigin: string,
  first: SignInStep,
  code: string,
): Promise<SignInStep> {
  const answer = await send(
    port,
    "POST",
    "/api/auth/callback/credentials",
    { "content-type": FORM, cookie: first.jar.join("; "), origin: appOrigin },
    new URLSearchParams({ csrfToken: first.csrfToken, code }).toString(),
  );
  return step(answer, first.jar, first.csrfToken);
}

export const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

function hiddenField(html: string, name: string): string {
  const found = new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1];
  if (!found) throw new Error(`the consent page has no ${name} field:\n${html.slice(0, 2_000)}`);
  return found;
}

function location(answer: Answer, step: string): string {
  if (answer.status !== 303 || typeof answer.headers.location !== "string") {
    throw new Error(`${step}: expected 303 with Location, got ${answer.status} ${answer.body.slice(0, 500)}`);
  }
  return answer.headers.location;
}

/** The code (and the PKCE verifier to redeem it with) that came back to the client's redirect URI. */
export interface CodeReturned {
  code: string;
  verifier: string;
  /** Whether the consent page was shown (false: the consent was remembered and the code came at once). */
  consented: boolean;
}

/**
 * The signed-in browser through the authorization endpoint: GET /oauth/authorize on `ports.authorize`;
 * when it parks the request, the consent page on `ports.consent` and its Allow on `ports.decide`. The
 * code must come back to `redirectUri` with our `state` and `iss` (RFC 9207).
 */
export async function authorizationCode(
  send: Send,
  ports: { authorize: number; consent: number; decide: number },
  flow: { cookie: string; appOrigin: string; clientId: string; redirectUri: string; scope: string },
): Promise<CodeReturned> {
  const verifier = randomBytes(32).toString("base64url");
  const state = randomBytes(8).toString("hex");
  const query = new URLSearchParams({
    response_type: "code",
    client_id: flow.clientId,
    redirect_uri: flow.redirectUri,
    scope: flow.scope,
    state,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  let next = location(
    await send(ports.authorize, "GET", `/oauth/authorize?${query}`, { cookie: flow.cookie }),
    "GET /oauth/authorize",
  );
  const consented = next.startsWith("/oauth/consent?");
  if (consented) {
    const page = await send(ports.consent, "GET", next, { cookie: flow.cookie });
    if (page.status !== 200) throw new Error(`GET ${next}: ${page.status} ${page.body.slice(0, 500)}`);
    const form = new URLSearchParams({
      request_id: hiddenField(page.body, "request_id"),
      csrf_token: hiddenField(page.body, "csrf_token"),
      decision: "allow",
    });
    next = location(
      await send(
        ports.decide,
        "POST",
        "/oauth/authorize",
        { "content-type": FORM, cookie: flow.cookie, origin: flow.appOrigin },
        form.toString(),
      ),
      "POST /oauth/authorize (Allow)",
    );
  }
  const back = new URL(next);
  if (`${back.origin}${back.pathname}` !== flow.redirectUri) throw new Error(`sent to ${next}, not the client`);
  if (back.searchParams.get("state") !== state) throw new Error(`state not returned: ${next}`);
  if (back.searchParams.get("iss") !== flow.appOrigin) throw new Error(`iss is not ${flow.appOrigin}: ${next}`);
  const code = back.searchParams.get("code");
  if (!code) throw new Error(`no code: ${next}`);
  return { code, verifier, consented };
}
