/**
 * The allowed values of the OAuth tables' enum columns, apart from the table
 * definitions (the signing keys' table pulls in the sealed-text column and
 * with it node:crypto): the OAuth client form's schemas run in the browser too.
 */
export const OAUTH_CLIENT_TYPES = ["confidential", "public"] as const;
export const OAUTH_GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
export const OAUTH_GRANT_KINDS = ["authorization_code", "client_credentials"] as const;
/** ES256 an EC P-256 key, RS256 an RSA key. */
export const SIGNING_ALGS = ["ES256", "RS256"] as const;
