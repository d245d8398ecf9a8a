import * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it } from "vitest";
import { APP, authorize, clientOptions, createTestbed, discover, type Testbed } from "./testing/testbed";

/**
 * The happy paths, driven by oauth4webapi (a strict, independent client):
 * discovery, authorization code with PKCE (consent by form POST), refresh
 * rotation, client credentials, introspection, revocation, and the access
 * token on the REST door.
 */
let bed: Testbed;
let as: oauth.AuthorizationServer;
const opts = () => clientOptions(bed);

beforeEach(async () => {
  bed = createTestbed();
  as = await discover(bed);
});

describe("authorization code with PKCE", () => {
  it("issues tokens that work on the REST door, rotate, introspect and revoke", async () => {
    const alice = await bed.user("alice@example.com");
    const cookie = await bed.sessionCookie(alice.user, alice.session.id);
    const { clientId, clientSecret } = await bed.registerClient({});
    const client: oauth.Client = { client_id: clientId };
    const auth = oauth.ClientSecretBasic(clientSecret as string);

    const { callback, verifier, state } = await authorize(bed, {
      clientId,
      cookie,
      userId: alice.user.id,
      scope: "contacts:read",
    });
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

describe("client credentials", () => {
  it("a confidential client gets an access token for itself, with no refresh token, and uses it", async () => {
    const { clientId, clientSecret } = await bed.registerClient({
      grantTypes: ["client_credentials"],
      redirectUris: [],
    });
    const client: oauth.Client = { client_id: clientId };
    const auth = oauth.ClientSecretPost(clientSecret as string);
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: "contacts:read" }, opts()),
    );
    expect(tokens.scope).toBe("contacts:read");
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.expires_in).toBe(600);
    const list = await bed.dispatch(
      new Request(`${APP}/api/v1/contacts`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    );
    expect(list.status).toBe(200);
  });
});
