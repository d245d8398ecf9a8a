/**
 * The id prefixes and the shape check, without the generator: input schemas that the
 * browser bundles too (react-hook-form validates with them) import this, not ids.ts,
 * which needs node:crypto.
 */

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
  secondFactor: "sfa",
  recoveryCode: "rcv",
  pendingSignIn: "psi",
  webauthnChallenge: "wch",
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

/** Shape check for an id of a given kind; used by input schemas so a malformed id is a 400, not a query. */
export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_[0-9a-z]{20}$`);
}
