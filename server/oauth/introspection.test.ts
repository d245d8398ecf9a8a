import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { base64url, decodeJwt, decodeProtectedHeader } from "jose";
import * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, oauthAccessTokens } from "@/db/schema";
import { CLI_ACTOR } from "../services/audit";
import { revokeGrant, setClientDisabled } from "../services/oauth-clients";
import { setUserDisabled } from "../services/users";
import {
  APP,
  authorizationCodeTokens,
  clientCredentialsToken,
  clientOptions,
  createTestbed,
  postForm,
  type Registered,
  type Testbed,
  tokenRequest as tokenRequestOf,
} from "./testing/testbed";

/**
 * Introspection (RFC 7662) and revocation (RFC 7009), attacked. Introspection
 * answers only the authenticated confidential client that owns the token;
 * anything else — expired, revoked, unknown, forged, someone else's, a spent
 * refresh token — is exactly `{"active":false}`, with no other member that
 * could leak what the token was. Revocation is 200 whatever the token, and
 * only ever touches the caller's own tokens.
 */

const INACTIVE = { active: false };

let bed: Testbed;
let as: oauth.AuthorizationServer;
const opts = () => clientOptions(bed);

type Seeded = Awaited<ReturnType<Testbed["user"]>>;

const svc = () => ({
  db: bed.rt.db,
  clock: bed.rt.clock,
  actor: CLI_ACTOR,
  client: { ip: null, userAgent: null, requestId: "test" },
});

/** A form POST to an OAuth endpoint, authenticated as the client (HTTP Basic, or client_id alone for a public one). */
const post = (path: string, client: Registered | null, params: Record<string, string>) =>
  postForm(bed, path, client, params);

const introspect = (client: Registered | null, token: string, extra: Record<string, string> = {}) =>
  post("/oauth/introspect", client, { token, ...extra });
const revoke = (client: Registered | null, token: string, extra: Record<string, string> = {}) =>
  post("/oauth/revoke", client, { token, ...extra });

/** Exactly `{"active":false}`: not a member more (RFC 7662 §2.2 allows nothing to leak). */
async function expectInactive(client: Registered, token: string) {
  const res = await introspect(client, token);
  expect(res.status).toBe(200);
  expect(res.json).toStrictEqual(INACTIVE);
  expect(res.text).toBe('{"active":false}');
  expect(res.headers.get("cache-control")).toBe("no-store");
}

async function isActive(client: Registered, token: string): Promise<boolean> {
  const res = await introspect(client, token);
  expect(res.status).toBe(200);
  return res.json?.active === true;
}

const tokenRequest = (client: Registered, params: Record<string, string>) => tokenRequestOf(bed, client, params);
const clientCredentials = (client: Registered, scope = "contacts:read") => clientCredentialsToken(bed, client, scope);
const authorizationCode = (client: Registered, who: Seeded, scope = "contacts:read") =>
  authorizationCodeTokens(bed, client, who, scope);

async function refreshWith(client: Registered, refreshToken: string) {
  return tokenRequest(client, { grant_type: "refresh_token", refresh_token: refreshToken });
}

function restStatus(token: string): Promise<number> {
  return bed
    .dispatch(new Request(`${APP}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } }))
    .then((res) => res.status);
}

async function grantOf(token: string): Promise<string> {
  const jti = decodeJwt(token).jti as string;
  return (await bed.rt.db.select().from(oauthAccessTokens).where(eq(oauthAccessTokens.jti, jti)).get())
    ?.grantId as string;
}

const revokeAudits = () => bed.rt.db.select().from(auditLog).where(eq(auditLog.action, "oauth.token_revoke")).all();

let clientA: Registered;
let clientB: Registered;
let alice: Seeded;

beforeEach(async () => {
  bed = createTestbed();
  const issuer = new URL(APP);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { ...opts(), algorithm: "oauth2" }),
  );
  clientA = await bed.registerClient({ name: "App A" });
  clientB = await bed.registerClient({ name: "App B" });
  alice = await bed.user("alice@example.com");
});

describe("introspection of live tokens", () => {
  it("an access token: active with scope, client_id, sub, exp, iat, iss, jti and token_type (oauth4webapi)", async () => {
    const { access_token } = await authorizationCode(clientA, alice, "contacts:read contacts:write");
    const claims = decodeJwt(access_token);
    const info = await oauth.processIntrospectionResponse(
      as,
      { client_id: clientA.clientId },
      await oauth.introspectionRequest(
        as,
        { client_id: clientA.clientId },
        oauth.ClientSecretBasic(clientA.clientSecret as string),
        access_token,
        opts(),
      ),
    );
    expect(info).toMatchObject({
      active: true,
      scope: "contacts:read contacts:write",
      client_id: clientA.clientId,
      sub: alice.user.id,
      exp: claims.exp,
      iat: claims.iat,
      iss: as.issuer,
      jti: claims.jti,
      token_type: "Bearer",
    });
    expect(info.iss).toBe(APP);
    expect(typeof info.exp).toBe("number");
    expect((info.exp as number) - (info.iat as number)).toBe(600);
  });

  it("a client_credentials token: the subject is the client itself", async () => {
    const token = await clientCredentials(clientA);
    const res = await introspect(clientA, token, { token_type_hint: "access_token" });
    expect(res.json).toMatchObject({ active: true, sub: clientA.clientId, client_id: clientA.clientId });
  });

  it("a refresh token: active with scope, client_id, sub, exp, iat, iss", async () => {
    const { refresh_token } = await authorizationCode(clientA, alice);
    const res = await introspect(clientA, refresh_token, { token_type_hint: "refresh_token" });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      active: true,
      scope: "contacts:read",
      client_id: clientA.clientId,
      sub: alice.user.id,
      iss: APP,
      iat: Math.floor(bed.rt.clock.now().getTime() / 1000),
      exp: Math.floor(bed.rt.clock.now().getTime() / 1000) + 30 * 86_400,
    });
  });

  it("the answer is not cached anywhere", async () => {
    const token = await clientCredentials(clientA);
    const res = await introspect(clientA, token);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe('anything not live for the asking client is exactly {"active":false}', () => {
  it("an expired access token", async () => {
    const token = await clientCredentials(clientA);
    expect(await isActive(clientA, token)).toBe(true);
    bed.rt.clock.set(((decodeJwt(token).exp as number) + 6) * 1000);
    await expectInactive(clientA, token);
  });

  it("an access token revoked at the revocation endpoint", async () => {
    const token = await clientCredentials(clientA);
    expect((await revoke(clientA, token)).status).toBe(200);
    await expectInactive(clientA, token);
  });

  it("the tokens of a grant an administrator revoked", async () => {
    const { access_token, refresh_token } = await authorizationCode(clientA, alice);
    expect(await isActive(clientA, access_token)).toBe(true);
    await revokeGrant(svc(), await grantOf(access_token));
    await expectInactive(clientA, access_token);
    await expectInactive(clientA, refresh_token);
  });

  it("the tokens of a disabled user", async () => {
    const { access_token, refresh_token } = await authorizationCode(clientA, alice);
    await setUserDisabled(svc(), alice.user.id, true);
    await expectInactive(clientA, access_token);
    await expectInactive(clientA, refresh_token);
  });

  it("unknown random strings, in every shape", async () => {
    await clientCredentials(clientA); // there is a live token in the database
    for (const junk of [
      randomBytes(32).toString("base64url"),
      `ghr_${randomBytes(32).toString("base64url")}`,
      `ghr_${"A".repeat(200)}`,
      `${base64url.encode('{"alg":"ES256"}')}.${base64url.encode("{}")}.${randomBytes(64).toString("base64url")}`,
      "x",
      "a.b.c.d",
    ]) {
      await expectInactive(clientA, junk);
    }
  });

  it("a forged JWT: alg none, with the claims of a real token", async () => {
    const token = await clientCredentials(clientA);
    const [, payload, signature] = token.split(".");
    const header = base64url.encode(
      JSON.stringify({ alg: "none", typ: "at+jwt", kid: decodeProtectedHeader(token).kid }),
    );
    await expectInactive(clientA, `${header}.${payload}.`);
    await expectInactive(clientA, `${header}.${payload}.${signature}`);
    expect(await isActive(clientA, token)).toBe(true);
  });

  it("another client's tokens: B learns nothing about A's access or refresh token", async () => {
    const { access_token, refresh_token } = await authorizationCode(clientA, alice);
    await expectInactive(clientB, access_token);
    await expectInactive(clientB, refresh_token);
    await expectInactive(clientB, await clientCredentials(clientA));
    // Control: the owner sees them live.
    expect(await isActive(clientA, access_token)).toBe(true);
    expect(await isActive(clientA, refresh_token)).toBe(true);
  });

  it("a used (rotated) refresh token — and introspecting it does not disturb the family", async () => {
    const { refresh_token: first } = await authorizationCode(clientA, alice);
    const rotated = await refreshWith(clientA, first);
    expect(rotated.status).toBe(200);
    await expectInactive(clientA, first);
    // Introspection is read-only: it is not the reuse that revokes the grant.
    expect(await isActive(clientA, rotated.body.refresh_token as string)).toBe(true);
    expect(await restStatus(rotated.body.access_token as string)).toBe(200);
  });
});

describe("who may introspect", () => {
  let token: string;
  beforeEach(async () => {
    token = await clientCredentials(clientA);
  });

  async function expectInvalidClient(res: Awaited<ReturnType<typeof introspect>>) {
    expect(res.status).toBe(401);
    expect(res.json?.error).toBe("invalid_client");
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="gatehouse"/);
    expect(res.json).not.toHaveProperty("active");
  }

  it("without client authentication: 401 invalid_client with a Basic challenge", async () => {
    await expectInvalidClient(await introspect(null, token));
  });

  it("a public client (client_id alone): 401, even about its own tokens", async () => {
    const pub = await bed.registerClient({ type: "public", grantTypes: ["authorization_code", "refresh_token"] });
    const { access_token } = await authorizationCode(pub, alice);
    await expectInvalidClient(await introspect(pub, access_token));
    // With a made-up secret it is no better.
    await expectInvalidClient(
      await post("/oauth/introspect", null, {
        token: access_token,
        client_id: pub.clientId,
        client_secret: "ghs_made_up_secret_made_up_secret_0000000000",
      }),
    );
  });

  it("a wrong secret, or a disabled client: 401", async () => {
    await expectInvalidClient(
      await introspect({ clientId: clientA.clientId, clientSecret: `${clientA.clientSecret}x` }, token),
    );
    await expectInvalidClient(
      await introspect({ clientId: clientA.clientId, clientSecret: clientB.clientSecret }, token),
    );
    await setClientDisabled(svc(), clientA.clientId, true);
    await expectInvalidClient(await introspect(clientA, token));
  });
});

describe("revocation (RFC 7009)", () => {
  it("revoking a refresh token ends its access tokens too, and the refresh token itself (oauth4webapi)", async () => {
    const { access_token, refresh_token } = await authorizationCode(clientA, alice);
    expect(await restStatus(access_token)).toBe(200);
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(
        as,
        { client_id: clientA.clientId },
        oauth.ClientSecretBasic(clientA.clientSecret as string),
        refresh_token,
        opts(),
      ),
    );
    expect(await restStatus(access_token)).toBe(401);
    await expectInactive(clientA, access_token);
    await expectInactive(clientA, refresh_token);
    const again = await refreshWith(clientA, refresh_token);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
  });

  it("revoking an access token ends only that token", async () => {
    const first = await authorizationCode(clientA, alice);
    const second = await refreshWith(clientA, first.refresh_token);
    expect(second.status).toBe(200);
    const { access_token: otherAccess, refresh_token: liveRefresh } = second.body as Record<string, string>;

    expect((await revoke(clientA, first.access_token, { token_type_hint: "access_token" })).status).toBe(200);
    expect(await restStatus(first.access_token)).toBe(401);
    // The grant lives on: its other access token, and its refresh token.
    expect(await restStatus(otherAccess as string)).toBe(200);
    expect(await isActive(clientA, liveRefresh as string)).toBe(true);
    const third = await refreshWith(clientA, liveRefresh as string);
    expect(third.status).toBe(200);
    expect(await restStatus(third.body.access_token as string)).toBe(200);
  });

  it("an unknown token: 200 with an empty body, and nothing recorded", async () => {
    const token = await clientCredentials(clientA);
    const before = (await bed.rt.db.select().from(auditLog).all()).length;
    for (const junk of [
      randomBytes(32).toString("base64url"),
      `ghr_${randomBytes(32).toString("base64url")}`,
      `${base64url.encode('{"alg":"ES256"}')}.${base64url.encode('{"jti":"oat_00000000000000000000"}')}.${randomBytes(64).toString("base64url")}`,
    ]) {
      const res = await revoke(clientA, junk);
      expect(res.status).toBe(200);
      expect(res.text).toBe("");
    }
    expect((await bed.rt.db.select().from(auditLog).all()).length).toBe(before);
    expect(await restStatus(token)).toBe(200);
  });

  it("client B revoking A's tokens: 200, and A's tokens still work", async () => {
    const { access_token, refresh_token } = await authorizationCode(clientA, alice);
    expect((await revoke(clientB, refresh_token)).status).toBe(200);
    expect((await revoke(clientB, access_token)).status).toBe(200);
    expect(await isActive(clientA, access_token)).toBe(true);
    expect(await isActive(clientA, refresh_token)).toBe(true);
    expect(await restStatus(access_token)).toBe(200);
    // Nor can a public client, authenticated by its own client_id.
    const pub = await bed.registerClient({ type: "public", grantTypes: ["authorization_code", "refresh_token"] });
    expect((await revoke(pub, refresh_token)).status).toBe(200);
    expect(await isActive(clientA, refresh_token)).toBe(true);
    expect(await revokeAudits()).toHaveLength(0);
    // And the refresh token is still A's to use.
    expect((await refreshWith(clientA, refresh_token)).status).toBe(200);
  });

  it("a public client revokes its own refresh token with its client_id alone (§2.1)", async () => {
    const pub = await bed.registerClient({ type: "public", grantTypes: ["authorization_code", "refresh_token"] });
    const { access_token, refresh_token } = await authorizationCode(pub, alice);
    expect(await restStatus(access_token)).toBe(200);
    expect((await revoke(pub, refresh_token)).status).toBe(200);
    expect(await restStatus(access_token)).toBe(401);
  });

  it("without client authentication: 401 invalid_client, and the token lives", async () => {
    const { refresh_token } = await authorizationCode(clientA, alice);
    const res = await revoke(null, refresh_token);
    expect(res.status).toBe(401);
    expect(res.json?.error).toBe("invalid_client");
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(await isActive(clientA, refresh_token)).toBe(true);
  });

  it("each revocation is audited as oauth.token_revoke by the client", async () => {
    const { access_token, refresh_token } = await authorizationCode(clientA, alice);
    const grantId = await grantOf(access_token);
    await revoke(clientA, access_token);
    await revoke(clientA, refresh_token);
    const rows = await revokeAudits();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.actorKind).toBe("oauth_client");
      expect(row.actorId).toBe(clientA.clientId);
      expect(row.targetId).toBe(grantId);
      expect(row.outcome).toBe("success");
      expect(row.detail?.actorUserId).toBe(alice.user.id);
    }
    // The tokens themselves never reach the audit log.
    expect(JSON.stringify(rows)).not.toContain(refresh_token);
    expect(JSON.stringify(rows)).not.toContain(access_token.split(".")[2]);
  });

  it("the oauth.token_revoke detail names the token's kind and id (jti / refresh id), not [redacted]", async () => {
    const { access_token, refresh_token } = await authorizationCode(clientA, alice);
    const jti = JSON.parse(Buffer.from(access_token.split(".")[1] as string, "base64url").toString()).jti as string;
    await revoke(clientA, access_token);
    await revoke(clientA, refresh_token);
    const details = (await revokeAudits()).map((row) => row.detail);
    expect(details[0]).toMatchObject({ kind: "access", jti });
    expect(details[1]).toMatchObject({ kind: "refresh", refreshId: expect.stringMatching(/^ort_[0-9a-z]{20}$/) });
    expect(JSON.stringify(details)).not.toContain("[redacted]");
  });
});
