/**
 * The length bounds of an allow-list entry, apart from security/cors.ts (which
 * queries the database): the add-origin form validates with the procedure's
 * schema in the browser too.
 */
/** Longest origin accepted, in the table and in a request header; anything longer is not an origin we list. */
export const MAX_ORIGIN_LENGTH = 300;
export const CORS_NOTE_MAX = 200;
