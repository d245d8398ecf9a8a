import { z } from "zod";
import { CORS_NOTE_MAX, MAX_ORIGIN_LENGTH } from "../../security/cors-limits";
import { listPageFields } from "../../services/page-cursor-input";

/**
 * admin.cors.add's input, which the dashboard's form validates with too. The
 * service validates the origin itself and says why one is refused (its
 * `invalid_origin` message is shown under the Origin field); the bound here only
 * keeps a long junk string from reaching it.
 */
export const addCorsOriginInput = z.strictObject({
  origin: z.string().max(MAX_ORIGIN_LENGTH + 50, `must be at most ${MAX_ORIGIN_LENGTH} characters`),
  note: z.string().trim().max(CORS_NOTE_MAX, `must be at most ${CORS_NOTE_MAX} characters`).optional(),
  allowCredentials: z.boolean().default(false),
  confirmWildcard: z.boolean().default(false),
});

/** The orders of admin.cors.list: the origin (default, A to Z) or when it was added (newest first by default). */
export const CORS_SORTS = ["origin", "createdAt"] as const;
export type CorsSort = (typeof CORS_SORTS)[number];

/**
 * admin.cors.list: one page of the allow-list (at most MAX_CORS_ORIGINS, paged
 * all the same), sorted on the server. A cursor is only good for its own order.
 */
export const listCorsOriginsInput = z.strictObject({
  ...listPageFields,
  sort: z
    .enum(CORS_SORTS, { error: `must be one of ${CORS_SORTS.join(", ")}` })
    .optional()
    .describe("origin (default) or createdAt"),
  direction: z
    .enum(["asc", "desc"], { error: "must be asc or desc" })
    .optional()
    .describe("Default: asc for origin, desc (newest first) for createdAt"),
});

/**
 * admin.cors.test's input: the origin exactly as a browser would send it (room for a near miss to be
 * explained, not for a URL the front would refuse with 431), the method and the door. The dashboard's
 * "Test an origin" form validates with it too.
 */
/** security/cors.ts CORS_DOORS's names (that module reads the database; cors.ts checks the two agree). */
export const CORS_DOOR_NAMES = ["trpc", "rest", "oauth"] as const;
export const CORS_TEST_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
export const testCorsOriginInput = z.strictObject({
  origin: z.string().max(MAX_ORIGIN_LENGTH + 50, `must be at most ${MAX_ORIGIN_LENGTH} characters`),
  method: z.enum(CORS_TEST_METHODS, { error: `must be one of ${CORS_TEST_METHODS.join(", ")}` }).default("GET"),
  door: z.enum(CORS_DOOR_NAMES, { error: `must be one of ${CORS_DOOR_NAMES.join(", ")}` }).default("rest"),
});
