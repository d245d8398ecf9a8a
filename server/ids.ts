import { randomBytes } from "node:crypto";

/** Every kind of record has its own id prefix, so an id says what it names (Stripe/Unkey style). */
export const ID_PREFIXES = {
  user: "usr",
  session: "ses",
  contact: "con",
  token: "tok",
  corsOrigin: "cor",
  rateLimitOverride: "rlo",
  audit: "aud",
  request: "req",
  oauthClient: "ocl",
  oauthGrant: "ogr",
  oauthCode: "oac",
  oauthRefreshToken: "ort",
  oauthAccessToken: "oat",
  oauthConsent: "ocn",
  oauthPending: "oar",
  signingKey: "sig",
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** 20 base36 characters from the CSPRNG: ~103 bits, unguessable and URL-safe. */
export function newId(kind: IdKind): string {
  const bytes = randomBytes(20);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte % 36];
  return `${ID_PREFIXES[kind]}_${out}`;
}

/** Shape check for an id of a given kind; used by input schemas so a malformed id is a 400, not a query. */
export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_[0-9a-z]{20}$`);
}
