import { checksumOf, hashToken, randomBase62, sameHash } from "../auth/api-token";

/**
 * The OAuth secrets Gatehouse hands out, all with 256 bits from the CSPRNG
 * and all stored only as their SHA-256 (the same reasoning as API tokens,
 * server/auth/api-token.ts: nothing to brute-force, no key to lose):
 *
 * - client secrets `ghs_…` and refresh tokens `ghr_…` carry a recognisable
 *   prefix and a CRC32 checksum, so secret scanners can find a leaked one;
 * - authorization codes are bare base62: they live 60 seconds in a URL.
 */
const SECRET_LENGTH = 43;

function prefixed(prefix: string): string {
  const body = prefix + randomBase62(SECRET_LENGTH);
  return body + checksumOf(body);
}

export const CLIENT_SECRET_PREFIX = "ghs_";
export const REFRESH_TOKEN_PREFIX = "ghr_";

export const newClientSecret = (): string => prefixed(CLIENT_SECRET_PREFIX);
export const newRefreshToken = (): string => prefixed(REFRESH_TOKEN_PREFIX);
export const newAuthorizationCode = (): string => randomBase62(SECRET_LENGTH);
/** The anti-CSRF token of one consent form. */
export const newCsrfToken = (): string => randomBase62(SECRET_LENGTH);

export const hashSecret = hashToken;
export const sameSecretHash = sameHash;

/** `ghs_…wxyz`: what the dashboard may show of a secret after it was created. */
export function secretDisplay(secret: string): string {
  return `${secret.slice(0, 4)}…${secret.slice(-4)}`;
}

/** Shape check before any lookup: a presented value longer than any we issue is refused without a query. */
export function plausibleSecret(value: string): boolean {
  return value.length > 0 && value.length <= 128 && /^[A-Za-z0-9_.~-]+$/.test(value);
}
