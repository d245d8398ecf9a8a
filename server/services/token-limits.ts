/**
 * The bounds of API tokens that their input schemas state, apart from the
 * rest of token-rules.ts (which needs drizzle and the config): the
 * dashboard's forms validate with those schemas in the browser too.
 */
export const TOKEN_NAME_MAX = 100;
export const MAX_GRACE_MS = 7 * 86_400_000;
export const TOKEN_STATUSES = ["active", "expired", "revoked"] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];
/** What token lists can be sorted by: creation (the default, newest first), last use, name. */
export const TOKEN_SORTS = ["createdAt", "lastUsedAt", "name"] as const;
export type TokenSort = (typeof TOKEN_SORTS)[number];
