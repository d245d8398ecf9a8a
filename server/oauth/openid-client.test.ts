import { decodeJwt } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALLBACK, type OAuthHttpServer, startOAuthServer } from "./testing/http-server";

/**
 * openid-client (v6, panva) — a second, independent OAuth client beside
 * oauth4webapi — driving every flow against a real Gatehouse front over HTTP
 * on 127.0.0.1, with the library's own defaults wherever it has them. It is
 * an OpenID Connect client; Gatehouse is an OAuth 2.0 server without ID
 * tokens, so discovery uses RFC 8414 (`algorithm: "oauth2"`) and the code
 * grant is told no ID token is expected (its default when no `nonce` check
 * is asked for). Extra parameters such clients send (`nonce`, `prompt`,
 * `resource`, `ui_locales` …) must not break a flow.
 */
let server: OAuthHttpServer;
let alice: { userId: string; cookie: string };

beforeAll(async () => {
  server = await startOAuthServer();
  alice = await server.signedIn("alice@example.com");
});
afterAll(async () => {
  await server.close();
});

type Auth = "basic" | "post" | "none";

async function configure(auth: Auth = "basic", input: Parameters<OAuthHttpServer["registerClient"]>[0] = {}) {
  const registered = await server.registerClient(
    auth === "none" ? { type: "public", grantTypes: ["authorization_code", "refresh_token"], ...input } : input,
  );
  const method =
    auth === "basic"
      ? client.ClientSecretBasic(registered.clientSecret as string)
      : auth === "post"
        ? client.ClientSecretPost(registered.clientSecret as string)
        : client.None();
  const config = await client.discovery(new URL(server.origin), registered.clientId, undefined, method, {
    algorithm: "oauth2",
    execute: [client.allowInsecureRequests],
  });
  return { config, registered };
}

/** The whole front channel: openid-client builds the URL, a signed-in browser follows it, the client redeems. */
async function codeFlow(
  config: client.Configuration,
  extra: Record<string, string> = {},
  tokenParams: Record<string, string> = {},
) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: "contacts:read",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    ...extra,
  });
  const callback = await server.browse(url, alice);
  const tokens = await client.authorizationCodeGrant(
    config,
    callback,
    { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: false },
    tokenParams,
  );
  return { tokens, callback, verifier };
}

/**
 * GET /api/v1/contacts with the token: openid-client's own request when the
 * token is good (200), else the status (openid-client throws on a 401 with
 * its WWW-Authenticate challenge, which must name invalid_token).
 */
async function listContacts(config: client.Configuration, accessToken: string): Promise<number> {
  try {
    const res = await client.fetchProtectedResource(
      config,
      accessToken,
      new URL(`${server.origin}/api/v1/contacts`),
      "GET",
    );
    return res.status;
  } catch (error) {
    if (!(error instanceof client.WWWAuthenticateChallengeError)) throw error;
    expect(error.cause[0]).toMatchObject({ scheme: "bearer", parameters: { error: "invalid_token" } });
    return error.response.status;
  }
}

describe("openid-client against a real server", () => {
  it("discovers the server from its RFC 8414 metadata", async () => {
    const { config } = await configure();
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(server.origin);
    expect(meta.token_endpoint).toBe(`${server.origin}/oauth/token`);
    expect(meta.code_challenge_methods_supported).toContain("S256");
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
  });

  for (const auth of ["basic", "post", "none"] as const) {
    it(`authorization code + PKCE with its defaults, client auth ${auth}: tokens that work, refresh, revoke`, async () => {
      const { config } = await configure(auth);
      const { tokens, callback } = await codeFlow(config);
      // RFC 9207: the response names its issuer, and openid-client checked it.
      expect(callback.searchParams.get("iss")).toBe(server.origin);
      expect(tokens.token_type).toBe("bearer");
      expect(tokens.scope).toBe("contacts:read");
      expect(tokens.id_token).toBeUndefined();
      expect(typeof tokens.expiresIn()).toBe("number");
      expect(decodeJwt(tokens.access_token).aud).toBe(`${server.origin}/api`);
      expect(await listContacts(config, tokens.access_token)).toBe(200);

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
      expect(refreshed.refresh_token).toBeTruthy();
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      expect(await listContacts(config, refreshed.access_token)).toBe(200);
      // The rotated-out refresh token is dead (and its reuse ends the family).
      await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
        error: "invalid_grant",
      });
      expect(await listContacts(config, refreshed.access_token)).toBe(401);
    });
  }

  it("the parameters an OIDC client adds (nonce, prompt=login, max_age, ui_locales, claims, x_…) change nothing", async () => {
    const { config } = await configure();
    const { tokens } = await codeFlow(config, {
      nonce: client.randomNonce(),
      prompt: "login",
      max_age: "3600",
      ui_locales: "fr-CA fr en",
      claims: JSON.stringify({ userinfo: { email: null } }),
      login_hint: "alice@example.com",
      acr_values: "urn:mace:incommon:iap:silver",
      display: "page",
      response_mode: "query",
      x_custom_tracking: "42",
    });
    expect(tokens.scope).toBe("contacts:read");
    expect(await listContacts(config, tokens.access_token)).toBe(200);
  });

  it("prompt=consent asks again although consent is remembered; prompt=none answers without a page", async () => {
    const { config } = await configure();
    await codeFlow(config); // consent given and remembered
    const challenge = await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier());
    const base = {
      redirect_uri: CALLBACK,
      scope: "contacts:read",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "s1",
    };
    const again = await fetch(client.buildAuthorizationUrl(config, { ...base, prompt: "consent" }), {
      redirect: "manual",
      headers: { cookie: alice.cookie },
    });
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toMatch(/^\/oauth\/consent\?request=/);
    // Covered by the remembered consent: a code straight away.
    const silent = await fetch(client.buildAuthorizationUrl(config, { ...base, prompt: "none" }), {
      redirect: "manual",
      headers: { cookie: alice.cookie },
    });
    expect(new URL(silent.headers.get("location") as string).searchParams.get("code")).toBeTruthy();
    // Not signed in, or not consented: the OIDC error codes, never a page.
    const signedOut = await fetch(client.buildAuthorizationUrl(config, { ...base, prompt: "none" }), {
      redirect: "manual",
    });
    expect(new URL(signedOut.headers.get("location") as string).searchParams.get("error")).toBe("login_required");
    const wider = await fetch(
      client.buildAuthorizationUrl(config, { ...base, prompt: "none", scope: "contacts:read contacts:write" }),
      { redirect: "manual", headers: { cookie: alice.cookie } },
    );
    expect(new URL(wider.headers.get("location") as string).searchParams.get("error")).toBe("consent_required");
  });

  it("resource (RFC 8707) at authorize and token: the token's aud is the REST API, refused on the tRPC door", async () => {
    const { config } = await configure();
    const rest = `${server.origin}/api/v1`;
    const { tokens } = await codeFlow(config, { resource: rest }, { resource: rest });
    expect(decodeJwt(tokens.access_token).aud).toBe(rest);
    expect(await listContacts(config, tokens.access_token)).toBe(200);
    const trpc = await fetch(`${server.origin}/api/trpc/contacts.list?input=${encodeURIComponent("{}")}`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(trpc.status).toBe(401);

    // A refresh may name the granted resource (or none: the grant's), never another one.
    const same = await client.refreshTokenGrant(config, tokens.refresh_token as string, { resource: rest });
    expect(decodeJwt(same.access_token).aud).toBe(rest);
    const none = await client.refreshTokenGrant(config, same.refresh_token as string);
    expect(decodeJwt(none.access_token).aud).toBe(rest);
    await expect(
      client.refreshTokenGrant(config, none.refresh_token as string, { resource: `${server.origin}/api` }),
    ).rejects.toMatchObject({ error: "invalid_target", status: 400 });
    // The refused refresh did not spend the refresh token.
    const after = await client.refreshTokenGrant(config, none.refresh_token as string);
    expect(await listContacts(config, after.access_token)).toBe(200);
  });

  it("resource only at the token request narrows the default audience; an unknown one is invalid_target", async () => {
    const { config } = await configure();
    const { tokens } = await codeFlow(config, {}, { resource: `${server.origin}/api/v1` });
    expect(decodeJwt(tokens.access_token).aud).toBe(`${server.origin}/api/v1`);
    // The grant was for the default audience, which covers both of ours.
    const wide = await client.refreshTokenGrant(config, tokens.refresh_token as string, {
      resource: `${server.origin}/api`,
    });
    expect(decodeJwt(wide.access_token).aud).toBe(`${server.origin}/api`);
    await expect(codeFlow(config, {}, { resource: "https://elsewhere.example/api" })).rejects.toMatchObject({
      error: "invalid_target",
    });
  });

  it("client_credentials, with and without resource, and introspection reporting the aud", async () => {
    const { config } = await configure("post");
    const plain = await client.clientCredentialsGrant(config, { scope: "contacts:read" });
    expect(plain.refresh_token).toBeUndefined();
    expect(await listContacts(config, plain.access_token)).toBe(200);
    const introspected = await client.tokenIntrospection(config, plain.access_token);
    expect(introspected).toMatchObject({ active: true, aud: `${server.origin}/api`, scope: "contacts:read" });

    const narrowed = await client.clientCredentialsGrant(config, { resource: `${server.origin}/api/v1` });
    expect(decodeJwt(narrowed.access_token).aud).toBe(`${server.origin}/api/v1`);
    expect(await client.tokenIntrospection(config, narrowed.access_token)).toMatchObject({
      active: true,
      aud: `${server.origin}/api/v1`,
    });
    await expect(
      client.clientCredentialsGrant(config, { resource: `${server.origin}/api/v1#frag` }),
    ).rejects.toMatchObject({ error: "invalid_target", status: 400 });

    await client.tokenRevocation(config, narrowed.access_token);
    expect(await client.tokenIntrospection(config, narrowed.access_token)).toEqual({ active: false });
    expect(await listContacts(config, narrowed.access_token)).toBe(401);
  });

  it("introspection and revocation of a refresh token, ignoring extra parameters", async () => {
    const { config } = await configure();
    const { tokens } = await codeFlow(config);
    const refresh = tokens.refresh_token as string;
    expect(
      await client.tokenIntrospection(config, refresh, { token_type_hint: "refresh_token", x_extra: "1" }),
    ).toMatchObject({ active: true, scope: "contacts:read" });
    await client.tokenRevocation(config, refresh, { token_type_hint: "refresh_token", x_extra: "1" });
    expect(await client.tokenIntrospection(config, refresh)).toEqual({ active: false });
    // Revoking the refresh token ended the whole grant, its access token too.
    expect(await listContacts(config, tokens.access_token)).toBe(401);
  });

  it("a denied consent comes back as access_denied, which openid-client reports", async () => {
    const { config } = await configure();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: "contacts:write",
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    const callback = await server.browse(url, await server.signedIn("bob@example.com"), "deny");
    await expect(
      client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }),
    ).rejects.toMatchObject({ error: "access_denied" });
  });
});
