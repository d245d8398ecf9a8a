import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { eq } from "drizzle-orm";
import {
  base64url,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, oauthSigningKeys } from "@/db/schema";
import { open } from "../crypto/envelope";
import { createLogger, setLogger } from "../logger";
import { CLI_ACTOR } from "../services/audit";
import { updateClient } from "../services/oauth-clients";
import { createToken } from "../services/tokens";
import { storedRows } from "../testing/harness";
import { audienceOf, issuerOf, type JwtRefusal, verifyAccessTokenJwt } from "./access-token";
import {
  CLOCK_TOLERANCE_S,
  MAX_ACCESS_TOKEN_TTL_S,
  rotateSigningKey,
  rotateSigningKeys,
  SIGNING_KEY_ROTATION_MS,
  type SigningAlg,
  SigningKeys,
  signingKeysFor,
} from "./signing-keys";
import { startOAuthServer } from "./testing/http-server";
import {
  APP,
  authorizationCodeTokens,
  clientCredentialsToken,
  createTestbed,
  postForm,
  type Registered,
  type Testbed,
  tokenRequest,
} from "./testing/testbed";

/**
 * RS256 beside ES256 (RFC 9068 §2.1): a client registered for RS256 gets
 * RS256 tokens on every grant, each algorithm has keys of its own type, and
 * a token is verified only with a key of the algorithm its header names and
 * of that key's own type. Every forgery is tried on the REST door (401 with
 * `error="invalid_token"`, and the logged refusal reason proves it failed
 * for the rule it was built to break) and at the introspection endpoint
 * (`active: false`); a control re-signs the untouched claims with the real
 * key to show that the forging itself works.
 */

const INVALID_TOKEN = 'Bearer realm="gatehouse", error="invalid_token"';
const CONTACTS = `${APP}/api/v1/contacts`;

const logLines: string[] = [];
setLogger(createLogger({ level: "info", destination: { write: (line: string) => logLines.push(line) } }));
afterAll(() => setLogger(undefined));
const jwtRefusals = () =>
  logLines
    .splice(0)
    .map((line) => JSON.parse(line) as { msg: string; reason?: string })
    .filter((entry) => entry.msg === "refused an access token")
    .map((entry) => entry.reason);

let bed: Testbed;
let rsaClient: Registered;
let ecClient: Registered;

const cliOpts = () => ({
  clock: bed.rt.clock,
  keyring: bed.rt.keyring as NonNullable<Testbed["rt"]["keyring"]>,
  actor: CLI_ACTOR,
  client: { ip: null, userAgent: "gatehouse-cli", requestId: "cli" },
});

beforeEach(async () => {
  bed = createTestbed();
  rsaClient = await bed.registerClient({ accessTokenSigningAlg: "RS256" });
  ecClient = await bed.registerClient({});
  logLines.length = 0;
});

const header = (token: string) => decodeProtectedHeader(token) as JWTHeaderParameters;
const kidOf = (token: string) => header(token).kid as string;
const enc = (value: unknown) => base64url.encode(JSON.stringify(value));

async function jwks(): Promise<JWK[]> {
  const res = await bed.dispatch(new Request(`${APP}/oauth/jwks`));
  expect(res.status).toBe(200);
  return ((await res.json()) as { keys: JWK[] }).keys;
}
const publishedKid = async (alg: SigningAlg) => (await jwks()).filter((k) => k.alg === alg).map((k) => k.kid);

async function rest(token: string) {
  const res = await bed.dispatch(new Request(CONTACTS, { headers: { authorization: `Bearer ${token}` } }));
  return { status: res.status, challenge: res.headers.get("www-authenticate") };
}

async function introspectActive(token: string, as: Registered = rsaClient): Promise<boolean> {
  const res = await postForm(bed, "/oauth/introspect", as, { token });
  expect(res.status).toBe(200);
  return (res.json as { active: boolean }).active;
}

async function expectAccepted(token: string, as: Registered = rsaClient) {
  expect((await rest(token)).status).toBe(200);
  expect(await introspectActive(token, as)).toBe(true);
}

async function expectRefused(token: string, reason: JwtRefusal | null, as: Registered = rsaClient) {
  logLines.length = 0;
  const answer = await rest(token);
  expect(answer.status).toBe(401);
  expect(answer.challenge).toBe(INVALID_TOKEN);
  expect(jwtRefusals()).toEqual(reason === null ? [] : [reason]);
  expect(await introspectActive(token, as)).toBe(false);
}

/** Our signing key for `alg`, as this process holds it (a CryptoKey bound to that algorithm). */
const ourKey = async (alg: SigningAlg) =>
  (await signingKeysFor(bed.rt).signingKey(alg)) as { kid: string; key: CryptoKey };

/** The private JWK of a stored key, opened as the server opens it: to sign with it under other algorithms. */
async function privateJwkOf(kid: string): Promise<JWK> {
  const row = await bed.rt.db.select().from(oauthSigningKeys).where(eq(oauthSigningKeys.kid, kid)).get();
  expect(row).toBeDefined();
  const ref = { table: "oauth_signing_keys", column: "private_jwk", rowId: kid };
  return JSON.parse(open(cliOpts().keyring, ref, row?.privateJwk as string)) as JWK;
}

const sign = (key: CryptoKey | Uint8Array, h: JWTHeaderParameters, claims: JWTPayload) =>
  new SignJWT(claims).setProtectedHeader(h).sign(key);

function foreignRsa(bits = 2048) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return privateKey;
}

describe("a client registered for RS256", () => {
  it("gets RS256 tokens on every grant, signed by the RSA key the JWKS publishes; an ES256 client beside it keeps ES256", async () => {
    const alice = await bed.user("alice@example.com");
    const cc = await clientCredentialsToken(bed, rsaClient, "contacts:read");
    const code = await authorizationCodeTokens(bed, rsaClient, alice, "contacts:read");
    const refreshed = await tokenRequest(bed, rsaClient, {
      grant_type: "refresh_token",
      refresh_token: code.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const ec = await clientCredentialsToken(bed, ecClient, "contacts:read");

    const keys = await jwks();
    const rsaKey = keys.find((k) => k.alg === "RS256");
    const ecKey = keys.find((k) => k.alg === "ES256");
    expect(rsaKey).toMatchObject({ kty: "RSA", use: "sig", e: "AQAB" });
    expect(ecKey).toMatchObject({ kty: "EC", crv: "P-256", use: "sig" });
    for (const token of [cc, code.access_token, refreshed.body.access_token as string]) {
      expect(header(token)).toEqual({ alg: "RS256", typ: "at+jwt", kid: rsaKey?.kid });
      // 2048-bit key: a 256-byte signature, 342 base64url characters.
      expect(token.split(".")[2]).toHaveLength(342);
      await expectAccepted(token);
    }
    expect(header(ec)).toEqual({ alg: "ES256", typ: "at+jwt", kid: ecKey?.kid });
    await expectAccepted(ec, ecClient);
    // A standard library agrees, with nothing but the published key.
    const { payload } = await jwtVerify(cc, await importJWK(rsaKey as JWK, "RS256"), {
      algorithms: ["RS256"],
      typ: "at+jwt",
      currentDate: bed.rt.clock.now(),
    });
    expect(payload.client_id).toBe(rsaClient.clientId);
  });

  it("switching a client's algorithm applies to tokens issued next; those already issued stay valid", async () => {
    const before = await clientCredentialsToken(bed, ecClient, "contacts:read");
    expect(header(before).alg).toBe("ES256");
    await updateClient(
      { db: bed.rt.db, clock: bed.rt.clock, actor: CLI_ACTOR, client: cliOpts().client },
      ecClient.clientId,
      { accessTokenSigningAlg: "RS256" },
    );
    const after = await clientCredentialsToken(bed, ecClient, "contacts:read");
    expect(header(after).alg).toBe("RS256");
    await expectAccepted(before, ecClient);
    await expectAccepted(after, ecClient);
  });
});

describe("algorithm confusion and forgeries", () => {
  let rsaToken: string;
  let ecToken: string;
  let claims: JWTPayload;
  let ecClaims: JWTPayload;
  let rsaKid: string;
  let ecKid: string;

  beforeEach(async () => {
    rsaToken = await clientCredentialsToken(bed, rsaClient, "contacts:read");
    ecToken = await clientCredentialsToken(bed, ecClient, "contacts:read");
    claims = decodeJwt(rsaToken);
    ecClaims = decodeJwt(ecToken);
    rsaKid = kidOf(rsaToken);
    ecKid = kidOf(ecToken);
    expect(rsaKid).not.toBe(ecKid);
  });

  it("control: the untouched claims re-signed with our RSA key, and with our EC key, are accepted", async () => {
    await expectAccepted(await sign((await ourKey("RS256")).key, header(rsaToken), claims));
    await expectAccepted(await sign((await ourKey("ES256")).key, header(ecToken), ecClaims), ecClient);
  });

  const rsaPublicJwk = async () => (await jwks()).find((k) => k.kid === rsaKid) as JWK;

  const CASES: Array<{ name: string; reason: JwtRefusal | null; forge: () => Promise<string>; as?: "ec" }> = [
    {
      name: "RS256 header naming the EC key's kid, signed by our own RSA key",
      reason: "algorithm",
      forge: async () => sign((await ourKey("RS256")).key, { alg: "RS256", typ: "at+jwt", kid: ecKid }, claims),
    },
    {
      name: "ES256 header naming the RSA key's kid, signed by our own EC key",
      reason: "algorithm",
      forge: async () => sign((await ourKey("ES256")).key, { alg: "ES256", typ: "at+jwt", kid: rsaKid }, claims),
    },
    {
      name: "an RS256 token with its header's alg changed to ES256 (original signature)",
      reason: "algorithm",
      forge: async () => {
        const [, payload, signature] = rsaToken.split(".");
        return `${enc({ alg: "ES256", typ: "at+jwt", kid: rsaKid })}.${payload}.${signature}`;
      },
    },
    {
      name: "an ES256 token with its header's alg changed to RS256 (original signature)",
      reason: "algorithm",
      as: "ec",
      forge: async () => {
        const [, payload, signature] = ecToken.split(".");
        return `${enc({ alg: "RS256", typ: "at+jwt", kid: ecKid })}.${payload}.${signature}`;
      },
    },
    {
      name: "alg none with the RSA kid, keeping the signature",
      reason: "algorithm",
      forge: async () => {
        const [, payload, signature] = rsaToken.split(".");
        return `${enc({ alg: "none", typ: "at+jwt", kid: rsaKid })}.${payload}.${signature}`;
      },
    },
    {
      name: "alg none with the RSA kid and an empty signature",
      reason: null,
      forge: async () => `${enc({ alg: "none", typ: "at+jwt", kid: rsaKid })}.${rsaToken.split(".")[1]}.`,
    },
    {
      name: "HS256 with the published RSA JWK as the HMAC secret",
      reason: "algorithm",
      forge: async () =>
        sign(
          new TextEncoder().encode(JSON.stringify(await rsaPublicJwk())),
          { alg: "HS256", typ: "at+jwt", kid: rsaKid },
          claims,
        ),
    },
    {
      name: "HS256 with the RSA public key's PEM as the HMAC secret",
      reason: "algorithm",
      forge: async () => {
        const pem = createPublicKey({ key: await rsaPublicJwk(), format: "jwk" }).export({
          type: "spki",
          format: "pem",
        }) as string;
        return sign(new TextEncoder().encode(pem), { alg: "HS256", typ: "at+jwt", kid: rsaKid }, claims);
      },
    },
    {
      name: "HS256 with the RSA modulus bytes as the HMAC secret",
      reason: "algorithm",
      forge: async () =>
        sign(
          Buffer.from((await rsaPublicJwk()).n as string, "base64url"),
          { alg: "HS256", typ: "at+jwt", kid: rsaKid },
          claims,
        ),
    },
    ...(["PS256", "RS384", "RS512"] as const).map((alg) => ({
      name: `${alg}, a genuine signature by OUR RSA private key under its kid`,
      reason: "algorithm" as const,
      forge: async () =>
        sign(
          (await importJWK(await privateJwkOf(rsaKid), alg)) as CryptoKey,
          { alg, typ: "at+jwt", kid: rsaKid },
          claims,
        ),
    })),
    {
      name: "signed by a foreign RSA-2048 key under our RSA kid",
      reason: "signature",
      forge: async () => sign(foreignRsa() as unknown as CryptoKey, header(rsaToken), claims),
    },
    {
      name: "signed by a foreign RSA-3072 key under our RSA kid (a signature of another size)",
      reason: "signature",
      forge: async () => sign(foreignRsa(3072) as unknown as CryptoKey, header(rsaToken), claims),
    },
    {
      name: "scope widened, original RS256 signature",
      reason: "signature",
      forge: async () => {
        const [h, , signature] = rsaToken.split(".");
        return `${h}.${enc({ ...claims, scope: "admin contacts:read contacts:write" })}.${signature}`;
      },
    },
    {
      name: "client_id changed, original RS256 signature",
      reason: "signature",
      forge: async () => {
        const [h, , signature] = rsaToken.split(".");
        return `${h}.${enc({ ...claims, client_id: ecClient.clientId })}.${signature}`;
      },
    },
    {
      name: "exp pushed a day later, original RS256 signature",
      reason: "signature",
      forge: async () => {
        const [h, , signature] = rsaToken.split(".");
        return `${h}.${enc({ ...claims, exp: (claims.exp as number) + 86_400 })}.${signature}`;
      },
    },
    {
      name: "scope widened, original ES256 signature",
      reason: "signature",
      as: "ec",
      forge: async () => {
        const [h, , signature] = ecToken.split(".");
        return `${h}.${enc({ ...ecClaims, scope: "admin contacts:read contacts:write" })}.${signature}`;
      },
    },
    {
      name: "the RS256 signature with its first byte dropped",
      reason: "signature",
      forge: async () => {
        const [h, p, signature] = rsaToken.split(".");
        return `${h}.${p}.${Buffer.from(signature as string, "base64url")
          .subarray(1)
          .toString("base64url")}`;
      },
    },
    {
      name: "the RS256 signature with a zero byte in front",
      reason: "signature",
      forge: async () => {
        const [h, p, signature] = rsaToken.split(".");
        const longer = Buffer.concat([Buffer.alloc(1), Buffer.from(signature as string, "base64url")]);
        return `${h}.${p}.${longer.toString("base64url")}`;
      },
    },
    {
      name: "the RS256 signature's unused padding bits changed (same bytes, non-canonical spelling)",
      reason: "signature",
      forge: async () => {
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const last = rsaToken.at(-1) as string;
        return rsaToken.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1];
      },
    },
    {
      name: "the RS256 signature's last significant bits flipped",
      reason: "signature",
      forge: async () => {
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const last = alphabet.indexOf(rsaToken.at(-1) as string);
        return rsaToken.slice(0, -1) + alphabet[last ^ 0b100000];
      },
    },
    {
      name: "an RS256 header with an injected jwk of a foreign RSA key, signed by it",
      reason: "header",
      forge: async () => {
        const key = foreignRsa();
        const jwk = createPublicKey(key).export({ format: "jwk" }) as JWK;
        return sign(key as unknown as CryptoKey, { ...header(rsaToken), jwk }, claims);
      },
    },
    {
      name: "an RS256 token under an unknown kid, signed by our RSA key",
      reason: "unknown_key",
      forge: async () =>
        sign((await ourKey("RS256")).key, { alg: "RS256", typ: "at+jwt", kid: "sig_00000000000000000000" }, claims),
    },
  ];

  for (const c of CASES) {
    it(`refuses: ${c.name}`, async () => {
      const forged = await c.forge();
      expect(forged).not.toBe(c.as === "ec" ? ecToken : rsaToken);
      await expectRefused(forged, c.reason, c.as === "ec" ? ecClient : rsaClient);
      // The genuine tokens are untouched by the attempt (the verified-signature cache included).
      await expectAccepted(rsaToken);
      await expectAccepted(ecToken, ecClient);
    });
  }

  it("a stored key whose alg was rewritten to the other type is left out of the JWKS and verifies nothing", async () => {
    const later = bed.rt.clock.now().getTime() + 3_600_000;
    await storedRows(
      bed.rt.db,
      "update oauth_signing_keys set alg = 'RS256', retired_at = ?, remove_after = ? where kid = ?",
      bed.rt.clock.now().getTime(),
      later,
      ecKid,
    );
    bed.rt.clock.advance(31_000); // past the key cache's reload interval
    expect((await jwks()).map((k) => k.kid)).not.toContain(ecKid);
    await expectRefused(ecToken, "unknown_key", ecClient);
    const relabelled = await sign((await ourKey("RS256")).key, { alg: "RS256", typ: "at+jwt", kid: ecKid }, claims);
    await expectRefused(relabelled, "unknown_key");
    await expectAccepted(rsaToken);
  });

  it("a forgery is not accepted from the verified-signature cache after the genuine token was verified, nor the reverse", async () => {
    const keys = signingKeysFor(bed.rt);
    const expectCheck = { issuer: issuerOf(bed.rt.config), audience: audienceOf(bed.rt.config) };
    const now = () => ({ ...expectCheck, now: bed.rt.clock.now() });
    expect((await verifyAccessTokenJwt(rsaToken, keys, now())).ok).toBe(true);
    const [, payload, signature] = rsaToken.split(".");
    const swapped = `${enc({ alg: "ES256", typ: "at+jwt", kid: rsaKid })}.${payload}.${signature}`;
    expect(await verifyAccessTokenJwt(swapped, keys, now())).toEqual({ ok: false, reason: "algorithm" });
    // After a reload (new key objects), the genuine token is checked again and still passes.
    bed.rt.clock.advance(31_000);
    expect((await verifyAccessTokenJwt(rsaToken, keys, now())).ok).toBe(true);
  });
});

describe("rotation covers both key types", () => {
  it("on demand: new kids for both; tokens of the old keys stay valid until they expire, then their keys are gone", async () => {
    const longRsa = await bed.registerClient({
      accessTokenSigningAlg: "RS256",
      accessTokenTtlSeconds: MAX_ACCESS_TOKEN_TTL_S,
    });
    const longEc = await bed.registerClient({ accessTokenTtlSeconds: MAX_ACCESS_TOKEN_TTL_S });
    const oldRsa = await clientCredentialsToken(bed, longRsa, "contacts:read");
    const oldEc = await clientCredentialsToken(bed, longEc, "contacts:read");
    const oldSigners = { rsa: await ourKey("RS256"), ec: await ourKey("ES256") };

    const rotated = await rotateSigningKeys(bed.rt.db, { ...cliOpts(), force: true });
    expect(rotated.map((r) => [r.alg, r.retired])).toEqual([
      ["ES256", kidOf(oldEc)],
      ["RS256", kidOf(oldRsa)],
    ]);
    const audit = await bed.rt.db.select().from(auditLog).where(eq(auditLog.action, "oauth.signing_key_rotate")).all();
    expect(audit.slice(-2).map((e) => e.detail)).toEqual([
      { alg: "ES256", retired: kidOf(oldEc), scheduled: false },
      { alg: "RS256", retired: kidOf(oldRsa), scheduled: false },
    ]);
    // Old and new keys of both types are published.
    expect((await publishedKid("RS256")).sort()).toEqual([kidOf(oldRsa), rotated[1]?.kid].sort());
    expect((await publishedKid("ES256")).sort()).toEqual([kidOf(oldEc), rotated[0]?.kid].sort());

    // Past the reload interval this process signs with the new keys.
    bed.rt.clock.advance(31_000);
    const newRsa = await clientCredentialsToken(bed, longRsa, "contacts:read");
    const newEc = await clientCredentialsToken(bed, longEc, "contacts:read");
    expect(kidOf(newRsa)).toBe(rotated[1]?.kid);
    expect(kidOf(newEc)).toBe(rotated[0]?.kid);
    await expectAccepted(newRsa, longRsa);
    await expectAccepted(newEc, longEc);

    // One second before the old tokens expire they still work.
    bed.rt.clock.set(((decodeJwt(oldRsa).exp as number) - 1) * 1000);
    await expectAccepted(oldRsa, longRsa);
    await expectAccepted(oldEc, longEc);

    // Past the retired keys' end: gone from the JWKS, and what they sign now is refused for its key alone.
    const removeAfter = (
      await bed.rt.db
        .select()
        .from(oauthSigningKeys)
        .where(eq(oauthSigningKeys.kid, kidOf(oldRsa)))
        .get()
    )?.removeAfter as Date;
    bed.rt.clock.set(removeAfter.getTime() + (CLOCK_TOLERANCE_S + 1) * 1000);
    expect(await publishedKid("RS256")).not.toContain(kidOf(oldRsa));
    expect(await publishedKid("ES256")).not.toContain(kidOf(oldEc));
    const freshRsa = await clientCredentialsToken(bed, longRsa, "contacts:read");
    const freshEc = await clientCredentialsToken(bed, longEc, "contacts:read");
    await expectRefused(await sign(oldSigners.rsa.key, header(oldRsa), decodeJwt(freshRsa)), "unknown_key", longRsa);
    await expectRefused(await sign(oldSigners.ec.key, header(oldEc), decodeJwt(freshEc)), "unknown_key", longEc);
    // Control: the same fresh claims under the current keys pass.
    await expectAccepted(freshRsa, longRsa);
    await expectAccepted(freshEc, longEc);
  });

  it("one algorithm alone: the other's key keeps signing", async () => {
    const ecBefore = await clientCredentialsToken(bed, ecClient, "contacts:read");
    const rsaBefore = await clientCredentialsToken(bed, rsaClient, "contacts:read");
    const rotation = await rotateSigningKey(bed.rt.db, { ...cliOpts(), force: true, alg: "RS256" });
    expect(rotation).toMatchObject({ alg: "RS256", rotated: true, retired: kidOf(rsaBefore) });
    bed.rt.clock.advance(31_000);
    expect(kidOf(await clientCredentialsToken(bed, rsaClient, "contacts:read"))).toBe(rotation.kid);
    expect(kidOf(await clientCredentialsToken(bed, ecClient, "contacts:read"))).toBe(kidOf(ecBefore));
  });

  it("on schedule: each type's key is replaced once it is older than the rotation period, by signing or by serving the JWKS", async () => {
    const rsaFirst = await clientCredentialsToken(bed, rsaClient, "contacts:read");
    const ecFirst = await clientCredentialsToken(bed, ecClient, "contacts:read");
    bed.rt.clock.advance(SIGNING_KEY_ROTATION_MS + 1);

    // Signing with RS256 rotates the RSA key only.
    const rsaSecond = await clientCredentialsToken(bed, rsaClient, "contacts:read");
    expect(kidOf(rsaSecond)).not.toBe(kidOf(rsaFirst));
    const rows = () => bed.rt.db.select().from(oauthSigningKeys).all();
    expect((await rows()).filter((r) => r.alg === "ES256" && !r.retiredAt)[0]?.kid).toBe(kidOf(ecFirst));

    // Serving the JWKS rotates whatever is due (here the EC key), so a key nobody signs with still rotates.
    const published = await jwks();
    const activeEc = (await rows()).find((r) => r.alg === "ES256" && !r.retiredAt);
    expect(activeEc?.kid).not.toBe(kidOf(ecFirst));
    expect(published.map((k) => k.kid).sort()).toEqual(
      [kidOf(rsaFirst), kidOf(rsaSecond), kidOf(ecFirst), activeEc?.kid].sort(),
    );
    const scheduled = (
      await bed.rt.db.select().from(auditLog).where(eq(auditLog.action, "oauth.signing_key_rotate")).all()
    ).filter((e) => (e.detail as { retired?: string | null })?.retired);
    expect(scheduled.map((e) => [e.actorKind, e.detail])).toEqual([
      ["system", { alg: "RS256", retired: kidOf(rsaFirst), scheduled: true }],
      ["system", { alg: "ES256", retired: kidOf(ecFirst), scheduled: true }],
    ]);
    // Nothing rotates twice.
    await jwks();
    expect(await rows()).toHaveLength(4);
  });
});

describe("an installation from before RS256", () => {
  it("gets its RSA key on the first JWKS request (or RS256 token), its EC key and that key's tokens untouched", async () => {
    const ecToken = await clientCredentialsToken(bed, ecClient, "contacts:read");
    const before = await bed.rt.db.select().from(oauthSigningKeys).all();
    expect(before.map((r) => r.alg)).toEqual(["ES256"]);
    const keys = await jwks();
    expect(keys.map((k) => [k.alg, k.kty])).toEqual(
      expect.arrayContaining([
        ["ES256", "EC"],
        ["RS256", "RSA"],
      ]),
    );
    expect(keys).toHaveLength(2);
    const after = await bed.rt.db.select().from(oauthSigningKeys).all();
    const ec = after.find((r) => r.alg === "ES256");
    expect(ec).toEqual(before[0]);
    // Sealed exactly as the EC key is: an envelope bound to its kid, the private half never in plaintext.
    const rsa = after.find((r) => r.alg === "RS256");
    expect(rsa?.privateJwk.startsWith("v1.")).toBe(true);
    const opened = await privateJwkOf(rsa?.kid as string);
    for (const member of ["d", "p", "q", "dp", "dq", "qi"] as const) {
      expect(opened[member]).toBeTruthy();
      expect(JSON.stringify(after)).not.toContain(opened[member] as string);
    }
    await expectAccepted(ecToken, ecClient);
  });

  it("two processes asking for the first RSA key at once make one, and both sign with it", async () => {
    const a = new SigningKeys(bed.rt.db, bed.rt.clock, bed.rt.keyring);
    const b = new SigningKeys(bed.rt.db, bed.rt.clock, bed.rt.keyring);
    const [ka, kb] = await Promise.all([a.signingKey("RS256"), b.signingKey("RS256")]);
    expect(ka.kid).toBe(kb.kid);
    expect(await bed.rt.db.select().from(oauthSigningKeys).where(eq(oauthSigningKeys.alg, "RS256")).all()).toHaveLength(
      1,
    );
  });

  it("the database itself allows one active key per algorithm", async () => {
    await rotateSigningKeys(bed.rt.db, { ...cliOpts(), force: true });
    const row = await bed.rt.db.select().from(oauthSigningKeys).where(eq(oauthSigningKeys.alg, "RS256")).get();
    await expect(
      bed.rt.db
        .insert(oauthSigningKeys)
        .values({ ...(row as NonNullable<typeof row>), kid: "sig_11111111111111111111" })
        .run(),
    ).rejects.toThrow(/UNIQUE|unique constraint/);
  });
});

describe("a standard library (jose) verifies our RS256 tokens against our JWKS over HTTP", () => {
  it("createRemoteJWKSet + jwtVerify accept the real tokens and refuse a foreign key under our kid and an alg swap", async () => {
    const server = await startOAuthServer();
    try {
      const client = await server.registerClient({
        accessTokenSigningAlg: "RS256",
        grantTypes: ["client_credentials"],
        redirectUris: [],
      });
      const tokenAt = async () => {
        const res = await fetch(`${server.origin}/oauth/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({ grant_type: "client_credentials", scope: "contacts:read" }),
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { access_token: string }).access_token;
      };
      const token = await tokenAt();
      const meta = (await (await fetch(`${server.origin}/.well-known/oauth-authorization-server`)).json()) as {
        jwks_uri: string;
        issuer: string;
      };
      // No cooldown: jose waits 30 s of real time before refetching for an unknown kid by default.
      const remote = createRemoteJWKSet(new URL(meta.jwks_uri), { cooldownDuration: 0 });
      const verify = (t: string, algorithms = ["RS256"]) =>
        jwtVerify(t, remote, {
          issuer: meta.issuer,
          audience: `${server.origin}/api`,
          algorithms,
          typ: "at+jwt",
          currentDate: server.rt.clock.now(),
        });
      const { payload, protectedHeader } = await verify(token);
      expect(protectedHeader).toMatchObject({ alg: "RS256", typ: "at+jwt" });
      expect(payload).toMatchObject({ client_id: client.clientId, scope: "contacts:read" });

      // After a rotation of both types the library finds the new RSA key (it refetches on an unknown kid).
      await rotateSigningKeys(server.rt.db, {
        clock: server.rt.clock,
        keyring: server.rt.keyring as NonNullable<typeof server.rt.keyring>,
        actor: CLI_ACTOR,
        client: { ip: null, userAgent: null, requestId: "t" },
        force: true,
      });
      server.rt.clock.advance(31_000);
      const next = await tokenAt();
      expect(kidOf(next)).not.toBe(kidOf(token));
      expect((await verify(next)).payload.client_id).toBe(client.clientId);
      expect((await verify(token)).payload.client_id).toBe(client.clientId);

      // The library is really checking: a foreign RSA key under our kid, or our RS256 token relabelled ES256.
      const forged = await sign(foreignRsa() as unknown as CryptoKey, header(next), decodeJwt(next));
      await expect(verify(forged)).rejects.toThrow();
      const [, p, s] = next.split(".");
      const relabelled = `${enc({ alg: "ES256", typ: "at+jwt", kid: kidOf(next) })}.${p}.${s}`;
      await expect(verify(relabelled, ["RS256", "ES256"])).rejects.toThrow();
      // And the server's own API door agrees with the library, over the same HTTP.
      const api = (t: string) =>
        fetch(`${server.origin}/api/v1/contacts`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
      expect(await api(next)).toBe(200);
      expect(await api(forged)).toBe(401);
      expect(await api(relabelled)).toBe(401);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe("the signing algorithm on the admin REST door", () => {
  it("is set on create and update, refused when unknown (400 naming the field), and rotation takes one alg or both", async () => {
    const admin = await bed.user("root@example.com", "admin");
    const { token } = await createToken(
      { db: bed.rt.db, clock: bed.rt.clock, actor: CLI_ACTOR, client: cliOpts().client },
      admin.user.id,
      { name: "ops", scopes: ["admin"] },
    );
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await bed.dispatch(
        new Request(`${APP}/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      const text = await res.text();
      return { status: res.status, type: res.headers.get("content-type"), body: text ? JSON.parse(text) : null };
    };
    const registration = {
      name: "REST gateway",
      type: "confidential",
      grantTypes: ["client_credentials"],
      redirectUris: [],
      scopes: ["contacts:read"],
    };
    const created = await call("POST", "/admin/oauth-clients", { ...registration, accessTokenSigningAlg: "RS256" });
    expect([200, 201]).toContain(created.status);
    expect(created.body.client.accessTokenSigningAlg).toBe("RS256");
    const id = created.body.client.id as string;
    const defaulted = await call("POST", "/admin/oauth-clients", registration);
    expect(defaulted.body.client.accessTokenSigningAlg).toBe("ES256");

    for (const alg of ["HS256", "none", "rs256", 256]) {
      const refused = await call("POST", "/admin/oauth-clients", { ...registration, accessTokenSigningAlg: alg });
      expect(refused.status).toBe(400);
      expect(refused.type).toMatch(/^application\/problem\+json/);
      expect(refused.body.errors).toEqual([expect.objectContaining({ path: "accessTokenSigningAlg" })]);
      const notChanged = await call("PATCH", `/admin/oauth-clients/${id}`, { accessTokenSigningAlg: alg });
      expect(notChanged.status).toBe(400);
    }
    const updated = await call("PATCH", `/admin/oauth-clients/${id}`, { accessTokenSigningAlg: "ES256" });
    expect(updated.status).toBe(200);
    expect(updated.body.accessTokenSigningAlg).toBe("ES256");
    expect((await call("GET", `/admin/oauth-clients/${id}`)).body.accessTokenSigningAlg).toBe("ES256");

    const one = await call("POST", "/admin/oauth-signing-keys/rotate", { alg: "RS256" });
    expect(one.status).toBe(200);
    expect(one.body.rotated.map((r: { alg: string }) => r.alg)).toEqual(["RS256"]);
    const both = await call("POST", "/admin/oauth-signing-keys/rotate", {});
    expect(both.body.rotated.map((r: { alg: string }) => r.alg)).toEqual(["ES256", "RS256"]);
    const bad = await call("POST", "/admin/oauth-signing-keys/rotate", { alg: "HS256" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: "alg" })]);
    const listed = await call("GET", "/admin/oauth-signing-keys");
    expect(listed.status).toBe(200);
    const items = (Array.isArray(listed.body) ? listed.body : listed.body.items) as Array<{ alg: string }>;
    expect(items.map((k) => k.alg).sort()).toEqual(["ES256", "RS256", "RS256"]);
  });
});
