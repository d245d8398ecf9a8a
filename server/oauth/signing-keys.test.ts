import { eq } from "drizzle-orm";
import {
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  type JWTHeaderParameters,
  SignJWT,
} from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sqliteOf } from "@/db";
import { auditLog, oauthSigningKeys } from "@/db/schema";
import { DecryptionError, open } from "../crypto/envelope";
import { createLogger, setLogger } from "../logger";
import { CLI_ACTOR } from "../services/audit";
import { ON_POSTGRES, storedRows } from "../testing/harness";
import { audienceOf, issuerOf, verifyAccessTokenJwt } from "./access-token";
import {
  CLOCK_TOLERANCE_S,
  MAX_ACCESS_TOKEN_TTL_S,
  rotateSigningKey,
  SIGNING_KEY_ROTATION_MS,
  SigningKeys,
  signingKeysFor,
} from "./signing-keys";
import { APP, basicAuth as basic, createTestbed, type Testbed } from "./testing/testbed";

/**
 * The keys that sign access tokens (issue 8): what the JWKS publishes (public
 * halves only), how the private half is stored (sealed), rotation on demand
 * and on schedule, the retired key's hour of grace and its end, and the
 * discovery document a strict client (oauth4webapi) relies on.
 */

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
type Registered = Awaited<ReturnType<Testbed["registerClient"]>>;
let client: Registered;

const cli = () => ({ clock: bed.rt.clock, keyring: bed.rt.keyring as NonNullable<Testbed["rt"]["keyring"]> });
const forceRotate = () =>
  rotateSigningKey(bed.rt.db, {
    ...cli(),
    actor: CLI_ACTOR,
    client: { ip: null, userAgent: "gatehouse-cli", requestId: "cli" },
    force: true,
  });

async function issueToken(c: Registered = client): Promise<string> {
  const res = await bed.dispatch(
    new Request(`${APP}/oauth/token`, {
      method: "POST",
      headers: {
        authorization: basic(c.clientId, c.clientSecret as string),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ grant_type: "client_credentials", scope: "contacts:read" }),
    }),
  );
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.access_token as string;
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

function restStatus(token: string): Promise<number> {
  return bed
    .dispatch(new Request(`${APP}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } }))
    .then((res) => res.status);
}

async function jwks(): Promise<Array<Record<string, unknown>>> {
  const res = await bed.dispatch(new Request(`${APP}/oauth/jwks`));
  expect(res.status).toBe(200);
  return ((await res.json()) as { keys: Array<Record<string, unknown>> }).keys;
}
/** The kids the JWKS publishes for one algorithm (ES256 unless told: the tests below rotate ES256 keys). */
const publishedKids = async (alg = "ES256") =>
  (await jwks())
    .filter((key) => key.alg === alg)
    .map((key) => key.kid as string)
    .sort();
const EC_MEMBERS = ["alg", "crv", "kid", "kty", "use", "x", "y"];
const RSA_MEMBERS = ["alg", "e", "kid", "kty", "n", "use"];

/** Re-signs a token's claims with the given key and kid (e.g. a retired key's private half). */
function resign(token: string, signer: { kid: string; key: CryptoKey }) {
  const header: JWTHeaderParameters = { ...decodeProtectedHeader(token), alg: "ES256", kid: signer.kid };
  return new SignJWT(decodeJwt(token)).setProtectedHeader(header).sign(signer.key);
}

const currentSigner = async () => (await signingKeysFor(bed.rt).signingKey()) as { kid: string; key: CryptoKey };

beforeEach(async () => {
  bed = createTestbed();
  client = await bed.registerClient({ grantTypes: ["client_credentials"], redirectUris: [] });
  logLines.length = 0;
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the JWKS", () => {
  it("publishes public members only, as a JWK set, on a fresh install too", async () => {
    const res = await bed.dispatch(new Request(`${APP}/oauth/jwks`));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")?.split(";")[0]).toBe("application/jwk-set+json");
    const text = await res.text();
    const { keys } = JSON.parse(text) as { keys: Array<Record<string, unknown>> };
    // One key per algorithm, each of its own type.
    expect(keys).toHaveLength(2);
    const ec = keys.find((k) => k.alg === "ES256");
    const rsa = keys.find((k) => k.alg === "RS256");
    expect(Object.keys(ec as object).sort()).toEqual(EC_MEMBERS);
    expect(ec).toMatchObject({
      kty: "EC",
      crv: "P-256",
      alg: "ES256",
      use: "sig",
      kid: expect.stringMatching(/^sig_/),
    });
    expect(Object.keys(rsa as object).sort()).toEqual(RSA_MEMBERS);
    expect(rsa).toMatchObject({ kty: "RSA", e: "AQAB", alg: "RS256", use: "sig", kid: expect.stringMatching(/^sig_/) });
    // 2048 bits: a 256-byte modulus.
    expect(Buffer.from(rsa?.n as string, "base64url")).toHaveLength(256);
    expect(ec?.kid).not.toBe(rsa?.kid);
    for (const privateMember of ['"d"', '"p"', '"q"', '"dp"', '"dq"', '"qi"', '"k"']) {
      expect(text).not.toContain(privateMember);
    }
  });

  it("still publishes no private member once several keys are live", async () => {
    await issueToken();
    await forceRotate();
    await forceRotate();
    await rotateSigningKey(bed.rt.db, {
      ...cli(),
      actor: CLI_ACTOR,
      client: { ip: null, userAgent: null, requestId: "t" },
      force: true,
      alg: "RS256",
    });
    await rotateSigningKey(bed.rt.db, {
      ...cli(),
      actor: CLI_ACTOR,
      client: { ip: null, userAgent: null, requestId: "t" },
      force: true,
      alg: "RS256",
    });
    const text = JSON.stringify(await jwks());
    const keys = await jwks();
    // Three ES256 keys (the active one and two retired), two RS256 keys.
    expect(keys.map((key) => key.alg).sort()).toEqual(["ES256", "ES256", "ES256", "RS256", "RS256"]);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(key.kty === "EC" ? EC_MEMBERS : RSA_MEMBERS);
      expect(key.kty).toBe(key.alg === "ES256" ? "EC" : "RSA");
      expect(key.use).toBe("sig");
    }
    for (const privateMember of ['"d"', '"p"', '"q"', '"dp"', '"dq"', '"qi"', '"k"', '"oth"']) {
      expect(text).not.toContain(privateMember);
    }
  });

  it("refuses methods other than GET and HEAD", async () => {
    const res = await bed.dispatch(new Request(`${APP}/oauth/jwks`, { method: "POST", body: "" }));
    expect(res.status).toBe(405);
  });
});

describe("the private key at rest", () => {
  it("is sealed (v1. envelope), bound to its kid, and never stored in plaintext", async () => {
    const token = await issueToken();
    const rows = await storedRows<{ kid: string; public_jwk: string; private_jwk: string }>(
      bed.rt.db,
      "select kid, public_jwk, private_jwk from oauth_signing_keys",
    );
    expect(rows).toHaveLength(1);
    const row = rows[0] as (typeof rows)[number];
    expect(row.kid).toBe(kidOf(token));
    expect(row.private_jwk.startsWith("v1.")).toBe(true);
    expect(row.private_jwk).not.toContain('"d"');
    expect(row.public_jwk).not.toContain('"d"');

    // It is the real private key: it opens (with the keyring and its kid) to a JWK with `d` …
    const ref = { table: "oauth_signing_keys", column: "private_jwk", rowId: row.kid };
    const jwk = JSON.parse(open(cli().keyring, ref, row.private_jwk)) as Record<string, string>;
    expect(jwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // … whose value appears nowhere in the database file's rows.
    const everything = JSON.stringify(await storedRows(bed.rt.db, "select * from oauth_signing_keys"));
    expect(everything).not.toContain(jwk.d);
    // Bound to its row: moved to another kid, it does not open.
    expect(() => open(cli().keyring, { ...ref, rowId: "sig_00000000000000000000" }, row.private_jwk)).toThrow(
      DecryptionError,
    );
  });
});

describe("rotation on demand", () => {
  it("new tokens carry the new kid; the old key keeps verifying its tokens while it is published", async () => {
    const before = await issueToken();
    const oldKid = kidOf(before);
    const { kid: newKid, rotated } = await forceRotate();
    expect(rotated).toBe(true);
    expect(newKid).not.toBe(oldKid);
    // The process that rotated signs with the new key at once (others within RELOAD_EVERY_MS, below).
    const after = await issueToken();
    expect(kidOf(after)).toBe(newKid);
    expect(await publishedKids()).toEqual([newKid, oldKid].sort());

    expect(await restStatus(after)).toBe(200);
    expect(await restStatus(before)).toBe(200);

    const audit = await bed.rt.db.select().from(auditLog).where(eq(auditLog.action, "oauth.signing_key_rotate")).all();
    expect(audit.find((entry) => entry.targetId === newKid)).toMatchObject({
      actorKind: "cli",
      targetId: newKid,
      detail: { alg: "ES256", retired: oldKid, scheduled: false },
    });
  });

  it("every token the retired key can have signed stays verifiable until it expires; then the key is gone", async () => {
    const longLived = await bed.registerClient({
      grantTypes: ["client_credentials"],
      redirectUris: [],
      accessTokenTtlSeconds: MAX_ACCESS_TOKEN_TTL_S,
    });
    const oldSigner = await currentSigner();
    const last = await issueToken(longLived);
    expect(kidOf(last)).toBe(oldSigner.kid);
    await forceRotate();
    const row = await bed.rt.db.select().from(oauthSigningKeys).where(eq(oauthSigningKeys.kid, oldSigner.kid)).get();
    const removeAfter = row?.removeAfter?.getTime() as number;
    expect(row?.retiredAt?.getTime()).toBe(bed.rt.clock.now().getTime());
    // Published at least as long as the longest-lived token it signed, plus the verifiers' tolerance.
    expect(removeAfter).toBeGreaterThanOrEqual(((decodeJwt(last).exp as number) + CLOCK_TOLERANCE_S) * 1000);

    // One second before that token expires: still good, and the old key still published.
    bed.rt.clock.set(((decodeJwt(last).exp as number) - 1) * 1000);
    expect(await restStatus(last)).toBe(200);
    expect(await publishedKids()).toContain(oldSigner.kid);

    // Past removeAfter (an hour and a minute after rotation, beyond the 5 s tolerance): gone from the JWKS …
    bed.rt.clock.set(removeAfter + (CLOCK_TOLERANCE_S + 1) * 1000);
    expect(await publishedKids()).not.toContain(oldSigner.kid);
    logLines.length = 0;
    // … and a token it signs now (fresh claims, a live jti) is refused for its key alone.
    const fresh = await issueToken();
    expect(kidOf(fresh)).not.toBe(oldSigner.kid);
    const byOldKey = await resign(fresh, oldSigner);
    expect(await restStatus(byOldKey)).toBe(401);
    expect(jwtRefusals()).toEqual(["unknown_key"]);
    // Control: the same claims signed by the current key pass.
    expect(await restStatus(await resign(fresh, await currentSigner()))).toBe(200);
  });

  it("after a forced rotation the new key signs within the reload interval, even while the process verifies tokens all along", async () => {
    const probe = await issueToken();
    const oldKid = kidOf(probe);
    const { kid: newKid } = await forceRotate();
    // Up to RELOAD_EVERY_MS (30 s) a process may still sign with the key it holds (the retired key
    // stays published for an hour and a minute, so those tokens remain verifiable). After that, the
    // new key must sign — also in a process whose verifications keep its key cache fresh: API traffic
    // re-reads the key table every 30 s, and that must not keep the retired signer alive.
    let kid = oldKid;
    for (let second = 0; second <= 120 && kid !== newKid; second += 10) {
      bed.rt.clock.advance(10_000);
      expect(await restStatus(probe)).toBe(200); // API traffic: a verification, refreshing the key cache
      kid = kidOf(await issueToken());
    }
    expect(kid).toBe(newKid);
    // Long after the old key has left the JWKS, this process still issues usable tokens.
    bed.rt.clock.advance((MAX_ACCESS_TOKEN_TTL_S + 120) * 1000);
    expect(await restStatus(await issueToken())).toBe(200);
  });
});

describe("rotation on schedule", () => {
  it("the active key is replaced once it is older than SIGNING_KEY_ROTATION_MS, once", async () => {
    const first = await issueToken();
    const oldKid = kidOf(first);
    bed.rt.clock.advance(SIGNING_KEY_ROTATION_MS - 60_000);
    expect(kidOf(await issueToken())).toBe(oldKid);

    bed.rt.clock.advance(60_001);
    const second = await issueToken();
    const newKid = kidOf(second);
    expect(newKid).not.toBe(oldKid);
    expect(kidOf(await issueToken())).toBe(newKid);
    expect(await bed.rt.db.select().from(oauthSigningKeys).all()).toHaveLength(2);
    expect(await publishedKids()).toEqual([newKid, oldKid].sort());
    expect(await restStatus(second)).toBe(200);

    const audit = await bed.rt.db.select().from(auditLog).where(eq(auditLog.action, "oauth.signing_key_rotate")).all();
    expect(audit.find((entry) => entry.targetId === newKid)).toMatchObject({
      actorKind: "system",
      targetId: newKid,
      detail: { alg: "ES256", retired: oldKid, scheduled: true },
    });
  });

  it("a second process sharing the database uses the key the first rotated to, and does not rotate again", async () => {
    const first = await issueToken();
    const other = new SigningKeys(bed.rt.db, bed.rt.clock, bed.rt.keyring);
    expect((await other.signingKey()).kid).toBe(kidOf(first));

    bed.rt.clock.advance(SIGNING_KEY_ROTATION_MS + 1);
    const rotatedHere = await issueToken();
    expect(kidOf(rotatedHere)).not.toBe(kidOf(first));
    expect((await other.signingKey()).kid).toBe(kidOf(rotatedHere));
    expect(await bed.rt.db.select().from(oauthSigningKeys).all()).toHaveLength(2);

    // And it verifies the new key's tokens at once (an unknown kid makes it re-read the table).
    const check = await verifyAccessTokenJwt(rotatedHere, other, {
      issuer: issuerOf(bed.rt.config),
      audience: audienceOf(bed.rt.config),
      now: bed.rt.clock.now(),
    });
    expect(check.ok).toBe(true);
  });

  // Counts the statements SQLite prepares; the rule itself (SigningKeys' re-read limit) is the same on both stores.
  it.skipIf(ON_POSTGRES)(
    "forged kids cannot make a process hammer the key table (at most one re-read a second)",
    async () => {
      const token = await issueToken();
      const keys = new SigningKeys(bed.rt.db, bed.rt.clock, bed.rt.keyring);
      await keys.verificationKey(kidOf(token)); // warm
      const prepare = vi.spyOn(sqliteOf(bed.rt.db), "prepare");
      for (let i = 0; i < 50; i++) {
        expect(await keys.verificationKey(`sig_${String(i).padStart(20, "0")}`)).toBeNull();
      }
      const reads = prepare.mock.calls.filter((call) => String(call[0]).includes("oauth_signing_keys"));
      expect(reads.length).toBeLessThanOrEqual(1);
      // A second later, one more re-read is allowed.
      bed.rt.clock.advance(1_001);
      await keys.verificationKey("sig_99999999999999999999");
      expect(prepare.mock.calls.filter((call) => String(call[0]).includes("oauth_signing_keys")).length).toBe(
        reads.length + 1,
      );
    },
  );
});

describe("discovery metadata", () => {
  it("names the issuer exactly, code + S256 only, no implicit or password grant, and the JWKS", async () => {
    const res = await bed.dispatch(new Request(`${APP}/.well-known/oauth-authorization-server`));
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(new URL(APP).origin);
    expect(meta.issuer).toBe("http://127.0.0.1:3000");
    expect(meta.response_types_supported).toEqual(["code"]);
    expect(meta.grant_types_supported).not.toContain("implicit");
    expect(meta.grant_types_supported).not.toContain("password");
    expect(meta.code_challenge_methods_supported).toEqual(["S256"]);
    expect(meta.jwks_uri).toBe(`${APP}/oauth/jwks`);
    // RFC 8414 and the IANA registry have no field for the access tokens' algorithms: none is invented
    // (each key's `alg` in the JWKS says it), and the client-authentication one is not misused for it.
    expect(meta).not.toHaveProperty("access_token_signing_alg_values_supported");
    expect(meta).not.toHaveProperty("token_endpoint_auth_signing_alg_values_supported");
    for (const name of [
      "authorization_endpoint",
      "token_endpoint",
      "introspection_endpoint",
      "revocation_endpoint",
      "jwks_uri",
    ]) {
      expect(String(meta[name]).startsWith(`${APP}/`), name).toBe(true);
    }
  });

  it("oauth4webapi.validateJwtAccessToken accepts our token with the discovered metadata and audience …/api", async () => {
    const issuer = new URL(APP);
    const opts = { [oauth.customFetch]: bed.fetch, [oauth.allowInsecureRequests]: true } as const;
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { ...opts, algorithm: "oauth2" }),
    );
    const token = await issueToken();
    // Our runtime's clock is fixed in January 2026; tell the library how far that is from real time.
    const skew = Math.round((bed.rt.clock.now().getTime() - Date.now()) / 1000);
    const request = (t: string) => new Request(`${APP}/api/v1/contacts`, { headers: { authorization: `Bearer ${t}` } });
    const validate = (t: string, audience = `${APP}/api`) =>
      oauth.validateJwtAccessToken(as, request(t), audience, { ...opts, [oauth.clockSkew]: skew });

    const claims = await validate(token);
    expect(claims).toMatchObject({
      iss: APP,
      aud: `${APP}/api`,
      sub: client.clientId,
      client_id: client.clientId,
      scope: "contacts:read",
      jti: expect.stringMatching(/^oat_/),
    });

    // The library is really checking: another audience, or a key not in our JWKS, fail.
    await expect(validate(token, APP)).rejects.toThrow();
    const { privateKey } = await generateKeyPair("ES256");
    await expect(validate(await resign(token, { kid: kidOf(token), key: privateKey }))).rejects.toThrow();
  });
});
