import { decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { Config } from "../config";
import {
  CLOCK_TOLERANCE_S,
  DEFAULT_SIGNING_ALG,
  isSigningAlg,
  type SigningAlg,
  type SigningKeys,
} from "./signing-keys";

/**
 * Access tokens are JWTs per RFC 9068: header `typ: at+jwt`, ES256 or RS256
 * (the client's registered choice), a `kid`;
 * claims iss, sub, aud, client_id, scope, iat, exp and jti. Anyone can
 * verify them with the JWKS; the API additionally checks the jti against the
 * database on every request (server/oauth/access-token-principal.ts), which
 * is what lets a revocation count before the token expires.
 */
export const ACCESS_TOKEN_TYP = "at+jwt";

/** The issuer is APP_URL (an origin, without a trailing slash), as in the metadata. */
export function issuerOf(config: Pick<Config, "appUrl">): string {
  return config.appUrl.origin;
}

/** The audience of our access tokens: this deployment's API (both doors). */
export function audienceOf(config: Pick<Config, "appUrl">): string {
  return `${config.appUrl.origin}/api`;
}

export interface AccessClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
}

/** Signs with the active key of `alg` (the client's access_token_signing_alg; ES256 by default). */
export async function signAccessToken(
  keys: SigningKeys,
  claims: AccessClaims,
  alg: SigningAlg = DEFAULT_SIGNING_ALG,
): Promise<string> {
  const { kid, key } = await keys.signingKey(alg);
  return new SignJWT({ client_id: claims.client_id, scope: claims.scope })
    .setProtectedHeader({ alg, typ: ACCESS_TOKEN_TYP, kid })
    .setIssuer(claims.iss)
    .setSubject(claims.sub)
    .setAudience(claims.aud)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .setJti(claims.jti)
    .sign(key);
}

/** A compact JWS: three base64url parts. Anything else presented as a Bearer credential is not one of ours. */
const JWS_SHAPE = /^[A-Za-z0-9_-]{2,2048}\.[A-Za-z0-9_-]{2,4096}\.[A-Za-z0-9_-]{2,1024}$/;

export function looksLikeJwt(credential: string): boolean {
  return JWS_SHAPE.test(credential);
}

/**
 * A signature of exactly the key's size (64 bytes for ES256, the modulus
 * size for RS256), spelled canonically: the last base64url character of 64
 * or 256 bytes carries 2 bits and 4 unused ones, which decoders ignore, so
 * without this rule one token could be written 16 ways; only the canonical
 * one is ours.
 */
function canonicalSignature(token: string, bytes: number): boolean {
  const signature = token.slice(token.lastIndexOf(".") + 1);
  if (signature.length !== Math.ceil((bytes * 4) / 3)) return false;
  const decoded = Buffer.from(signature, "base64url");
  return decoded.length === bytes && decoded.toString("base64url") === signature;
}

/** The only header parameters our tokens carry. `jku`, `x5u`, `jwk`, `x5c`, `crit` … are refused, not ignored. */
const ALLOWED_HEADER = new Set(["alg", "kid", "typ"]);

export type JwtRefusal =
  | "malformed"
  | "header"
  | "algorithm"
  | "type"
  | "unknown_key"
  | "signature"
  | "claims"
  | "expired"
  | "not_yet_valid";

export type JwtCheck = { ok: true; claims: AccessClaims } | { ok: false; reason: JwtRefusal };

/**
 * Verifies signature and claims, strictly: the header must be exactly
 * {alg, typ: at+jwt, kid} with a kid we published, and alg must be the
 * algorithm of that very key (ES256 for an EC key, RS256 for an RSA key):
 * the algorithm comes from the key, never from the token, so `alg: none`,
 * HS256 signed with a public key, or RS256 named with an EC key's kid fail
 * before any signature check; iss and aud must be ours; exp, iat, nbf are
 * checked with a few seconds of tolerance.
 */
export async function verifyAccessTokenJwt(
  token: string,
  keys: SigningKeys,
  expect: { issuer: string; audience: string; now: Date },
): Promise<JwtCheck> {
  if (!looksLikeJwt(token)) return { ok: false, reason: "malformed" };
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (Object.keys(header).some((name) => !ALLOWED_HEADER.has(name))) return { ok: false, reason: "header" };
  if (!isSigningAlg(header.alg)) return { ok: false, reason: "algorithm" };
  if (typeof header.typ !== "string" || !isAccessTokenTyp(header.typ)) return { ok: false, reason: "type" };
  if (typeof header.kid !== "string" || header.kid.length > 64) return { ok: false, reason: "unknown_key" };
  const published = await keys.verificationKey(header.kid);
  if (!published) return { ok: false, reason: "unknown_key" };
  if (published.alg !== header.alg) return { ok: false, reason: "algorithm" };
  if (!canonicalSignature(token, published.signatureBytes)) return { ok: false, reason: "signature" };
  const { key, alg } = published;
  const cacheKey = `${expect.issuer}\u0000${expect.audience}\u0000${token}`;
  const known = verified.get(cacheKey);
  if (known && known.key === key) return timeCheck(known, expect.now) ?? { ok: true, claims: known.claims };

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [alg],
      issuer: expect.issuer,
      audience: expect.audience,
      currentDate: expect.now,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "nbf") {
      return { ok: false, reason: "not_yet_valid" };
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) return { ok: false, reason: "claims" };
    return { ok: false, reason: "signature" };
  }
  const { sub, jti, client_id, scope, iat, exp, iss, aud } = payload as Record<string, unknown>;
  if (
    typeof sub !== "string" ||
    typeof jti !== "string" ||
    typeof client_id !== "string" ||
    typeof scope !== "string" ||
    typeof iat !== "number" ||
    typeof exp !== "number" ||
    typeof iss !== "string" ||
    typeof aud !== "string"
  ) {
    return { ok: false, reason: "claims" };
  }
  // An iat in the future is a token minted by someone with a wrong clock, or a forgery.
  if (iat > expect.now.getTime() / 1000 + CLOCK_TOLERANCE_S) return { ok: false, reason: "not_yet_valid" };
  const claims = { sub, jti, client_id, scope, iat, exp, iss, aud };
  verified.set(cacheKey, { key, claims, nbf: typeof payload.nbf === "number" ? payload.nbf : null });
  if (verified.size > VERIFIED_KEPT) verified.delete(verified.keys().next().value as string);
  return { ok: true, claims };
}

/**
 * Tokens this process verified lately, by their exact text (and the issuer
 * and audience they were checked for), with the key that verified them: a
 * client sends the same access token on every call until it expires, and
 * the signature check (ECDSA P-256; RSA verifies faster) was the largest cost of a JWT call. A
 * token is taken from here only while the very key object that verified it
 * is still the published one for its kid (a retired or removed key, or a
 * reload of the key set, sends it through the full check again), and its
 * time claims are checked again on every use. Only the signature and the
 * claims are remembered: the token's row, grant, client and user are still
 * read on every call (server/auth/oauth-principal.ts), so a revocation
 * counts on the very next request as before.
 */
const VERIFIED_KEPT = 10_000;
const verified = new Map<string, { key: unknown; claims: AccessClaims; nbf: number | null }>();

function timeCheck(known: { claims: AccessClaims; nbf: number | null }, now: Date): JwtCheck | null {
  const seconds = Math.floor(now.getTime() / 1000);
  if (known.claims.exp <= seconds - CLOCK_TOLERANCE_S) return { ok: false, reason: "expired" };
  if (known.nbf !== null && known.nbf > seconds + CLOCK_TOLERANCE_S) return { ok: false, reason: "not_yet_valid" };
  if (known.claims.iat > seconds + CLOCK_TOLERANCE_S) return { ok: false, reason: "not_yet_valid" };
  return null;
}

function isAccessTokenTyp(typ: string): boolean {
  const lower = typ.toLowerCase();
  return lower === ACCESS_TOKEN_TYP || lower === `application/${ACCESS_TOKEN_TYP}`;
}
