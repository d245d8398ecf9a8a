import { count, eq } from "drizzle-orm";
import * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it } from "vitest";
import { oauthAuthorizationCodes, oauthConsents, oauthPendingAuthorizations } from "@/db/schema";
import { CLI_ACTOR } from "../services/audit";
import { addCorsOrigin } from "../services/cors-origins";
import { setClientDisabled } from "../services/oauth-clients";
import { openConsent, PENDING_TTL_MS } from "../services/oauth-consent";
import { createSession } from "../services/sessions";
import { callerFor } from "../testing/harness";
import {
  APP,
  authorize,
  authorizeRequest,
  CALLBACK,
  createTestbed,
  discover,
  postConsent,
  renderConsent,
  signedIn,
  type Testbed,
} from "./testing/testbed";

/**
 * The authorization endpoint under attack (RFC 6749 §3.1, §4.1.2.1, RFC 7636,
 * RFC 9207, RFC 9700 §4.1): exact redirect URI matching that never redirects
 * to an unverified address, errors that go back with state and iss, PKCE S256
 * only, strict parameters and scopes, the sign-in detour, remembered consent,
 * and the consent form's CSRF defences.
 */
let bed: Testbed;
let as: oauth.AuthorizationServer;
const SVC = () => ({
  db: bed.rt.db,
  clock: bed.rt.clock,
  actor: CLI_ACTOR,
  client: { ip: null, userAgent: null, requestId: "test" },
});

// RFC 7636 Appendix B: a valid S256 challenge (we never redeem it here).
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
// A state with characters that must survive the round trip encoded, not be read as parameters.
const STATE = "st&code=forged ü+/=";

beforeEach(async () => {
  bed = createTestbed();
  as = await discover(bed);
});

/** A valid authorization request; `changes` replace (or with null remove) parameters, `extra` are appended. */
function params(
  clientId: string,
  changes: Record<string, string | null> = {},
  extra: [string, string][] = [],
): [string, string][] {
  const base: Record<string, string | null> = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: CALLBACK,
    scope: "contacts:read",
    state: STATE,
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    ...changes,
  };
  const out = Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== null);
  return [...out, ...extra];
}

async function codesIssued(): Promise<number> {
  return (await bed.rt.db.select({ n: count() }).from(oauthAuthorizationCodes).get())?.n ?? 0;
}

async function requestsParked(): Promise<number> {
  return (await bed.rt.db.select({ n: count() }).from(oauthPendingAuthorizations).get())?.n ?? 0;
}

/** The 400 page shown instead of a redirect: nothing in it leads anywhere, nothing was issued or parked. */
async function expectErrorPage(res: Response, title: string, error: string) {
  expect(res.status).toBe(400);
  expect(res.headers.get("location")).toBeNull();
  expect(res.headers.get("refresh")).toBeNull();
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(res.headers.get("cache-control")).toBe("no-store");
  const body = await res.text();
  expect(body).toContain(`<h1>${title}</h1>`);
  expect(body).toContain(`Error code: <code>${error}</code>`);
  // No link, script or meta refresh to follow, and the unverified address is not echoed.
  expect(body).not.toMatch(/<a\s|<script|http-equiv|example\.com|evil/i);
  expect(await codesIssued()).toBe(0);
  expect(await requestsParked()).toBe(0);
}

/** An error sent back to the registered redirect URI: exactly error, error_description, state, iss. */
async function expectErrorRedirect(res: Response, clientId: string, error: string) {
  expect(res.status).toBe(303);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const location = new URL(res.headers.get("location") as string);
  expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
  expect(location.hash).toBe("");
  expect([...location.searchParams.keys()]).toEqual(["error", "error_description", "state", "iss"]);
  expect(location.searchParams.get("error")).toBe(error);
  expect(location.searchParams.get("state")).toBe(STATE);
  expect(location.searchParams.get("iss")).toBe(APP);
  // A strict client sees the same: an authorization error for its own state, from its own issuer.
  let thrown: unknown;
  try {
    oauth.validateAuthResponse(as, { client_id: clientId }, location, STATE);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(oauth.AuthorizationResponseError);
  expect((thrown as oauth.AuthorizationResponseError).error).toBe(error);
  expect(await codesIssued()).toBe(0);
}

describe("redirect URI near misses: the error page, never a redirect", () => {
  const NEAR_MISSES: [string, string][] = [
    ["a trailing slash", `${CALLBACK}/`],
    ["an upper-case host", "https://APP.EXAMPLE.COM/callback"],
    ["an upper-case path", "https://app.example.com/Callback"],
    ["an extra query", `${CALLBACK}?x=1`],
    ["a dot-dot segment that resolves to the same path", "https://app.example.com/callback/../callback"],
    ["a trailing dot-dot segment", "https://app.example.com/callback/.."],
    ["another port", "https://app.example.com:8443/callback"],
    ["the default port written out", "https://app.example.com:443/callback"],
    ["the http scheme", "http://app.example.com/callback"],
    ["userinfo naming another host", "https://evil@app.example.com/callback"],
    ["a fragment", `${CALLBACK}#evil`],
    ["an empty fragment", `${CALLBACK}#`],
    ["a percent-encoded character", "https://app.example.com/%63allback"],
    ["a longer path", `${CALLBACK}evil`],
    ["a host suffix", "https://app.example.com.evil.example/callback"],
    ["surrounding white space", ` ${CALLBACK} `],
  ];

  it.each(NEAR_MISSES)("%s", async (_, redirectUri) => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const res = await bed.dispatch(authorizeRequest(params(clientId, { redirect_uri: redirectUri }), alice.cookie));
    await expectErrorPage(res, "Invalid redirect URI", "invalid_request");
  });

  it("a missing redirect_uri", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const res = await bed.dispatch(authorizeRequest(params(clientId, { redirect_uri: null }), alice.cookie));
    await expectErrorPage(res, "Invalid redirect URI", "invalid_request");
  });

  it("a repeated redirect_uri, even when both copies are the registered one", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const res = await bed.dispatch(authorizeRequest(params(clientId, {}, [["redirect_uri", CALLBACK]]), alice.cookie));
    await expectErrorPage(res, "Invalid redirect URI", "invalid_request");
  });

  it("an unknown client_id, well-formed or not", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    await bed.registerClient({});
    for (const clientId of ["ocl_00000000000000000000", "ocl_' OR '1'='1", "x".repeat(5000)]) {
      const res = await bed.dispatch(authorizeRequest(params(clientId), alice.cookie));
      await expectErrorPage(res, "Unknown application", "invalid_client");
    }
  });

  it("a missing or repeated client_id", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    for (const query of [params(clientId, { client_id: null }), params(clientId, {}, [["client_id", clientId]])]) {
      const res = await bed.dispatch(authorizeRequest(query, alice.cookie));
      await expectErrorPage(res, "Invalid request", "invalid_request");
    }
  });

  it("a disabled client, with its registered redirect URI", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    await setClientDisabled(SVC(), clientId, true);
    const res = await bed.dispatch(authorizeRequest(params(clientId), alice.cookie));
    await expectErrorPage(res, "Unknown application", "invalid_client");
  });

  it("a loopback client registered with port 8123 refuses port 8124 (and accepts 8123)", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({
      type: "public",
      redirectUris: ["http://127.0.0.1:8123/cb"],
      grantTypes: ["authorization_code", "refresh_token"],
    });
    const wrong = await bed.dispatch(
      authorizeRequest(params(clientId, { redirect_uri: "http://127.0.0.1:8124/cb" }), alice.cookie),
    );
    await expectErrorPage(wrong, "Invalid redirect URI", "invalid_request");

    const right = await bed.dispatch(
      authorizeRequest(params(clientId, { redirect_uri: "http://127.0.0.1:8123/cb" }), alice.cookie),
    );
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toMatch(/^\/oauth\/consent\?request=oar_[0-9a-z]{20}$/);
  });

  it("a registered query must match too; when it does, it is kept and the response follows it", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const registered = `${CALLBACK}?tenant=1`;
    const { clientId } = await bed.registerClient({ redirectUris: [registered] });
    for (const redirectUri of [`${CALLBACK}?tenant=2`, `${CALLBACK}?tenant=1&tenant=2`, CALLBACK]) {
      const res = await bed.dispatch(authorizeRequest(params(clientId, { redirect_uri: redirectUri }), alice.cookie));
      await expectErrorPage(res, "Invalid redirect URI", "invalid_request");
    }
    const res = await bed.dispatch(
      authorizeRequest(params(clientId, { redirect_uri: registered, response_type: "token" }), alice.cookie),
    );
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location") as string);
    expect([...location.searchParams.keys()]).toEqual(["tenant", "error", "error_description", "state", "iss"]);
    expect(location.searchParams.get("tenant")).toBe("1");
  });

  it("a near miss with other errors too still shows the page: no error travels to an unverified URI", async () => {
    const { clientId } = await bed.registerClient({});
    const res = await bed.dispatch(
      authorizeRequest(
        params(clientId, { redirect_uri: `${CALLBACK}/`, response_type: "token", code_challenge_method: "plain" }),
      ),
    );
    await expectErrorPage(res, "Invalid redirect URI", "invalid_request");
  });
});

describe("errors after the redirect URI is verified go back to it with state and iss", () => {
  it("PKCE missing: invalid_request", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const query = params(clientId, { code_challenge: null, code_challenge_method: null });
    await expectErrorRedirect(await bed.dispatch(authorizeRequest(query, alice.cookie)), clientId, "invalid_request");
  });

  it("code_challenge_method=plain: invalid_request", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    // With plain, the challenge is the verifier itself: a valid-looking 43-character value.
    const query = params(clientId, { code_challenge_method: "plain" });
    await expectErrorRedirect(await bed.dispatch(authorizeRequest(query, alice.cookie)), clientId, "invalid_request");
  });

  it("code_challenge_method missing (which would mean plain): invalid_request", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const query = params(clientId, { code_challenge_method: null });
    await expectErrorRedirect(await bed.dispatch(authorizeRequest(query, alice.cookie)), clientId, "invalid_request");
  });

  it("a malformed code_challenge: invalid_request", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    for (const challenge of [
      CHALLENGE.slice(1),
      `${CHALLENGE}A`,
      `${CHALLENGE.slice(1)}+`,
      `${CHALLENGE.slice(1)}=`,
      "",
    ]) {
      const query = params(clientId, { code_challenge: challenge });
      await expectErrorRedirect(await bed.dispatch(authorizeRequest(query, alice.cookie)), clientId, "invalid_request");
    }
  });

  it("response_type=token (the implicit flow): unsupported_response_type", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const query = params(clientId, { response_type: "token" });
    await expectErrorRedirect(
      await bed.dispatch(authorizeRequest(query, alice.cookie)),
      clientId,
      "unsupported_response_type",
    );
  });

  it("a response_mode other than query (fragment): invalid_request, not silently ignored", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const query = params(clientId, {}, [["response_mode", "fragment"]]);
    await expectErrorRedirect(await bed.dispatch(authorizeRequest(query, alice.cookie)), clientId, "invalid_request");
  });

  it("a repeated parameter (scope twice): invalid_request", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const query = params(clientId, {}, [["scope", "contacts:write"]]);
    await expectErrorRedirect(await bed.dispatch(authorizeRequest(query, alice.cookie)), clientId, "invalid_request");
  });

  it("an unknown scope: invalid_scope", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const query = params(clientId, { scope: "contacts:read contacts:delete" });
    await expectErrorRedirect(await bed.dispatch(authorizeRequest(query, alice.cookie)), clientId, "invalid_scope");
  });

  it("a scope beyond the client's allowed scopes: invalid_scope", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({ scopes: ["contacts:read"] });
    const query = params(clientId, { scope: "contacts:read contacts:write" });
    await expectErrorRedirect(await bed.dispatch(authorizeRequest(query, alice.cookie)), clientId, "invalid_scope");
    expect(await requestsParked()).toBe(0);
  });

  it("a member asking for admin from a client that allows admin: invalid_scope (an admin is asked to consent)", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const root = await signedIn(bed, "root@example.com", "admin");
    const { clientId } = await bed.registerClient({ scopes: ["contacts:read", "admin"] });
    const query = params(clientId, { scope: "admin" });
    await expectErrorRedirect(await bed.dispatch(authorizeRequest(query, alice.cookie)), clientId, "invalid_scope");
    expect(await requestsParked()).toBe(0);

    const asAdmin = await bed.dispatch(authorizeRequest(query, root.cookie));
    expect(asAdmin.status).toBe(303);
    expect(asAdmin.headers.get("location")).toMatch(/^\/oauth\/consent\?request=oar_[0-9a-z]{20}$/);
  });

  it("a registered redirect URI's own query comes back byte for byte, with the response parameters after it", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const registered = "https://app.example.com/cb?flag&x=a%20b";
    const { clientId } = await bed.registerClient({ redirectUris: [registered] });
    const { callback, state } = await authorize(bed, {
      clientId,
      cookie: alice.cookie,
      userId: alice.user.id,
      redirectUri: registered,
    });
    expect(callback.href.startsWith(`${registered}&code=`)).toBe(true);
    expect(callback.searchParams.get("state")).toBe(state);
  });
});

describe("sign-in detour", () => {
  it("no session: 303 to /signin with the authorize path and query as callbackUrl, which leads back", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const req = authorizeRequest(params(clientId));
    const url = new URL(req.url);
    const res = await bed.dispatch(req);

    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/signin?callbackUrl=${encodeURIComponent(url.pathname + url.search)}`);
    const callbackUrl = new URL(res.headers.get("location") as string, APP).searchParams.get("callbackUrl") as string;
    // Relative, on our origin, and every parameter intact (the state included).
    expect(callbackUrl.startsWith("/oauth/authorize?")).toBe(true);
    expect([...new URL(callbackUrl, APP).searchParams]).toEqual(params(clientId));
    expect(await requestsParked()).toBe(0);
    expect(await codesIssued()).toBe(0);

    // After signing in, the browser comes back to exactly that address and is asked to consent.
    const back = await bed.dispatch(new Request(new URL(callbackUrl, APP), { headers: { cookie: alice.cookie } }));
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toMatch(/^\/oauth\/consent\?request=oar_[0-9a-z]{20}$/);
  });

  it("a one-time password: 303 to /change-password, which comes back here; no request parked, no code", async () => {
    const carol = await signedIn(bed, "carol@example.com");
    const { clientId } = await bed.registerClient({});
    const admin = callerFor(bed.rt, (await bed.user("root@example.com", "admin")).principal);
    await admin.admin.users.setPassword({ id: carol.user.id, password: "carol one-time passphrase 5" });
    // The reset ended her sessions: she signs in again with the one-time password.
    const session = await bed.rt.db.transaction((tx) =>
      createSession(tx, bed.rt.clock, bed.rt.config.session, carol.user.id, {
        ip: null,
        userAgent: null,
        requestId: "t",
      }),
    );
    const cookie = await bed.sessionCookie(carol.user, session.id);
    const req = authorizeRequest(params(clientId), cookie);
    const url = new URL(req.url);
    const res = await bed.dispatch(req);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(
      `/change-password?callbackUrl=${encodeURIComponent(url.pathname + url.search)}`,
    );
    expect(await requestsParked()).toBe(0);
    expect(await codesIssued()).toBe(0);
  });

  it("a forged or ended session counts as none", async () => {
    const alice = await bed.user("alice@example.com");
    const { clientId } = await bed.registerClient({});
    const forged = await bed.sessionCookie(alice.user, "ses_00000000000000000000");
    const cookieName = forged.slice(0, forged.indexOf("="));
    for (const cookie of [forged, `${cookieName}=not-a-jwt`]) {
      const res = await bed.dispatch(authorizeRequest(params(clientId), cookie));
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toMatch(/^\/signin\?callbackUrl=%2Foauth%2Fauthorize%3F/);
    }
    expect(await requestsParked()).toBe(0);
  });
});

describe("consent", () => {
  it("the first time: 303 to the consent page with a parked request, and no code yet", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const res = await bed.dispatch(authorizeRequest(params(clientId), alice.cookie));
    expect(res.status).toBe(303);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const location = res.headers.get("location") as string;
    expect(location).toMatch(/^\/oauth\/consent\?request=oar_[0-9a-z]{20}$/);
    const requestId = new URL(location, APP).searchParams.get("request") as string;
    const parked = await bed.rt.db
      .select()
      .from(oauthPendingAuthorizations)
      .where(eq(oauthPendingAuthorizations.id, requestId))
      .get();
    expect(parked).toMatchObject({
      userId: alice.user.id,
      clientId,
      redirectUri: CALLBACK,
      scopes: ["contacts:read"],
      state: STATE,
      codeChallenge: CHALLENGE,
    });
    expect(await codesIssued()).toBe(0);
  });

  it("after allow: a code with the state and iss, to exactly the registered redirect URI", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const { callback, asked, state } = await authorize(bed, {
      clientId,
      cookie: alice.cookie,
      userId: alice.user.id,
      scope: "contacts:read",
    });
    expect(asked).toBe(true);
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    expect(callback.hash).toBe("");
    expect([...callback.searchParams.keys()]).toEqual(["code", "state", "iss"]);
    expect(callback.searchParams.get("code")).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(callback.searchParams.get("state")).toBe(state);
    expect(callback.searchParams.get("iss")).toBe(APP);
    const validated = oauth.validateAuthResponse(as, { client_id: clientId }, callback, state);
    expect(validated.get("code")).toBe(callback.searchParams.get("code"));
    expect(await codesIssued()).toBe(1);
    expect(await requestsParked()).toBe(0);
  });

  it("a second authorization for the same scopes or a subset skips the consent page", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const user = { clientId, cookie: alice.cookie, userId: alice.user.id };
    expect((await authorize(bed, { ...user, scope: "contacts:read contacts:write" })).asked).toBe(true);

    for (const scope of ["contacts:write contacts:read", "contacts:read", "contacts:write"]) {
      const again = await authorize(bed, { ...user, scope });
      expect(again.asked).toBe(false);
      expect(`${again.callback.origin}${again.callback.pathname}`).toBe(CALLBACK);
      expect([...again.callback.searchParams.keys()]).toEqual(["code", "state", "iss"]);
      expect(again.callback.searchParams.get("state")).toBe(again.state);
    }
    expect(await codesIssued()).toBe(4);
  });

  it("a wider scope set asks again; consent is per user", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const bob = await signedIn(bed, "bob@example.com");
    const { clientId } = await bed.registerClient({});
    const user = { clientId, cookie: alice.cookie, userId: alice.user.id };
    expect((await authorize(bed, { ...user, scope: "contacts:read" })).asked).toBe(true);
    expect((await authorize(bed, { ...user, scope: "contacts:read contacts:write" })).asked).toBe(true);
    // No scope: the client's default set, which is now covered.
    expect((await authorize(bed, user)).asked).toBe(false);

    const asBob = await authorize(bed, { clientId, cookie: bob.cookie, userId: bob.user.id, scope: "contacts:read" });
    expect(asBob.asked).toBe(true);
  });

  it("deny: access_denied with the state and iss, no code, nothing remembered", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const user = { clientId, cookie: alice.cookie, userId: alice.user.id };
    const { callback, state, asked } = await authorize(bed, { ...user, decision: "deny" });
    expect(asked).toBe(true);
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    expect([...callback.searchParams.keys()]).toEqual(["error", "error_description", "state", "iss"]);
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("state")).toBe(state);
    expect(callback.searchParams.get("iss")).toBe(APP);
    expect(await codesIssued()).toBe(0);
    expect(await bed.rt.db.select().from(oauthConsents).all()).toEqual([]);

    expect((await authorize(bed, user)).asked).toBe(true);
  });
});

describe("the consent page names the resource asked for", () => {
  it("carries the RFC 8707 resource of the parked request, and none when none was asked", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const view = async (changes: Record<string, string | null>) => {
      const res = await bed.dispatch(authorizeRequest(params(clientId, changes), alice.cookie));
      const requestId = new URL(res.headers.get("location") as string, APP).searchParams.get("request") as string;
      return openConsent(
        {
          db: bed.rt.db,
          clock: bed.rt.clock,
          actor: { kind: "user", id: alice.user.id },
          client: { ip: null, userAgent: null, requestId: "test" },
        },
        requestId,
        alice.user.id,
      );
    };
    expect((await view({ resource: `${APP}/api/v1` }))?.resource).toBe(`${APP}/api/v1`);
    expect((await view({ resource: `${APP}/api` }))?.resource).toBe(`${APP}/api`);
    expect((await view({}))?.resource).toBeNull();
  });
});

describe("the consent form is CSRF-protected", () => {
  /** Alice is sent to the consent page, and it renders: her request id and its form token. */
  async function aliceAtConsent() {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const res = await bed.dispatch(authorizeRequest(params(clientId), alice.cookie));
    const requestId = new URL(res.headers.get("location") as string, APP).searchParams.get("request") as string;
    const csrfToken = (await renderConsent(bed, requestId, alice.user.id)) as string;
    expect(csrfToken).toMatch(/^[A-Za-z0-9]{43}$/);
    return { alice, clientId, requestId, csrfToken };
  }

  it("a wrong csrf_token: 400, no code", async () => {
    const { alice, requestId, csrfToken } = await aliceAtConsent();
    for (const wrong of [`${csrfToken.slice(0, -1)}${csrfToken.endsWith("A") ? "B" : "A"}`, "x"]) {
      const res = await postConsent(bed, { cookie: alice.cookie, requestId, csrfToken: wrong });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
    }
    expect(await codesIssued()).toBe(0);
    expect(await bed.rt.db.select().from(oauthConsents).all()).toEqual([]);
  });

  it("the token of an earlier rendering of the page no longer counts", async () => {
    const { alice, requestId, csrfToken } = await aliceAtConsent();
    const newer = (await renderConsent(bed, requestId, alice.user.id)) as string;
    expect(newer).not.toBe(csrfToken);
    const stale = await postConsent(bed, { cookie: alice.cookie, requestId, csrfToken });
    expect(stale.status).toBe(400);
    expect(await codesIssued()).toBe(0);
  });

  it("a cross-origin Origin: 403, no code", async () => {
    const { alice, requestId, csrfToken } = await aliceAtConsent();
    for (const origin of ["https://evil.example", "null", "http://127.0.0.1:3001", "https://127.0.0.1:3000"]) {
      const res = await postConsent(bed, { cookie: alice.cookie, requestId, csrfToken }, { origin, referer: APP });
      expect(res.status).toBe(403);
      expect(res.headers.get("location")).toBeNull();
    }
    expect(await codesIssued()).toBe(0);
  });

  it("no Origin and no Referer: 403 (a same-origin Referer alone is accepted)", async () => {
    const { alice, requestId, csrfToken } = await aliceAtConsent();
    const bare = await postConsent(bed, { cookie: alice.cookie, requestId, csrfToken }, {});
    expect(bare.status).toBe(403);
    const foreignReferer = await postConsent(
      bed,
      { cookie: alice.cookie, requestId, csrfToken },
      { referer: "https://evil.example/oauth/consent" },
    );
    expect(foreignReferer.status).toBe(403);
    expect(await codesIssued()).toBe(0);

    const referer = await postConsent(
      bed,
      { cookie: alice.cookie, requestId, csrfToken },
      { referer: `${APP}/oauth/consent?request=${requestId}` },
    );
    expect(referer.status).toBe(303);
    expect(await codesIssued()).toBe(1);
  });

  it("another user's session posting alice's request_id (even with her token): 400, no code", async () => {
    const { requestId, csrfToken } = await aliceAtConsent();
    const mallory = await signedIn(bed, "mallory@example.com");
    // Mallory cannot even render Alice's request.
    expect(await renderConsent(bed, requestId, mallory.user.id)).toBeNull();
    const res = await postConsent(bed, { cookie: mallory.cookie, requestId, csrfToken });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(await codesIssued()).toBe(0);
    expect(await bed.rt.db.select().from(oauthConsents).all()).toEqual([]);
  });

  it("no session: 401, no code", async () => {
    const { requestId, csrfToken } = await aliceAtConsent();
    const res = await bed.dispatch(
      new Request(`${APP}/oauth/authorize`, {
        method: "POST",
        headers: { origin: APP, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ request_id: requestId, csrf_token: csrfToken, decision: "allow" }),
      }),
    );
    expect(res.status).toBe(401);
    expect(await codesIssued()).toBe(0);
  });

  it("the request_id is single-use: a second POST is 400 and issues nothing", async () => {
    const { alice, requestId, csrfToken } = await aliceAtConsent();
    const first = await postConsent(bed, { cookie: alice.cookie, requestId, csrfToken });
    expect(first.status).toBe(303);
    expect(new URL(first.headers.get("location") as string).searchParams.has("code")).toBe(true);

    for (const decision of ["allow", "deny"] as const) {
      const again = await postConsent(bed, { cookie: alice.cookie, requestId, csrfToken, decision });
      expect(again.status).toBe(400);
      expect(again.headers.get("location")).toBeNull();
    }
    expect(await codesIssued()).toBe(1);
  });

  it("a parked request expires: after its lifetime the form is 400", async () => {
    const { alice, requestId, csrfToken } = await aliceAtConsent();
    bed.rt.clock.advance(PENDING_TTL_MS + 1000);
    const res = await postConsent(bed, { cookie: alice.cookie, requestId, csrfToken });
    expect(res.status).toBe(400);
    expect(await codesIssued()).toBe(0);
  });
});

describe("no CORS on the authorization endpoint", () => {
  it("an allow-listed, credentialed origin gets no Access-Control-* header there, and cannot post consent", async () => {
    const spa = "https://spa.example.com";
    await addCorsOrigin(SVC(), { origin: spa, allowCredentials: true });
    // The origin is really on the list: an API door of the same server grants it.
    const metadata = await bed.dispatch(
      new Request(`${APP}/.well-known/oauth-authorization-server`, { headers: { origin: spa } }),
    );
    expect(metadata.headers.get("access-control-allow-origin")).toBe(spa);

    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const res = await bed.dispatch(
      new Request(authorizeRequest(params(clientId)).url, { headers: { cookie: alice.cookie, origin: spa } }),
    );
    expect(res.status).toBe(303);
    const corsHeaders = [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));
    expect(corsHeaders).toEqual([]);

    const requestId = new URL(res.headers.get("location") as string, APP).searchParams.get("request") as string;
    const csrfToken = (await renderConsent(bed, requestId, alice.user.id)) as string;
    const post = await postConsent(bed, { cookie: alice.cookie, requestId, csrfToken }, { origin: spa });
    expect(post.status).toBe(403);
    expect([...post.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
    expect(await codesIssued()).toBe(0);
  });
});
