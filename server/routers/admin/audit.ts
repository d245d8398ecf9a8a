import { z } from "zod";
import { ACTOR_KINDS, OUTCOMES } from "@/db/schema";
import { listAudit } from "../../services/audit";
import { adminProcedure, router } from "../../trpc";

const entry = z.object({
  seq: z.number(),
  id: z.string(),
  at: z.string(),
  actorKind: z.enum(ACTOR_KINDS),
  actorId: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: z.enum(OUTCOMES),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

export const adminAuditRouter = router({
  list: adminProcedure
    .input(
      z.strictObject({
        actorId: z.string().max(64).optional(),
        /** An exact action (`contact.delete`) or an area ending in a dot (`contact.`). */
        action: z
          .string()
          .max(64)
          .regex(/^[a-z_]+\.([a-z_]+)?$/, "must be an action like contact.delete or an area like contact.")
          .optional(),
        since: z.iso.datetime().optional(),
        until: z.iso.datetime().optional(),
        cursor: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .output(z.object({ items: z.array(entry), nextCursor: z.number().nullable() }))
    .query(({ ctx, input }) => {
      const page = listAudit(ctx.db, {
        ...input,
        since: input.since ? new Date(input.since) : undefined,
        until: input.until ? new Date(input.until) : undefined,
      });
      return { ...page, items: page.items.map((row) => ({ ...row, at: row.at.toISOString() })) };
    }),
});
