/**
 * The lifetime bounds of OAuth clients' tokens and secrets, apart from the
 * service (which needs the database): the client form validates with the
 * input schemas in the browser too.
 */
export const DEFAULT_ACCESS_TOKEN_TTL_S = 600;
export const MIN_ACCESS_TOKEN_TTL_S = 60;
/** The longest access-token lifetime a client may be given (the signing keys' retirement follows it). */
export const MAX_ACCESS_TOKEN_TTL_S = 3600;
export const DEFAULT_REFRESH_TOKEN_TTL_S = 30 * 86_400;
export const MIN_REFRESH_TOKEN_TTL_S = 3600;
export const MAX_REFRESH_TOKEN_TTL_S = 365 * 86_400;
export const MAX_SECRET_GRACE_S = 7 * 86_400;
