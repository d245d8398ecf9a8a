import { eq } from "drizzle-orm";
import { decodeJwt } from "jose";
import * as oauth from "oauth4webapi";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog, oauthClients, oauthGrants } from "@/db/schema";
import { flushAggregated } from "../audit/aggregate";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../ratelimit/config";
import { CLI_ACTOR } from "../services/audit";
import { rotateClientSecret, updateClient } from "../services/oauth-clients";
import { CODE_TTL_MS } from "../services/oauth-consent";
import { callerFor, storedRows } from "../testing/harness";
import { MAX_FORM_BYTES } from "./form";
import {
  APP,
  authorize,
  authorizeRequest,
  basicAuth as basic,
  CALLBACK,
  clientOptions,
  createTestbed,
  discover,
  signedIn,
  type Testbed,
} from "./testing/testbed";

/**
 * The token endpoint under attack (RFC 6749 §3.2, §4.1.3, §5, §6; RFC 7636;
 * RFC 9700 §2.2.2, §4.14): code replay revokes what the code produced, PKCE
 * and redirect URI binding, the 60-second code lifetime, client
 * authentication and secret rotation, refresh rotation with family
 * revocation on reuse, the absolute refresh lifetime, scope narrowing,
 * client credentials as the service account, the transport rules, and the
 * rate limit. oauth4webapi is the client wherever it can say what we send.
 */
let bed: Testbed;
let as: oauth.AuthorizationServer;
const opts = () => clientOptions(bed);
const SVC = () => ({
  db: bed.rt.db,
  clock: bed.rt.clock,
  actor: CLI_ACTOR,
  client: { ip: null, userAgent: null, requestId: "test" },
});
const TOKEN_URL = `${APP}/oauth/token`;
const CALLBACK_2 = "https://app.example.com/callback2";

beforeEach(async () => {
  bed = createTestbed();
  as = await discover(bed);
});

type Registered = { clientId: string; clientSecret: string | null };
type Who = Awaited<ReturnType<typeof signedIn>>;

const clientOf = (app: Registered): oauth.Client => ({ client_id: app.clientId });
const authOf = (app: Registered): oauth.ClientAuth =>
  app.clientSecret ? oauth.ClientSecretBasic(app.clientSecret) : oauth.None();

/** An authorization code for `who` (consenting as needed), validated as a client would. */
async function codeFor(app: Registered, who: Who, scope = "contacts:read", extra: { verifier?: string } = {}) {
  const { callback, verifier, state } = await authorize(bed, {
    clientId: app.clientId,
    cookie: who.cookie,
    userId: who.user.id,
    scope,
    verifier: extra.verifier,
  });
  return { params: oauth.validateAuthResponse(as, clientOf(app), callback, state), verifier };
}

function redeemRequest(
  app: Registered,
  code: { params: URLSearchParams; verifier: string },
  overrides: {
    auth?: oauth.ClientAuth;
    client?: Registered;
    redirectUri?: string;
    verifier?: string | typeof oauth.nopkce;
  } = {},
) {
  const client = overrides.client ?? app;
  return oauth.authorizationCodeGrantRequest(
    as,
    clientOf(client),
    overrides.auth ?? authOf(client),
    code.params,
    overrides.redirectUri ?? CALLBACK,
    overrides.verifier ?? code.verifier,
    opts(),
  );
}

async function redeem(app: Registered, code: { params: URLSearchParams; verifier: string }) {
  return oauth.processAuthorizationCodeResponse(as, clientOf(app), await redeemRequest(app, code));
}

async function refresh(app: Registered, refreshToken: string, scope?: string, auth = authOf(app)) {
  const res = await oauth.refreshTokenGrantRequest(as, clientOf(app), auth, refreshToken, {
    ...opts(),
    ...(scope ? { additionalParameters: { scope } } : {}),
  });
  return oauth.processRefreshTokenResponse(as, clientOf(app), res);
}

async function clientCredentials(app: Registered, scope?: string, auth = authOf(app)) {
  const res = await oauth.clientCredentialsGrantRequest(as, clientOf(app), auth, scope ? { scope } : {}, opts());
  return oauth.processClientCredentialsResponse(as, clientOf(app), res);
}

interface Refusal {
  status: number;
  error: string;
  description: string | undefined;
  wwwAuthenticate: string | null;
  cacheControl: string | null;
}

/** The OAuth error an oauth4webapi call ends with (ResponseBodyError, or the challenge error of a 401). */
async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      return {
        status: error.status,
        error: error.error,
        description: error.error_description,
        wwwAuthenticate: error.response.headers.get("www-authenticate"),
        cacheControl: error.response.headers.get("cache-control"),
      };
    }
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      const body = (await error.response.json()) as { error: string; error_description?: string };
      return {
        status: error.status,
        error: body.error,
        description: body.error_description,
        wwwAuthenticate: error.response.headers.get("www-authenticate"),
        cacheControl: error.response.headers.get("cache-control"),
      };
    }
    throw error;
  }
  throw new Error("expected the token endpoint to refuse");
}

/** A raw POST to the token endpoint, for what oauth4webapi will not send. */
function post(body: string | URLSearchParams, headers: Record<string, string> = {}, url = TOKEN_URL) {
  return bed.dispatch(
    new Request(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body,
    }),
  );
}

/** The status of GET /api/v1/contacts with this access token. */
async function contactsStatus(accessToken: string): Promise<number> {
  const res = await bed.dispatch(
    new Request(`${APP}/api/v1/contacts`, { headers: { authorization: `Bearer ${accessToken}` } }),
  );
  return res.status;
}

function auditRows(action: string) {
  return bed.rt.db.select().from(auditLog).where(eq(auditLog.action, action)).all();
}

describe("authorization codes", () => {
  it("a replayed code is invalid_grant and revokes the tokens of its first redemption", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({});
    const code = await codeFor(app, alice);
    const tokens = await redeem(app, code);
    expect(await contactsStatus(tokens.access_token)).toBe(200);

    const replay = await refusal(
      oauth.processAuthorizationCodeResponse(as, clientOf(app), await redeemRequest(app, code)),
    );
    expect(replay).toMatchObject({ status: 400, error: "invalid_grant", cacheControl: "no-store" });

    expect(await contactsStatus(tokens.access_token)).toBe(401);
    const refreshed = await refusal(refresh(app, tokens.refresh_token as string));
    expect(refreshed).toMatchObject({ status: 400, error: "invalid_grant" });

    const audit = await auditRows("oauth.code_replay");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorKind: "oauth_client",
      actorId: app.clientId,
      outcome: "denied",
      targetType: "oauth_grant",
      detail: expect.objectContaining({ grantRevoked: true }),
    });
  });

  it("a replay after a refresh also ends the refreshed tokens (the whole grant)", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({});
    const code = await codeFor(app, alice);
    const first = await redeem(app, code);
    const rotated = await refresh(app, first.refresh_token as string);
    expect(await contactsStatus(rotated.access_token)).toBe(200);

    expect((await refusal(redeem(app, code))).error).toBe("invalid_grant");
    expect(await contactsStatus(rotated.access_token)).toBe(401);
    expect((await refusal(refresh(app, rotated.refresh_token as string))).error).toBe("invalid_grant");
  });

  it("a code issued to client A, redeemed by an authenticated client B: invalid_grant", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const a = await bed.registerClient({ name: "A" });
    const b = await bed.registerClient({ name: "B" });
    const code = await codeFor(a, alice);
    const stolen = await refusal(
      oauth.processAuthorizationCodeResponse(as, clientOf(b), await redeemRequest(a, code, { client: b })),
    );
    expect(stolen).toMatchObject({ status: 400, error: "invalid_grant" });
    // Nor may B present A's client_id with its own secret.
    const mixed = await refusal(
      oauth.processAuthorizationCodeResponse(
        as,
        clientOf(a),
        await redeemRequest(a, code, { auth: oauth.ClientSecretBasic(b.clientSecret as string) }),
      ),
    );
    expect(mixed).toMatchObject({ status: 401, error: "invalid_client" });
  });

  it("a wrong code_verifier: invalid_grant, and the code is spent (no second guess)", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({});
    const code = await codeFor(app, alice);
    const wrong = await refusal(
      oauth.processAuthorizationCodeResponse(
        as,
        clientOf(app),
        await redeemRequest(app, code, { verifier: oauth.generateRandomCodeVerifier() }),
      ),
    );
    expect(wrong).toMatchObject({ status: 400, error: "invalid_grant" });
    expect((await refusal(redeem(app, code))).error).toBe("invalid_grant");
  });

  it("a missing code_verifier: invalid_request", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({});
    const code = await codeFor(app, alice);
    const missing = await refusal(
      oauth.processAuthorizationCodeResponse(
        as,
        clientOf(app),
        await redeemRequest(app, code, { verifier: oauth.nopkce }),
      ),
    );
    expect(missing).toMatchObject({ status: 400, error: "invalid_request" });
  });

  it("a verifier of the wrong length or alphabet is invalid_request even when its S256 matches the challenge", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({});
    // RFC 7636 §4.1: 43 to 128 unreserved characters. These hash to the challenge sent, yet are not verifiers.
    for (const verifier of ["a".repeat(42), "b".repeat(129), `${"c".repeat(42)}+`, `${"d".repeat(42)} `]) {
      const code = await codeFor(app, alice, "contacts:read", { verifier });
      const res = await refusal(redeem(app, code));
      // RFC 7636 §4.1: not a verifier at all is a malformed request, not a wrong guess.
      expect(res, verifier).toMatchObject({ status: 400, error: "invalid_request" });
    }
    // The boundaries themselves are fine.
    for (const verifier of ["e".repeat(43), "f".repeat(128)]) {
      const tokens = await redeem(app, await codeFor(app, alice, "contacts:read", { verifier }));
      expect(tokens.access_token).toBeTruthy();
    }
  });

  it("a redirect_uri at the token endpoint other than the authorization request's: invalid_grant", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({ redirectUris: [CALLBACK, CALLBACK_2] });
    // The registered URI of the request redeems; the client's other registered URI does not.
    expect((await redeem(app, await codeFor(app, alice))).access_token).toBeTruthy();
    const code = await codeFor(app, alice);
    const other = await refusal(
      oauth.processAuthorizationCodeResponse(
        as,
        clientOf(app),
        await redeemRequest(app, code, { redirectUri: CALLBACK_2 }),
      ),
    );
    expect(other).toMatchObject({ status: 400, error: "invalid_grant" });

    // Left out entirely: the same.
    const another = await codeFor(app, alice);
    const res = await post(
      new URLSearchParams({
        grant_type: "authorization_code",
        code: another.params.get("code") as string,
        code_verifier: another.verifier,
      }),
      { authorization: basic(app.clientId, app.clientSecret as string) },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("a code older than 60 s: invalid_grant (at 59 s it still works)", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({});
    const early = await codeFor(app, alice);
    const late = await codeFor(app, alice);
    expect(CODE_TTL_MS).toBe(60_000);
    bed.rt.clock.advance(59_000);
    expect((await redeem(app, early)).access_token).toBeTruthy();
    bed.rt.clock.advance(2_000);
    expect(await refusal(redeem(app, late))).toMatchObject({ status: 400, error: "invalid_grant" });
  });
});

describe("client authentication", () => {
  const BASIC_CHALLENGE = /^Basic realm="gatehouse"/;

  it("a wrong secret (even another client's): 401 invalid_client with a Basic challenge", async () => {
    const app = await bed.registerClient({});
    const other = await bed.registerClient({ name: "Other" });
    for (const secret of [other.clientSecret as string, `${app.clientSecret}x`, "x"]) {
      const res = await refusal(clientCredentials(app, "contacts:read", oauth.ClientSecretBasic(secret)));
      expect(res).toMatchObject({ status: 401, error: "invalid_client", cacheControl: "no-store" });
      expect(res.wwwAuthenticate).toMatch(BASIC_CHALLENGE);
    }
  });

  it("an unknown client: the very same 401 as a wrong secret", async () => {
    const app = await bed.registerClient({});
    const ghost: Registered = { clientId: "ocl_00000000000000000000", clientSecret: app.clientSecret };
    const unknown = await refusal(clientCredentials(ghost, "contacts:read"));
    const wrong = await refusal(
      clientCredentials(app, "contacts:read", oauth.ClientSecretBasic(`${app.clientSecret}x`)),
    );
    expect(unknown).toMatchObject({ status: 401, error: "invalid_client" });
    expect(unknown.wwwAuthenticate).toMatch(BASIC_CHALLENGE);
    expect(unknown).toEqual(wrong);
  });

  it("a secret sent for a public client: 401 invalid_client", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const spa = await bed.registerClient({ type: "public", grantTypes: ["authorization_code", "refresh_token"] });
    const someSecret = (await bed.registerClient({ name: "Other" })).clientSecret as string;
    const code = await codeFor(spa, alice);
    for (const auth of [oauth.ClientSecretPost(someSecret), oauth.ClientSecretBasic(someSecret)]) {
      const res = await refusal(
        oauth.processAuthorizationCodeResponse(as, clientOf(spa), await redeemRequest(spa, code, { auth })),
      );
      expect(res).toMatchObject({ status: 401, error: "invalid_client" });
      expect(res.wwwAuthenticate).toMatch(BASIC_CHALLENGE);
    }
    // With its client_id alone (and PKCE) it redeems: the refusal above was about the secret.
    expect((await redeem(spa, code)).access_token).toBeTruthy();
  });

  it("no authentication at all for a confidential client: 401 invalid_client", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({});
    const code = await codeFor(app, alice);
    const res = await refusal(
      oauth.processAuthorizationCodeResponse(as, clientOf(app), await redeemRequest(app, code, { auth: oauth.None() })),
    );
    expect(res).toMatchObject({ status: 401, error: "invalid_client" });
    expect(res.wwwAuthenticate).toMatch(BASIC_CHALLENGE);
    const nothing = await post("grant_type=client_credentials");
    expect(nothing.status).toBe(401);
    expect(nothing.headers.get("www-authenticate")).toMatch(BASIC_CHALLENGE);
    expect(await nothing.json()).toMatchObject({ error: "invalid_client" });
  });

  it("Basic and client_secret in the body at once: 400 invalid_request", async () => {
    const app = await bed.registerClient({});
    const secret = app.clientSecret as string;
    const res = await post(
      new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: secret }),
      { authorization: basic(app.clientId, secret) },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });

  it("the secret in the URL query: 400 invalid_request, even with valid Basic credentials", async () => {
    const app = await bed.registerClient({});
    const secret = app.clientSecret as string;
    const query = new URLSearchParams({ client_id: app.clientId, client_secret: secret });
    const variants: Record<string, string>[] = [{}, { authorization: basic(app.clientId, secret) }];
    for (const headers of variants) {
      const res = await post("grant_type=client_credentials", headers, `${TOKEN_URL}?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(await res.json()).toMatchObject({ error: "invalid_request" });
    }
  });

  it("client_secret_post works", async () => {
    const app = await bed.registerClient({});
    const tokens = await clientCredentials(app, "contacts:read", oauth.ClientSecretPost(app.clientSecret as string));
    expect(tokens.token_type).toBe("bearer");
    expect(await contactsStatus(tokens.access_token)).toBe(200);
  });

  it("failures are audited as oauth.client_auth_failed (aggregated, no secret in the entry)", async () => {
    const app = await bed.registerClient({});
    const guess = `ghs_${"A".repeat(43)}guess`;
    for (let i = 0; i < 3; i++) await refusal(clientCredentials(app, undefined, oauth.ClientSecretBasic(guess)));
    await refusal(clientCredentials({ clientId: app.clientId, clientSecret: null }, undefined, oauth.None()));

    await flushAggregated(bed.rt.db);
    const rows = await auditRows("oauth.client_auth_failed");
    const wrong = rows.find((row) => row.detail?.reason === "wrong_secret");
    expect(wrong).toMatchObject({
      actorKind: "anonymous",
      outcome: "denied",
      targetType: "oauth_client",
      targetId: app.clientId,
      detail: expect.objectContaining({ endpoint: "token", method: "client_secret_basic", count: 3 }),
    });
    const missing = rows.find((row) => row.detail?.reason === "secret_missing");
    expect(missing).toMatchObject({ targetId: app.clientId, detail: expect.objectContaining({ count: 1 }) });
    expect(JSON.stringify(rows)).not.toContain(guess);
  });
});

describe("client secret rotation", () => {
  it("with grace: the old secret works until the grace ends, the new one throughout", async () => {
    const app = await bed.registerClient({});
    const oldSecret = app.clientSecret as string;
    const rotated = await rotateClientSecret(SVC(), app.clientId, 3600);
    const newSecret = rotated.clientSecret as string;
    expect(newSecret).not.toBe(oldSecret);

    const withOld = () => clientCredentials(app, "contacts:read", oauth.ClientSecretBasic(oldSecret));
    const withNew = () => clientCredentials(app, "contacts:read", oauth.ClientSecretBasic(newSecret));
    expect((await withOld()).access_token).toBeTruthy();
    expect((await withNew()).access_token).toBeTruthy();
    bed.rt.clock.advance(3_599_000);
    expect((await withOld()).access_token).toBeTruthy();

    bed.rt.clock.advance(2_000);
    expect(await refusal(withOld())).toMatchObject({ status: 401, error: "invalid_client" });
    expect((await withNew()).access_token).toBeTruthy();
  });

  it("without grace: the old secret stops at once", async () => {
    const app = await bed.registerClient({});
    const oldSecret = app.clientSecret as string;
    const newSecret = (await rotateClientSecret(SVC(), app.clientId, 0)).clientSecret as string;
    expect(await refusal(clientCredentials(app, "contacts:read", oauth.ClientSecretBasic(oldSecret)))).toMatchObject({
      status: 401,
      error: "invalid_client",
    });
    expect(
      (await clientCredentials(app, "contacts:read", oauth.ClientSecretBasic(newSecret))).access_token,
    ).toBeTruthy();
  });

  it("a second rotation ends the first secret's grace (only one previous secret is kept)", async () => {
    const app = await bed.registerClient({});
    const first = app.clientSecret as string;
    const second = (await rotateClientSecret(SVC(), app.clientId, 3600)).clientSecret as string;
    await rotateClientSecret(SVC(), app.clientId, 3600);
    expect(await refusal(clientCredentials(app, undefined, oauth.ClientSecretBasic(first)))).toMatchObject({
      status: 401,
    });
    expect((await clientCredentials(app, undefined, oauth.ClientSecretBasic(second))).access_token).toBeTruthy();
  });
});

describe("transport and grant types", () => {
  it("GET /oauth/token: 405 with Allow: POST", async () => {
    const res = await bed.dispatch(new Request(`${TOKEN_URL}?grant_type=client_credentials`));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("a body that is not a form: 400 invalid_request", async () => {
    const app = await bed.registerClient({});
    const auth = { authorization: basic(app.clientId, app.clientSecret as string) };
    for (const type of ["application/json", "text/plain", "multipart/form-data; boundary=x"]) {
      const res = await post(JSON.stringify({ grant_type: "client_credentials" }), { ...auth, "content-type": type });
      expect(res.status, type).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_request" });
    }
  });

  it("a body over 8 KB: 413 (8 KB exactly is read)", async () => {
    const app = await bed.registerClient({});
    const auth = { authorization: basic(app.clientId, app.clientSecret as string) };
    const head = "grant_type=client_credentials&scope=";
    const big = await post(head + "a".repeat(MAX_FORM_BYTES - head.length + 1), auth);
    expect(big.status).toBe(413);
    expect(big.headers.get("cache-control")).toBe("no-store");
    expect(await big.json()).toMatchObject({ error: "invalid_request" });

    const exact = await post(head + "a".repeat(MAX_FORM_BYTES - head.length), auth);
    expect(exact.status).toBe(400);
    expect(await exact.json()).toMatchObject({ error: "invalid_scope" });
  });

  it("every answer, success or failure, is Cache-Control: no-store and Pragma: no-cache", async () => {
    const app = await bed.registerClient({});
    const auth = { authorization: basic(app.clientId, app.clientSecret as string) };
    const answers = [
      await post("grant_type=client_credentials&scope=contacts%3Aread", auth),
      await post("grant_type=client_credentials&scope=nope", auth),
      await post("grant_type=password", auth),
      await post("grant_type=client_credentials"),
      await post("grant_type=client_credentials", { ...auth, "content-type": "application/json" }),
      await post(`grant_type=client_credentials&scope=${"a".repeat(MAX_FORM_BYTES)}`, auth),
      await bed.dispatch(new Request(TOKEN_URL)),
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 400, 400, 401, 400, 413, 405]);
    for (const res of answers) {
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("pragma")).toBe("no-cache");
    }
  });

  it("grant_type=password (and other grants we do not implement): unsupported_grant_type", async () => {
    const app = await bed.registerClient({});
    for (const grantType of ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code", "token"]) {
      const res = await refusal(
        oauth
          .genericTokenEndpointRequest(as, clientOf(app), authOf(app), grantType, {}, opts())
          .then((response) => oauth.processGenericTokenEndpointResponse(as, clientOf(app), response)),
      );
      expect(res, grantType).toMatchObject({ status: 400, error: "unsupported_grant_type" });
    }
  });

  it("a real password-grant request, with username and password, is unsupported_grant_type", async () => {
    const app = await bed.registerClient({});
    const res = await post(
      new URLSearchParams({ grant_type: "password", username: "alice@example.com", password: "correct horse battery" }),
      { authorization: basic(app.clientId, app.clientSecret as string) },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "unsupported_grant_type" });
    // An unknown parameter on a supported grant is ignored (RFC 6749 §3.2): the grant goes through.
    const odd = await post(new URLSearchParams({ grant_type: "client_credentials", username: "x" }), {
      authorization: basic(app.clientId, app.clientSecret as string),
    });
    expect(odd.status).toBe(200);
    expect(await odd.json()).toMatchObject({ token_type: "Bearer" });
  });

  it("a grant type the client is not allowed: unauthorized_client", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({ grantTypes: ["authorization_code"] });
    expect(await refusal(clientCredentials(app, "contacts:read"))).toMatchObject({
      status: 400,
      error: "unauthorized_client",
    });
    const tokens = await redeem(app, await codeFor(app, alice));
    expect(tokens.refresh_token).toBeUndefined();
    const res = await post(
      new URLSearchParams({ grant_type: "refresh_token", refresh_token: `ghr_${"x".repeat(49)}` }),
      {
        authorization: basic(app.clientId, app.clientSecret as string),
      },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "unauthorized_client" });
  });
});

describe("client credentials", () => {
  it("a confidential client gets an access token for itself: no refresh token, sub = client_id", async () => {
    const app = await bed.registerClient({});
    const tokens = await clientCredentials(app, "contacts:read");
    expect(tokens.token_type).toBe("bearer");
    expect(tokens.scope).toBe("contacts:read");
    expect(tokens.expires_in).toBe(600);
    expect(tokens.refresh_token).toBeUndefined();
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({
      sub: app.clientId,
      client_id: app.clientId,
      iss: APP,
      aud: `${APP}/api`,
      scope: "contacts:read",
    });
  });

  it("a public client cannot use it", async () => {
    const spa = await bed.registerClient({ type: "public", grantTypes: ["authorization_code", "refresh_token"] });
    const res = await refusal(clientCredentials(spa, "contacts:read", oauth.None()));
    expect(["invalid_client", "unauthorized_client"]).toContain(res.error);
    expect([400, 401]).toContain(res.status);

    // Registration refuses that combination; a row that says otherwise (edited by hand) is still refused.
    await bed.rt.db
      .update(oauthClients)
      .set({ grantTypes: ["authorization_code", "refresh_token", "client_credentials"] })
      .where(eq(oauthClients.id, spa.clientId))
      .run();
    const edited = await refusal(clientCredentials(spa, "contacts:read", oauth.None()));
    expect(["invalid_client", "unauthorized_client"]).toContain(edited.error);
    expect(await bed.rt.db.select().from(oauthGrants).all()).toEqual([]);
  });

  it("a scope beyond the client's, or beyond its service account's role: invalid_scope", async () => {
    const app = await bed.registerClient({});
    expect(await refusal(clientCredentials(app, "contacts:read tokens:read"))).toMatchObject({
      status: 400,
      error: "invalid_scope",
    });
    const adminApp = await bed.registerClient({ scopes: ["contacts:read", "admin"] });
    expect(await refusal(clientCredentials(adminApp, "admin"))).toMatchObject({ status: 400, error: "invalid_scope" });
  });

  it("the token acts as the service account on the API: 200, and it sees none of a user's contacts", async () => {
    const alice = await bed.user("alice@example.com");
    await callerFor(bed.rt, alice.principal).contacts.create({ name: "Bob", email: "bob@example.com" });
    const app = await bed.registerClient({});
    const tokens = await clientCredentials(app, "contacts:read");
    const res = await bed.dispatch(
      new Request(`${APP}/api/v1/contacts`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items).toEqual([]);
  });
});

describe("refresh tokens", () => {
  async function start(scope = "contacts:read", input: Parameters<Testbed["registerClient"]>[0] = {}) {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient(input);
    const tokens = await redeem(app, await codeFor(app, alice, scope));
    return { alice, app, tokens };
  }

  it("rotate: every refresh returns a new refresh token, and the new access tokens work", async () => {
    const { app, tokens } = await start();
    const seen = new Set([tokens.refresh_token]);
    let current = tokens;
    for (let i = 0; i < 3; i++) {
      current = await refresh(app, current.refresh_token as string);
      expect(current.refresh_token).toMatch(/^ghr_/);
      expect(seen.has(current.refresh_token)).toBe(false);
      seen.add(current.refresh_token);
      expect(await contactsStatus(current.access_token)).toBe(200);
    }
  });

  it("reusing an old refresh token: invalid_grant, and the whole family is revoked", async () => {
    const { app, tokens } = await start();
    const second = await refresh(app, tokens.refresh_token as string);
    const third = await refresh(app, second.refresh_token as string);
    expect(await contactsStatus(third.access_token)).toBe(200);

    expect(await refusal(refresh(app, tokens.refresh_token as string))).toMatchObject({
      status: 400,
      error: "invalid_grant",
    });
    expect(await contactsStatus(third.access_token)).toBe(401);
    expect(await contactsStatus(second.access_token)).toBe(401);
    expect(await refusal(refresh(app, third.refresh_token as string))).toMatchObject({ error: "invalid_grant" });

    const audit = await auditRows("oauth.refresh_reuse");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorKind: "oauth_client",
      actorId: app.clientId,
      outcome: "denied",
      detail: expect.objectContaining({ grantRevoked: true }),
    });
  });

  it("the family has an absolute lifetime: past the client's refresh TTL, invalid_grant", async () => {
    const { app, tokens } = await start("contacts:read", { refreshTokenTtlSeconds: 3600 });
    bed.rt.clock.advance(3_300_000);
    const late = await refresh(app, tokens.refresh_token as string);
    // An access token never outlives its grant: 300 s are left, not the usual 600.
    expect(late.expires_in).toBe(300);

    bed.rt.clock.advance(301_000);
    expect(await refusal(refresh(app, late.refresh_token as string))).toMatchObject({
      status: 400,
      error: "invalid_grant",
    });
    expect(await contactsStatus(late.access_token)).toBe(401);
  });

  it("a refresh asking for a wider scope: invalid_scope", async () => {
    const { app, tokens } = await start("contacts:read");
    expect(await refusal(refresh(app, tokens.refresh_token as string, "contacts:read contacts:write"))).toMatchObject({
      status: 400,
      error: "invalid_scope",
    });
    expect(await refusal(refresh(app, tokens.refresh_token as string, "admin"))).toMatchObject({
      error: "invalid_scope",
    });
  });

  it("a refresh asking for a narrower scope gets just that", async () => {
    const { app, tokens } = await start("contacts:read contacts:write");
    expect(tokens.scope).toBe("contacts:read contacts:write");
    const narrow = await refresh(app, tokens.refresh_token as string, "contacts:read");
    expect(narrow.scope).toBe("contacts:read");
    expect(decodeJwt(narrow.access_token).scope).toBe("contacts:read");
    expect(await contactsStatus(narrow.access_token)).toBe(200);
    const write = await bed.dispatch(
      new Request(`${APP}/api/v1/contacts`, {
        method: "POST",
        headers: { authorization: `Bearer ${narrow.access_token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Bob", email: "bob@example.com" }),
      }),
    );
    expect(write.status).toBe(403);
  });

  it("client A's refresh token used by client B: invalid_grant, and A's family lives on", async () => {
    const { app: a, tokens } = await start();
    const b = await bed.registerClient({ name: "B" });
    expect(await refusal(refresh(b, tokens.refresh_token as string))).toMatchObject({
      status: 400,
      error: "invalid_grant",
    });
    expect(await contactsStatus(tokens.access_token)).toBe(200);
    const next = await refresh(a, tokens.refresh_token as string);
    expect(await contactsStatus(next.access_token)).toBe(200);
    expect(await auditRows("oauth.refresh_reuse")).toEqual([]);
  });
});

describe("rate limit", () => {
  const MIN = 60_000;
  // Windows are aligned to the epoch; start a second into one so the test never crosses a boundary.
  const T0 = Date.UTC(2031, 0, 1, 0, 0, 0) + 1_000;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    bed = createTestbed({ rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, anon: { limit: 3, windowMs: MIN } } });
    as = await discover(bed);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("past the anonymous quota per IP: 429 with Retry-After and a JSON body, whatever the credentials", async () => {
    const app = await bed.registerClient({});
    for (let i = 0; i < 3; i++) expect((await clientCredentials(app, "contacts:read")).access_token).toBeTruthy();

    const limited = await post("grant_type=client_credentials&scope=contacts%3Aread", {
      authorization: basic(app.clientId, app.clientSecret as string),
    });
    expect(limited.status).toBe(429);
    const retryAfter = limited.headers.get("retry-after") as string;
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBe(59);
    expect(limited.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(limited.headers.get("cache-control")).toBe("no-store");
    const body = (await limited.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
    expect(body.error).toBe("temporarily_unavailable");

    // A spoofed X-Forwarded-For (no trusted proxy) does not buy a fresh quota.
    const spoofed = await post("grant_type=client_credentials", {
      authorization: basic(app.clientId, app.clientSecret as string),
      "x-forwarded-for": "203.0.113.7",
    });
    expect(spoofed.status).toBe(429);

    // A guess at the secret is not even looked at: 429, not 401.
    const guess = await refusal(clientCredentials(app, undefined, oauth.ClientSecretBasic("ghs_guess")));
    expect(guess.status).toBe(429);

    vi.setSystemTime(T0 + MIN);
    expect((await clientCredentials(app, "contacts:read")).access_token).toBeTruthy();
  });
});

describe("rate limit of the authorization endpoint", () => {
  const MIN = 60_000;
  const T0 = Date.UTC(2031, 0, 1, 0, 0, 0) + 1_000;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    bed = createTestbed({ rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, anon: { limit: 3, windowMs: MIN } } });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("counts GET /oauth/authorize per client IP: past the quota, a 429 page with Retry-After and nothing parked", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const { clientId } = await bed.registerClient({});
    const query = {
      response_type: "code",
      client_id: clientId,
      redirect_uri: CALLBACK,
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    };
    for (let i = 0; i < 3; i++) expect((await bed.dispatch(authorizeRequest(query, alice.cookie))).status).toBe(303);
    const limited = await bed.dispatch(authorizeRequest(query, alice.cookie));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(limited.headers.get("location")).toBeNull();
    expect(limited.headers.get("content-type")).toMatch(/^text\/html/);
    const [parked] = await storedRows<{ n: number }>(
      bed.rt.db,
      "select count(*) as n from oauth_pending_authorizations",
    );
    expect(parked?.n).toBe(3);
  });
});

describe("client changes take effect", () => {
  /** POST /api/v1/contacts with this access token. */
  function createContact(accessToken: string, name: string) {
    return bed.dispatch(
      new Request(`${APP}/api/v1/contacts`, {
        method: "POST",
        headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name, email: `${name.toLowerCase()}@example.com` }),
      }),
    );
  }

  it("refresh_token taken away: the client's existing refresh token is unauthorized_client", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({});
    const tokens = await redeem(app, await codeFor(app, alice));
    // It refreshes while the client may.
    const refreshed = await refresh(app, tokens.refresh_token as string);
    expect(refreshed.refresh_token).toMatch(/^ghr_/);

    await updateClient(SVC(), app.clientId, { grantTypes: ["authorization_code", "client_credentials"] });
    expect(await refusal(refresh(app, refreshed.refresh_token as string))).toMatchObject({
      status: 400,
      error: "unauthorized_client",
      cacheControl: "no-store",
    });
  });

  it("scopes narrowed to contacts:read: a live contacts:write access token gets 403 insufficient_scope at once", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({});
    const tokens = await redeem(app, await codeFor(app, alice, "contacts:read contacts:write"));
    expect(tokens.scope).toBe("contacts:read contacts:write");
    expect((await createContact(tokens.access_token, "Bob")).status).toBe(201);

    await updateClient(SVC(), app.clientId, { scopes: ["contacts:read"] });
    // The same token, unexpired, not re-issued: the client's scopes are checked on every request.
    const refused = await createContact(tokens.access_token, "Carol");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toContain('error="insufficient_scope", scope="contacts:write"');
    expect(((await refused.json()) as { type: string }).type).toBe("urn:gatehouse:problem:insufficient_scope");
    // What the client still may do, the token still does.
    expect(await contactsStatus(tokens.access_token)).toBe(200);
  });

  it("a redirect URI taken away: a new authorization request with it gets the 400 error page, never a redirect", async () => {
    const alice = await signedIn(bed, "alice@example.com");
    const app = await bed.registerClient({ redirectUris: [CALLBACK, CALLBACK_2] });
    const query = (redirectUri: string) => ({
      response_type: "code",
      client_id: app.clientId,
      redirect_uri: redirectUri,
      state: "s",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      scope: "contacts:read",
    });
    // While registered, the second URI leads on (to the consent page).
    expect((await bed.dispatch(authorizeRequest(query(CALLBACK_2), alice.cookie))).status).toBe(303);

    await updateClient(SVC(), app.clientId, { redirectUris: [CALLBACK] });
    const res = await bed.dispatch(authorizeRequest(query(CALLBACK_2), alice.cookie));
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const body = await res.text();
    expect(body).toContain("<h1>Invalid redirect URI</h1>");
    expect(body).not.toContain(CALLBACK_2);
    // The URI that stayed still works.
    expect((await bed.dispatch(authorizeRequest(query(CALLBACK), alice.cookie))).status).toBe(303);
  });

  it("client_credentials taken away: the client's live access token stops on the next request", async () => {
    const app = await bed.registerClient({});
    const token = (await clientCredentials(app, "contacts:read")).access_token;
    expect(await contactsStatus(token)).toBe(200);
    await updateClient(SVC(), app.clientId, { grantTypes: ["authorization_code", "refresh_token"] });
    expect(await contactsStatus(token)).toBe(401);
    expect(await refusal(clientCredentials(app, "contacts:read"))).toMatchObject({ error: "unauthorized_client" });
  });
});

describe("housekeeping", () => {
  it("a grant a day past its end is deleted, with its tokens, when the next one is made; live ones stay", async () => {
    const app = await bed.registerClient({});
    const first = await clientCredentials(app, "contacts:read");
    const firstJti = decodeJwt(first.access_token).jti as string;
    bed.rt.clock.advance(600_000 + 86_400_000 + 1_000);
    const live = await clientCredentials(app, "contacts:read");
    await clientCredentials(app, "contacts:read");
    const grants = await bed.rt.db.select().from(oauthGrants).all();
    expect(grants).toHaveLength(2);
    const jtis = await storedRows<{ jti: string }>(bed.rt.db, "select jti from oauth_access_tokens");
    expect(jtis.map((row) => row.jti)).not.toContain(firstJti);
    expect(await contactsStatus(live.access_token)).toBe(200);
  });
});
