import { createHash, createPublicKey, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import {
  base64url,
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from "jose";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, oauthAccessTokens, oauthClients } from "@/db/schema";
import { createLogger, setLogger } from "../logger";
import { CLI_ACTOR } from "../services/audit";
import { revokeGrant, setClientDisabled } from "../services/oauth-clients";
import { listAuthorizedApps, openConsent, revokeAuthorizedApp } from "../services/oauth-consent";
import { revokeAllForUser } from "../services/tokens";
import { setUserDisabled, setUserRole } from "../services/users";
import type { JwtRefusal } from "./access-token";
import { signingKeysFor } from "./signing-keys";
import {
  APP,
  authorizationCodeTokens,
  clientCredentialsToken,
  createTestbed,
  type Registered,
  type Testbed,
  tokenRequest as tokenRequestOf,
} from "./testing/testbed";

/**
 * OAuth access tokens (RFC 9068 JWTs) attacked on both API doors: REST
 * (GET /api/v1/contacts) and tRPC (GET /api/trpc/contacts.list), with
 * `Authorization: Bearer`. Every forgery must be a 401 with
 * `error="invalid_token"`; where the token is JWT-shaped, the refusal reason
 * that server/auth/oauth-principal.ts logs is checked too, so each case is
 * proven to fail for the reason it was built to test (and a control re-signs
 * the untouched claims with the real key to show the forging itself works).
 */

const INVALID_TOKEN = 'Bearer realm="gatehouse", error="invalid_token"';
const CALLBACK = "https://app.example.com/callback";
const LIST_REST = `${APP}/api/v1/contacts`;
const LIST_TRPC = `${APP}/api/trpc/contacts.list?input=${encodeURIComponent("{}")}`;

// Log lines tell why a token was refused (never the token itself).
const logLines: string[] = [];
setLogger(createLogger({ level: "info", destination: { write: (line: string) => logLines.push(line) } }));
afterAll(() => setLogger(undefined));

type LogEntry = { msg: string; reason?: string; jti?: string };
function takeLog(): LogEntry[] {
  return logLines.splice(0).map((line) => JSON.parse(line) as LogEntry);
}
/** Why the JWT check refused tokens since the last call (server/oauth/access-token.ts JwtRefusal). */
const jwtRefusals = (entries: LogEntry[]) =>
  entries.filter((e) => e.msg === "refused an access token").map((e) => e.reason);
const rowRefusals = (entries: LogEntry[]) =>
  entries.filter((e) => e.msg === "refused a revoked or unknown access token").length;

let bed: Testbed;
type Seeded = Awaited<ReturnType<Testbed["user"]>>;

const svc = () => ({
  db: bed.rt.db,
  clock: bed.rt.clock,
  actor: CLI_ACTOR,
  client: { ip: null, userAgent: null, requestId: "test" },
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function restList(token: string) {
  return bed.dispatch(new Request(LIST_REST, { headers: bearer(token) }));
}
function trpcList(token: string) {
  return bed.dispatch(new Request(LIST_TRPC, { headers: bearer(token) }));
}
function restCreate(token: string, body: unknown = { name: "Ada", email: "ada@example.com" }) {
  return bed.dispatch(
    new Request(LIST_REST, {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}
function trpcQuery(token: string, path: string, input?: unknown) {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return bed.dispatch(new Request(`${APP}/api/trpc/${path}${query}`, { headers: bearer(token) }));
}
function trpcMutation(token: string, path: string, input: unknown) {
  return bed.dispatch(
    new Request(`${APP}/api/trpc/${path}`, {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify(input),
    }),
  );
}

async function expectRefusedOnBothDoors(token: string) {
  const rest = await restList(token);
  expect(rest.status, "REST").toBe(401);
  expect(rest.headers.get("www-authenticate"), "REST").toBe(INVALID_TOKEN);
  expect((await rest.json()).type).toBe("urn:gatehouse:problem:invalid_token");
  const trpc = await trpcList(token);
  expect(trpc.status, "tRPC").toBe(401);
  expect(trpc.headers.get("www-authenticate"), "tRPC").toBe(INVALID_TOKEN);
}

async function expectAcceptedOnBothDoors(token: string) {
  expect((await restList(token)).status, "REST").toBe(200);
  expect((await trpcList(token)).status, "tRPC").toBe(200);
}

/** A tRPC error body's reason (server/trpc.ts errorFormatter). */
async function trpcReason(res: Response): Promise<unknown> {
  const body = (await res.json()) as { error?: { data?: { reason?: unknown } } };
  return body.error?.data?.reason;
}

const clientCredentials = (client: Registered, scope?: string) => clientCredentialsToken(bed, client, scope);
const tokenRequest = (client: Registered, params: Record<string, string>) => tokenRequestOf(bed, client, params);

/** The authorization endpoint's redirect back to the client (consenting on the user's behalf when asked). */
async function authorizeRedirect(client: Registered, who: Seeded, scope: string | null, challenge: string) {
  const cookie = await bed.sessionCookie(who.user, who.session.id);
  const url = new URL(`${APP}/oauth/authorize`);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: client.clientId,
    redirect_uri: CALLBACK,
    ...(scope === null ? {} : { scope }),
    state: "st",
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  let res = await bed.dispatch(new Request(url, { headers: { cookie } }));
  expect(res.status).toBe(303);
  let location = new URL(res.headers.get("location") as string, APP);
  if (location.origin === APP && location.pathname === "/oauth/consent") {
    const requestId = location.searchParams.get("request") as string;
    const view = await openConsent({ ...svc(), actor: { kind: "user", id: who.user.id } }, requestId, who.user.id);
    expect(view).not.toBeNull();
    res = await bed.dispatch(
      new Request(`${APP}/oauth/authorize`, {
        method: "POST",
        headers: { cookie, origin: APP, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ request_id: requestId, csrf_token: view?.csrfToken as string, decision: "allow" }),
      }),
    );
    expect(res.status).toBe(303);
    location = new URL(res.headers.get("location") as string);
  }
  return location;
}

const authorizationCode = (client: Registered, who: Seeded, scope: string | null) =>
  authorizationCodeTokens(bed, client, who, scope);

async function grantOf(token: string): Promise<string> {
  const row = await bed.rt.db
    .select()
    .from(oauthAccessTokens)
    .where(eq(oauthAccessTokens.jti, decodeJwt(token).jti as string))
    .get();
  expect(row).toBeDefined();
  return row?.grantId as string;
}

const enc = (value: unknown) => base64url.encode(JSON.stringify(value));

interface Genuine {
  token: string;
  header: JWTHeaderParameters;
  claims: JWTPayload;
}

function genuine(token: string): Genuine {
  return { token, header: decodeProtectedHeader(token) as JWTHeaderParameters, claims: decodeJwt(token) };
}

/** Gatehouse's own signing key: forgeries signed with it isolate the one rule they break. */
async function ourKey(): Promise<{ kid: string; key: CryptoKey }> {
  return (await signingKeysFor(bed.rt).signingKey()) as { kid: string; key: CryptoKey };
}

async function sign(key: CryptoKey | Uint8Array, header: JWTHeaderParameters, claims: JWTPayload) {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

async function attackerKeys() {
  return generateKeyPair("ES256", { extractable: true });
}

/** Our published public key, as the JWKS serves it. */
async function publishedJwk(kid: string) {
  const res = await bed.dispatch(new Request(`${APP}/oauth/jwks`));
  const { keys } = (await res.json()) as { keys: Array<Record<string, string>> };
  const jwk = keys.find((k) => k.kid === kid);
  expect(jwk).toBeDefined();
  return jwk as Record<string, string>;
}

/** Changes the last base64url character of a token in its significant bits (not just padding bits). */
function flipLast(token: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(token.at(-1) as string);
  return token.slice(0, -1) + alphabet[last ^ 0b100000];
}

beforeEach(() => {
  bed = createTestbed();
  logLines.length = 0;
});

type Forgery = {
  name: string;
  /** The reason the JWT check must give; null when the credential is not even JWT-shaped. */
  reason: JwtRefusal | null;
  forge: (g: Genuine, ctx: { otherUserId: string }) => Promise<string>;
};

const FORGERIES: Forgery[] = [
  {
    name: "alg none with an empty signature",
    reason: null,
    forge: async (g) => `${enc({ alg: "none", typ: "at+jwt", kid: g.header.kid })}.${g.token.split(".")[1]}.`,
  },
  {
    name: "alg none keeping the original signature",
    reason: "algorithm",
    forge: async (g) => {
      const [, payload, signature] = g.token.split(".");
      return `${enc({ alg: "none", typ: "at+jwt", kid: g.header.kid })}.${payload}.${signature}`;
    },
  },
  {
    name: "HS256 with the public JWK (as published) as the HMAC secret",
    reason: "algorithm",
    forge: async (g) => {
      const jwk = await publishedJwk(g.header.kid as string);
      const secret = new TextEncoder().encode(JSON.stringify(jwk));
      return sign(secret, { alg: "HS256", typ: "at+jwt", kid: g.header.kid }, g.claims);
    },
  },
  {
    name: "HS256 with the public key's PEM as the HMAC secret",
    reason: "algorithm",
    forge: async (g) => {
      const jwk = await publishedJwk(g.header.kid as string);
      const pem = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" }) as string;
      return sign(new TextEncoder().encode(pem), { alg: "HS256", typ: "at+jwt", kid: g.header.kid }, g.claims);
    },
  },
  {
    name: "scope widened, original signature",
    reason: "signature",
    forge: async (g) => {
      const [header, , signature] = g.token.split(".");
      const widened = { ...g.claims, scope: "admin contacts:read contacts:write tokens:read tokens:write" };
      return `${header}.${enc(widened)}.${signature}`;
    },
  },
  {
    name: "sub changed to another user, original signature",
    reason: "signature",
    forge: async (g, { otherUserId }) => {
      const [header, , signature] = g.token.split(".");
      return `${header}.${enc({ ...g.claims, sub: otherUserId })}.${signature}`;
    },
  },
  {
    name: "wrong iss (signed with our key)",
    reason: "claims",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, g.header, { ...g.claims, iss: "https://evil.example" });
    },
  },
  {
    name: "iss with a trailing slash (signed with our key)",
    reason: "claims",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, g.header, { ...g.claims, iss: `${APP}/` });
    },
  },
  {
    name: "wrong aud (signed with our key)",
    reason: "claims",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, g.header, { ...g.claims, aud: "https://other.example/api" });
    },
  },
  {
    name: "aud the issuer instead of the API (signed with our key)",
    reason: "claims",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, g.header, { ...g.claims, aud: APP });
    },
  },
  {
    name: "aud an array naming us and another audience (signed with our key)",
    reason: "claims",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, g.header, { ...g.claims, aud: [g.claims.aud as string, "https://other.example/api"] });
    },
  },
  {
    name: 'typ "JWT" instead of at+jwt (signed with our key)',
    reason: "type",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, { ...g.header, typ: "JWT" }, g.claims);
    },
  },
  {
    name: "no typ (signed with our key)",
    reason: "type",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, { alg: "ES256", kid: g.header.kid }, g.claims);
    },
  },
  {
    name: "nbf in the future (signed with our key)",
    reason: "not_yet_valid",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, g.header, { ...g.claims, nbf: (g.claims.iat as number) + 600 });
    },
  },
  {
    name: "iat in the future (signed with our key)",
    reason: "not_yet_valid",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, g.header, { ...g.claims, iat: (g.claims.iat as number) + 600 });
    },
  },
  {
    name: "an unknown kid (signed with our key)",
    reason: "unknown_key",
    forge: async (g) => {
      const { key } = await ourKey();
      return sign(key, { ...g.header, kid: "sig_00000000000000000000" }, g.claims);
    },
  },
  {
    name: "signed by the attacker's own ES256 key under our kid",
    reason: "signature",
    forge: async (g) => sign((await attackerKeys()).privateKey, g.header, g.claims),
  },
  ...(["jku", "x5u"] as const).map(
    (name): Forgery => ({
      name: `injected ${name} header pointing at the attacker's keys (attacker key)`,
      reason: "header",
      forge: async (g) =>
        sign(
          (await attackerKeys()).privateKey,
          { ...g.header, [name]: "https://attacker.example/jwks.json" },
          g.claims,
        ),
    }),
  ),
  {
    name: "injected jwk header embedding the attacker's public key (attacker key)",
    reason: "header",
    forge: async (g) => {
      const { privateKey, publicKey } = await attackerKeys();
      const jwk = await exportJWK(publicKey);
      return sign(privateKey, { ...g.header, jwk }, g.claims);
    },
  },
  {
    name: "injected x5c header with the attacker's key material (attacker key)",
    reason: "header",
    forge: async (g) => {
      const { privateKey, publicKey } = await attackerKeys();
      const der = (await exportSPKI(publicKey)).replace(/-----[A-Z ]+-----|\s/g, "");
      return sign(privateKey, { ...g.header, x5c: [der] }, g.claims);
    },
  },
  ...(["jku", "x5u", "x5c", "jwk"] as const).map(
    (name): Forgery => ({
      name: `injected ${name} header on a token signed with OUR key (the header rule alone refuses it)`,
      reason: "header",
      forge: async (g) => {
        const { key } = await ourKey();
        const value =
          name === "x5c"
            ? ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]
            : name === "jwk"
              ? await exportJWK((await attackerKeys()).publicKey)
              : "https://attacker.example/jwks.json";
        return sign(key, { ...g.header, [name]: value }, g.claims);
      },
    }),
  ),
  {
    name: "a valid token with its last character changed",
    reason: "signature",
    forge: async (g) => flipLast(g.token),
  },
  {
    name: "a valid token with an extra 4th segment",
    reason: null,
    forge: async (g) => `${g.token}.${g.token.split(".")[2]}`,
  },
  {
    name: "a valid token with a trailing dot",
    reason: null,
    forge: async (g) => `${g.token}.`,
  },
  {
    // The last of the 86 signature characters carries 4 unused bits: flipping one gives the same
    // bytes to a lenient decoder, i.e. a second spelling of the same token. Only the canonical one is ours.
    name: "the signature's unused padding bits changed (same signature bytes, non-canonical spelling)",
    reason: "signature",
    forge: async (g) => {
      const last = g.token.at(-1) as string;
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      return g.token.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1];
    },
  },
];

describe.each([{ grant: "client_credentials" }, { grant: "authorization_code (member user)" }])(
  "forged access tokens, based on a real $grant token",
  ({ grant }) => {
    let real: Genuine;
    let otherUserId: string;

    beforeEach(async () => {
      const client = await bed.registerClient({});
      const alice = await bed.user("alice@example.com");
      otherUserId = (await bed.user("mallory@example.com")).user.id;
      const token =
        grant === "client_credentials"
          ? await clientCredentials(client, "contacts:read")
          : (await authorizationCode(client, alice, "contacts:read")).access_token;
      real = genuine(token);
      expect(real.header).toEqual({ alg: "ES256", typ: "at+jwt", kid: expect.stringMatching(/^sig_/) });
      takeLog();
    });

    it("the genuine token works on both doors", async () => {
      await expectAcceptedOnBothDoors(real.token);
      expect(jwtRefusals(takeLog())).toEqual([]);
    });

    it("control: the untouched claims re-signed with our key are accepted (so the forgeries below fail for their change)", async () => {
      const { key } = await ourKey();
      const resigned = await sign(key, real.header, real.claims);
      expect(resigned).not.toBe(real.token); // ECDSA signatures are randomised
      await expectAcceptedOnBothDoors(resigned);
    });

    it.each(FORGERIES)("$name → 401 invalid_token on both doors", async ({ forge, reason }) => {
      const forged = await forge(real, { otherUserId });
      expect(forged).not.toBe(real.token);
      await expectRefusedOnBothDoors(forged);
      const log = takeLog();
      if (reason) {
        // Refused by the JWT check itself (once per door), never reaching the database lookup.
        expect(jwtRefusals(log)).toEqual([reason, reason]);
      } else {
        // Not even JWT-shaped: it went to the API-token lookup, which knows nothing of it.
        expect(jwtRefusals(log)).toEqual([]);
      }
      expect(rowRefusals(log)).toBe(0);
      // The forgery did not hurt the real token.
      await expectAcceptedOnBothDoors(real.token);
    });

    it("expired: refused once the clock is past exp plus the 5 s tolerance", async () => {
      const exp = real.claims.exp as number;
      bed.rt.clock.set((exp + 6) * 1000);
      await expectRefusedOnBothDoors(real.token);
      expect(jwtRefusals(takeLog())).toEqual(["expired", "expired"]);
    });

    it("just before exp it still works", async () => {
      const exp = real.claims.exp as number;
      bed.rt.clock.set((exp - 1) * 1000);
      await expectAcceptedOnBothDoors(real.token);
    });

    it("a token accepted before (its signature check remembered) is still refused once it expires, and while it is not yet valid", async () => {
      await expectAcceptedOnBothDoors(real.token);
      const exp = real.claims.exp as number;
      const iat = real.claims.iat as number;
      bed.rt.clock.set((exp + 6) * 1000);
      await expectRefusedOnBothDoors(real.token);
      bed.rt.clock.set((iat - 60) * 1000);
      await expectRefusedOnBothDoors(real.token);
      expect(jwtRefusals(takeLog())).toEqual(["expired", "expired", "not_yet_valid", "not_yet_valid"]);
    });

    it("a token accepted before is refused on the next request once its row is revoked (the row is read every time)", async () => {
      await expectAcceptedOnBothDoors(real.token);
      const jti = real.claims.jti as string;
      await bed.rt.db.delete(oauthAccessTokens).where(eq(oauthAccessTokens.jti, jti)).run();
      await expectRefusedOnBothDoors(real.token);
      expect(rowRefusals(takeLog())).toBe(2);
    });
  },
);

describe("scopes are enforced as for API tokens", () => {
  it("a token with only contacts:read: reads (200), but a write is 403 insufficient_scope on both doors", async () => {
    const client = await bed.registerClient({});
    const token = await clientCredentials(client, "contacts:read");
    expect(decodeJwt(token).scope).toBe("contacts:read");
    await expectAcceptedOnBothDoors(token);

    const rest = await restCreate(token);
    expect(rest.status).toBe(403);
    expect(rest.headers.get("www-authenticate")).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="contacts:write"',
    );
    expect((await rest.json()).type).toBe("urn:gatehouse:problem:insufficient_scope");

    const trpc = await trpcMutation(token, "contacts.create", { name: "Ada", email: "ada@example.com" });
    expect(trpc.status).toBe(403);
    expect(trpc.headers.get("www-authenticate")).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="contacts:write"',
    );
    expect(await trpcReason(trpc)).toBe("insufficient_scope");
  });

  it("a member's token can never carry admin: not by asking, not by default, not via client_credentials", async () => {
    const client = await bed.registerClient({ scopes: ["admin", "contacts:read"] });
    const alice = await bed.user("alice@example.com");

    // Asking for it: invalid_scope back to the client, no code.
    const verifier = base64url.encode(randomBytes(32));
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const refused = await authorizeRedirect(client, alice, "contacts:read admin", challenge);
    expect(refused.searchParams.get("error")).toBe("invalid_scope");
    expect(refused.searchParams.get("code")).toBeNull();

    // Not asking: the client's scopes the role allows, without admin.
    const tokens = await authorizationCode(client, alice, null);
    expect(tokens.scope).toBe("contacts:read");
    expect(decodeJwt(tokens.access_token).scope).toBe("contacts:read");
    const admin = await trpcQuery(tokens.access_token, "admin.users.list", {});
    expect(admin.status).toBe(403);
    expect(await trpcReason(admin)).toBe("insufficient_scope");

    // The client's service account is a member too.
    const cc = await tokenRequest(client, { grant_type: "client_credentials", scope: "admin" });
    expect(cc.status).toBe(400);
    expect(cc.body.error).toBe("invalid_scope");
    expect(decodeJwt(await clientCredentials(client)).scope).toBe("contacts:read");
  });

  it("even a token row that somehow holds admin gives a member no admin power (scopes ∩ role on every request)", async () => {
    const client = await bed.registerClient({ scopes: ["admin", "contacts:read"] });
    const alice = await bed.user("alice@example.com");
    const { access_token: token } = await authorizationCode(client, alice, "contacts:read");
    await bed.rt.db
      .update(oauthAccessTokens)
      .set({ scopes: ["admin", "contacts:read"] })
      .where(eq(oauthAccessTokens.jti, decodeJwt(token).jti as string))
      .run();
    const res = await trpcQuery(token, "admin.users.list", {});
    expect(res.status).toBe(403);
    expect(await trpcReason(res)).toBe("insufficient_scope");
    await expectAcceptedOnBothDoors(token);
  });

  it("an OAuth token on a session-only procedure is 403 session_required (account.*, oauthApps.*)", async () => {
    const client = await bed.registerClient({});
    const admin = await bed.user("root@example.com", "admin");
    const { access_token: token } = await authorizationCode(client, admin, "contacts:read contacts:write");

    for (const path of ["account.me", "oauthApps.list"]) {
      const res = await trpcQuery(token, path);
      expect(res.status, path).toBe(403);
      expect(await trpcReason(res), path).toBe("session_required");
    }
    const change = await trpcMutation(token, "account.changePassword", {
      currentPassword: "correct horse battery",
      newPassword: "another long passphrase",
    });
    expect(change.status).toBe(403);
    expect(await trpcReason(change)).toBe("session_required");

    // The token cannot revoke the app it belongs to (or any other) either.
    const revoke = await trpcMutation(token, "oauthApps.revoke", { clientId: client.clientId });
    expect(revoke.status).toBe(403);
    expect(await trpcReason(revoke)).toBe("session_required");
    await expectAcceptedOnBothDoors(token);
  });
});

describe("revocation takes effect on the very next request", () => {
  let client: Registered;
  let alice: Seeded;
  let token: string;
  let refresh: string;

  beforeEach(async () => {
    client = await bed.registerClient({});
    alice = await bed.user("alice@example.com");
    ({ access_token: token, refresh_token: refresh } = await authorizationCode(
      client,
      alice,
      "contacts:read contacts:write",
    ));
    await expectAcceptedOnBothDoors(token);
    takeLog();
  });

  /** Refused by the database check, with a JWT that is still perfectly valid. */
  async function expectRevoked(t = token) {
    await expectRefusedOnBothDoors(t);
    const log = takeLog();
    expect(jwtRefusals(log)).toEqual([]);
    expect(rowRefusals(log)).toBe(2);
  }

  it("(a) an administrator revokes the grant", async () => {
    await revokeGrant(svc(), await grantOf(token));
    await expectRevoked();
  });

  it("(b) the client is disabled — and its tokens stay dead after it is enabled again", async () => {
    await setClientDisabled(svc(), client.clientId, true);
    await expectRevoked();
    await setClientDisabled(svc(), client.clientId, false);
    await expectRevoked();
    // Nor can the refresh token bring the grant back.
    const res = await tokenRequest(client, { grant_type: "refresh_token", refresh_token: refresh });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_grant");
  });

  it("(c) the user is disabled", async () => {
    await setUserDisabled(svc(), alice.user.id, true);
    await expectRevoked();
  });

  it("(c') the service account of a client_credentials client is disabled", async () => {
    const cc = await clientCredentials(client, "contacts:read");
    await expectAcceptedOnBothDoors(cc);
    const row = await bed.rt.db.select().from(oauthClients).where(eq(oauthClients.id, client.clientId)).get();
    await setUserDisabled(svc(), row?.serviceUserId as string, true);
    takeLog();
    await expectRevoked(cc);
    // Alice's own token is not affected.
    await expectAcceptedOnBothDoors(token);
  });

  it("(d) the user revokes the application in their settings", async () => {
    await revokeAuthorizedApp({ ...svc(), actor: { kind: "user", id: alice.user.id } }, alice.user.id, client.clientId);
    await expectRevoked();
  });

  it("(d') the user signs out everywhere: the app's tokens end and its consent is forgotten", async () => {
    const result = await revokeAllForUser({ ...svc(), actor: { kind: "user", id: alice.user.id } }, alice.user.id);
    expect(result.oauthGrantsRevoked).toBeGreaterThan(0);
    await expectRevoked();
    expect(await listAuthorizedApps(bed.rt.db, alice.user.id, bed.rt.clock.now())).toEqual([]);
  });

  it("(e) the client loses an allowed scope: the token loses it on the next request (403), keeps the rest", async () => {
    expect((await restCreate(token)).ok).toBe(true);
    // There is no service to edit a client's scopes yet; the row is what liveScopes reads.
    await bed.rt.db
      .update(oauthClients)
      .set({ scopes: ["contacts:read"] })
      .where(eq(oauthClients.id, client.clientId))
      .run();
    const rest = await restCreate(token, { name: "Bob", email: "bob@example.com" });
    expect(rest.status).toBe(403);
    expect(rest.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    const trpc = await trpcMutation(token, "contacts.create", { name: "Bob", email: "bob@example.com" });
    expect(trpc.status).toBe(403);
    await expectAcceptedOnBothDoors(token);
  });

  it("(e') the user is demoted: admin disappears from their token on the next request", async () => {
    const adminClient = await bed.registerClient({ scopes: ["admin", "contacts:read"] });
    const root = await bed.user("root@example.com", "admin");
    await bed.user("other-admin@example.com", "admin"); // so root is not the last administrator
    const { access_token: adminToken } = await authorizationCode(adminClient, root, "admin contacts:read");
    expect((await trpcQuery(adminToken, "admin.users.list", {})).status).toBe(200);

    await setUserRole(svc(), root.user.id, "member");
    const res = await trpcQuery(adminToken, "admin.users.list", {});
    expect(res.status).toBe(403);
    expect(await trpcReason(res)).toBe("insufficient_scope");
    await expectAcceptedOnBothDoors(adminToken);
  });

  it("the check is by database row: delete the jti's row and the still-valid JWT is refused", async () => {
    const jti = decodeJwt(token).jti as string;
    const deleted = (await bed.rt.db.delete(oauthAccessTokens).where(eq(oauthAccessTokens.jti, jti)).run()).changes;
    expect(deleted).toBe(1);
    await expectRevoked();
  });

  it("a row whose grant belongs to another client than the JWT's client_id is refused", async () => {
    // A JWT is only honoured for the row it was issued with: re-point the row at another client's grant.
    const other = await bed.registerClient({ name: "Other app" });
    const otherToken = await clientCredentials(other, "contacts:read");
    await bed.rt.db
      .update(oauthAccessTokens)
      .set({ grantId: await grantOf(otherToken) })
      .where(eq(oauthAccessTokens.jti, decodeJwt(token).jti as string))
      .run();
    await expectRevoked();
  });
});

describe("audit", () => {
  it("a mutation with an OAuth token is recorded as actor oauth_client with the client_id, and the user in detail", async () => {
    const client = await bed.registerClient({});
    const alice = await bed.user("alice@example.com");
    const { access_token: token } = await authorizationCode(client, alice, "contacts:write");
    const rest = await restCreate(token);
    expect(rest.ok).toBe(true);
    const trpc = await trpcMutation(token, "contacts.create", { name: "Grace", email: "grace@example.com" });
    expect(trpc.status).toBe(200);

    const rows = await bed.rt.db.select().from(auditLog).where(eq(auditLog.action, "contact.create")).all();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.actorKind).toBe("oauth_client");
      expect(row.actorId).toBe(client.clientId);
      expect(row.outcome).toBe("success");
      expect(row.detail?.actorUserId).toBe(alice.user.id);
    }
  });

  it("with a client_credentials token the acting user is the client's service account", async () => {
    const client = await bed.registerClient({});
    const token = await clientCredentials(client, "contacts:write");
    expect((await restCreate(token)).ok).toBe(true);
    const service = await bed.rt.db.select().from(oauthClients).where(eq(oauthClients.id, client.clientId)).get();
    const row = await bed.rt.db.select().from(auditLog).where(eq(auditLog.action, "contact.create")).get();
    expect(row?.actorKind).toBe("oauth_client");
    expect(row?.actorId).toBe(client.clientId);
    expect(row?.detail?.actorUserId).toBe(service?.serviceUserId);
  });
});
