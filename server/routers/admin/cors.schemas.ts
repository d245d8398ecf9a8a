import { z } from "zod";
import { CORS_NOTE_MAX, MAX_ORIGIN_LENGTH } from "../../security/cors-limits";

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
