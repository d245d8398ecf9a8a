import { z } from "zod";
import { OUTCOMES } from "@/db/schema/audit-log";
import { LIMITS } from "@/db/schema/columns";

/**
 * The Audit page's filters as they arrive from a client (admin.audit.list's
 * and the export's input, the CLI's flags, the page's filter form in the
 * browser): strings only, every one bounded, unknown keys refused. Apart from
 * filter.ts, which queries the database, so the browser can bundle it.
 */

const ACTION = /^[a-z][a-z0-9_]*\.([a-z0-9_]+)?$/;

/**
 * An ISO 8601 instant, bounded: the format alone allows any number of fractional digits. 40
 * characters hold every instant with up to nanoseconds and an offset (35) with room to spare.
 */
const ISO_INSTANT_MAX = 40;
const isoInstant = z.iso
  .datetime({ offset: true, error: "must be a date and time" })
  .max(ISO_INSTANT_MAX, `must be at most ${ISO_INSTANT_MAX} characters`);

const atMost = (n: number) => `must be at most ${n} characters`;
export const AUDIT_TEXT_MAX = 200;
export const AUDIT_REQUEST_ID_MAX = 64;

export const auditFilterInput = z.strictObject({
  actorId: z
    .string()
    .trim()
    .max(LIMITS.email, atMost(LIMITS.email))
    .optional()
    .describe("An actor id (usr_…, tok_…, ocl_…), or a user's email: that person's entries and failed sign-ins"),
  action: z
    .string()
    .trim()
    .max(LIMITS.auditAction, atMost(LIMITS.auditAction))
    .regex(ACTION, "must be an action like contact.delete or an area like contact.")
    .optional(),
  targetId: z.string().trim().max(LIMITS.auditTarget, atMost(LIMITS.auditTarget)).optional(),
  outcome: z.enum(OUTCOMES, { error: `must be one of ${OUTCOMES.join(", ")}` }).optional(),
  ip: z.string().trim().max(LIMITS.ip, atMost(LIMITS.ip)).optional(),
  requestId: z.string().trim().max(AUDIT_REQUEST_ID_MAX, atMost(AUDIT_REQUEST_ID_MAX)).optional(),
  since: isoInstant.optional(),
  until: isoInstant.optional(),
  text: z.string().trim().max(AUDIT_TEXT_MAX, atMost(AUDIT_TEXT_MAX)).optional(),
});
export type AuditFilterInput = z.infer<typeof auditFilterInput>;
