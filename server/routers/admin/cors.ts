import { z } from "zod";
import { notFound } from "../../errors";
import { idPattern } from "../../ids";
import { CORS_DOORS, type CorsDoor, explainCors, MAX_ORIGIN_LENGTH } from "../../security/cors";
import { describeRecordedActors } from "../../services/audit";
import { addCorsOrigin, listCorsOrigins, removeCorsOrigin, setCorsCredentials } from "../../services/cors-origins";
import { listPageInput, pageOf, pageSchema } from "../../services/page-cursor";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import { addCorsOriginInput } from "./cors.schemas";
import { party } from "./party-schema";

const corsOriginId = z.string().regex(idPattern("corsOrigin"), "must be a CORS origin id (cor_…)");

const TAGS = ["admin-cors"];

const corsOriginSchema = z
  .object({
    id: z.string(),
    origin: z.string(),
    note: z.string().nullable(),
    allowCredentials: z.boolean(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "CorsOrigin" });

/** In the list, who added each origin as a person (email, or "command line"), resolved for the page at once. */
const listedCorsOrigin = corsOriginSchema
  .extend({ addedBy: party.nullable().describe("Who added it (from createdBy)") })
  .meta({ id: "ListedCorsOrigin" });

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
    .meta({ openapi: { method: "GET", path: "/admin/cors-origins", tags: TAGS, summary: "The allowed origins" } })
    .input(listPageInput.optional())
    .output(pageSchema(listedCorsOrigin))
    .query(({ ctx, input }) => {
      const page = pageOf(listCorsOrigins(ctx.db), input, { key: (o) => o.origin, id: (o) => o.id, direction: "asc" });
      const addedBy = describeRecordedActors(
        ctx.db,
        page.items.map((o) => o.createdBy),
      );
      return { ...page, items: page.items.map((o, i) => ({ ...o, addedBy: addedBy[i] ?? null })) };
    }),

  get: adminProcedure
    .meta({ openapi: { method: "GET", path: "/admin/cors-origins/{id}", tags: TAGS, summary: "One allowed origin" } })
    .input(z.strictObject({ id: corsOriginId }))
    .output(corsOriginSchema)
    .query(({ ctx, input }) => {
      const found = listCorsOrigins(ctx.db).find((entry) => entry.id === input.id);
      if (!found) throw notFound("CORS origin");
      return found;
    }),

  add: adminProcedure
    .meta({
      created: { location: "/admin/cors-origins/{id}" },
      openapi: {
        method: "POST",
        path: "/admin/cors-origins",
        tags: TAGS,
        summary: "Allow an origin",
        description: "A wildcard origin needs confirmWildcard; credentials are off unless allowCredentials.",
      },
    })
    .input(addCorsOriginInput)
    .output(corsOriginSchema)
    .mutation(({ ctx, input }) => addCorsOrigin(serviceContext(ctx), input)),

  remove: adminProcedure
    .meta({ openapi: { method: "DELETE", path: "/admin/cors-origins/{id}", tags: TAGS, summary: "Remove an origin" } })
    .input(z.strictObject({ id: corsOriginId }))
    .output(corsOriginSchema)
    .mutation(({ ctx, input }) => removeCorsOrigin(serviceContext(ctx), { id: input.id })),

  setCredentials: adminProcedure
    .meta({
      openapi: {
        method: "PATCH",
        path: "/admin/cors-origins/{id}",
        tags: TAGS,
        summary: "Allow or refuse credentialed requests from an origin",
      },
    })
    .input(z.strictObject({ id: corsOriginId, allowCredentials: z.boolean() }))
    .output(corsOriginSchema)
    .mutation(({ ctx, input }) => setCorsCredentials(serviceContext(ctx), input.id, input.allowCredentials)),

  /** The dry run: what a request from this origin with this method would get, decided by the live code. */
  test: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/cors-check",
        tags: TAGS,
        summary: "Dry run: the CORS answer a request from this origin would get",
      },
    })
    .input(
      z.strictObject({
        // As for add: room for a near-miss to be explained, not for a URL the front would refuse (431).
        origin: z.string().max(MAX_ORIGIN_LENGTH + 50, `must be at most ${MAX_ORIGIN_LENGTH} characters`),
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
