import { z } from "zod";
import { AppError } from "../../errors";
import { forwardingSeen } from "../../posture/forwarding";
import { postureReport } from "../../posture/report";
import { POSTURE_GROUPS, POSTURE_STATUSES } from "../../posture/types";
import { adminProcedure, router } from "../../trpc";

const status = z.enum(POSTURE_STATUSES);

export const postureReportSchema = z.object({
  generatedAt: z.string(),
  counts: z.object({ pass: z.number().int(), warn: z.number().int(), fail: z.number().int() }),
  overall: status,
  results: z.array(
    z.object({
      id: z.string(),
      group: z.enum(POSTURE_GROUPS),
      title: z.string(),
      status,
      summary: z.string(),
      details: z.array(z.string()),
      meaning: z.string(),
      fix: z.string(),
    }),
  ),
});

/**
 * admin.posture: the deployment posture check (server/posture), the same
 * report `gatehouse check` prints, for the Posture page and the Overview's
 * summary, and on REST for monitoring. Everything comes from the request's
 * context: the configuration this server runs with, its database, clock and
 * keys; a context built by hand without a configuration cannot judge one.
 */
export const adminPostureRouter = router({
  get: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/posture",
        tags: ["admin-posture"],
        summary: "Deployment posture: every rule with pass, warn or fail, what it means and how to fix it",
      },
    })
    .input(z.void())
    .output(postureReportSchema)
    .query(({ ctx }) => {
      if (!ctx.config) {
        throw new AppError("SERVICE_UNAVAILABLE", "No configuration in this context", "configuration_unavailable");
      }
      return postureReport({
        db: ctx.db,
        clock: ctx.clock,
        config: ctx.config,
        keyring: ctx.keyring,
        env: process.env,
        // What this server process saw on API requests (server/posture/forwarding.ts).
        forwarding: forwardingSeen(ctx.clock.now()),
      });
    }),
});
