import * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it } from "vitest";
import { APP, createTestbed, type Testbed } from "./testing/testbed";

/**
 * The happy paths, driven by oauth4webapi (a strict, independent client):
 * discovery, authorization code with PKCE (consent by form POST), refresh
 * rotation, client credentials, introspection, revocation, and the access
 * token on the REST door.
 */
let bed: Testbed;
let as: oauth.AuthorizationServer;
const opts = () => ({ [oauth.customFetch]: bed.fetch, [oauth.allowInsecureRequests]: true });

beforeEach(async () => {
  bed = createTestbed();
  const issuer = new URL(APP);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { ...opts(), algorithm: "oauth2" }),
  );
});

async function authorize(clientId: string, cookie: string, scope = "contacts:read") {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint as string);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("redirect_uri", "https://app.example.com/callback");
  url.searchParams.set("scope", scope);
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", challenge);
  url.searchParams.set("code_challenge_method", "S256");
  let res = await bed.dispatch(new Request(url, { headers: { cookie } }));
  expect(res.status).toBe(303);
  let location = res.headers.get("location") as string;
  if (location.startsWith("/oauth/consent")) {
    const requestId = new URL(location, APP).searchParams.get("request") as string;
    const { openConsent } = await import("../services/oauth-consent");
    const user = (await bed.rt.db.query.sessions.findFirst()) as { userId: string };
    const view = openConsent(
      {
        db: bed.rt.db,
        clock: bed.rt.clock,
        actor: { kind: "user", id: user.userId },
        client: { ip: null, userAgent: null, requestId: "t" },
      },
      requestId,
      user.userId,
    );
    expect(view).not.toBeNull();
    res = await bed.dispatch(
      new Request(`${APP}/oauth/authorize`, {
        method: "POST",
        headers: { cookie, origin: APP, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ request_id: requestId, csrf_token: view?.csrfToken as string, decision: "allow" }),
      }),
    );
    expect(res.status).toBe(303);
    location = res.headers.get("location") as string;
  }
  return { callback: new URL(location), verifier, state };
}

describe("authorization code with PKCE", () => {
  it("issues tokens that work on the REST door, rotate, introspect and revoke", async () => {
    const alice = await bed.user("alice@example.com");
    const cookie = await bed.sessionCookie(alice.user, alice.session.id);
    const { clientId, clientSecret } = bed.registerClient({});
    const client: oauth.Client = { client_id: clientId };
    const auth = oauth.ClientSecretBasic(clientSecret as string);

    const { callback, verifier, state } = await authorize(clientId, cookie);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokenRes = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      "https://app.example.com/callback",
      verifier,
      opts(),
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenRes);
    expect(tokens.token_type).toBe("bearer");
    expect(tokens.scope).toBe("contacts:read");
    expect(tokens.refresh_token).toMatch(/^ghr_/);

    const list = await bed.dispatch(
      new Request(`${APP}/api/v1/contacts`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    );
    expect(list.status).toBe(200);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token as string, opts()),
    );
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const info = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, refreshed.access_token, opts()),
    );
    expect(info.active).toBe(true);
    expect(info.sub).toBe(alice.user.id);

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, refreshed.refresh_token as string, opts()),
    );
    const after = await bed.dispatch(
      new Request(`${APP}/api/v1/contacts`, { headers: { authorization: `Bearer ${refreshed.access_token}` } }),
    );
    expect(after.status).toBe(401);
  });
});
