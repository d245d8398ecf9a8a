import { z } from "zod";
import { idPattern } from "../../ids";
import { CORS_DOORS, CORS_NOTE_MAX, type CorsDoor, explainCors, MAX_ORIGIN_LENGTH } from "../../security/cors";
import { addCorsOrigin, listCorsOrigins, removeCorsOrigin, setCorsCredentials } from "../../services/cors-origins";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";

const corsOriginId = z.string().regex(idPattern("corsOrigin"), "must be a CORS origin id (cor_…)");

const corsOriginSchema = z.object({
  id: z.string(),
  origin: z.string(),
  note: z.string().nullable(),
  allowCredentials: z.boolean(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const doors = Object.keys(CORS_DOORS) as [CorsDoor, ...CorsDoor[]];
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

const headerRecord = z.record(z.string(), z.string());

/**
 * admin.cors: the allow-list of origins whose pages may call the API from a
 * browser. The origin rules and their messages live in security/cors.ts
 * (one place for the dashboard, the CLI and the live check); the input
 * limits here only keep absurd input from reaching them.
 */
export const adminCorsRouter = router({
  list: adminProcedure
    .input(z.strictObject({}).optional())
    .output(z.array(corsOriginSchema))
    .query(({ ctx }) => listCorsOrigins(ctx.db)),

  add: adminProcedure
    .input(
      z.strictObject({
        // The service validates the origin and says why one is refused; a long junk string never reaches it.
        origin: z.string().max(MAX_ORIGIN_LENGTH + 50, `must be at most ${MAX_ORIGIN_LENGTH} characters`),
        note: z.string().trim().max(CORS_NOTE_MAX).optional(),
        allowCredentials: z.boolean().default(false),
        confirmWildcard: z.boolean().default(false),
      }),
    )
    .output(corsOriginSchema)
    .mutation(({ ctx, input }) => addCorsOrigin(serviceContext(ctx), input)),

  remove: adminProcedure
    .input(z.strictObject({ id: corsOriginId }))
    .output(corsOriginSchema)
    .mutation(({ ctx, input }) => removeCorsOrigin(serviceContext(ctx), { id: input.id })),

  setCredentials: adminProcedure
    .input(z.strictObject({ id: corsOriginId, allowCredentials: z.boolean() }))
    .output(corsOriginSchema)
    .mutation(({ ctx, input }) => setCorsCredentials(serviceContext(ctx), input.id, input.allowCredentials)),

  /** The dry run: what a request from this origin with this method would get, decided by the live code. */
  test: adminProcedure
    .input(
      z.strictObject({
        origin: z.string().max(2048),
        method: z.enum(METHODS).default("GET"),
        door: z.enum(doors).default("rest"),
      }),
    )
    .output(
      z.object({
        allowed: z.boolean(),
        credentials: z.boolean(),
        entry: z.string().nullable(),
        reason: z.string(),
        preflight: headerRecord,
        response: headerRecord,
      }),
    )
    .query(({ ctx, input }) => explainCors(ctx.db, input)),
});
