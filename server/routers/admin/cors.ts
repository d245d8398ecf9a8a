import { z } from "zod";
import { notFound } from "../../errors";
import { idPattern } from "../../ids";
import { type CorsDoor, explainCors } from "../../security/cors";
import { describeRecordedActors } from "../../services/audit";
import {
  addCorsOrigin,
  type CorsOriginSummary,
  listCorsOrigins,
  removeCorsOrigin,
  setCorsCredentials,
} from "../../services/cors-origins";
import { pageOf, pageSchema } from "../../services/page-cursor";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import {
  addCorsOriginInput,
  type CORS_DOOR_NAMES,
  type CorsSort,
  listCorsOriginsInput,
  testCorsOriginInput,
} from "./cors.schemas";
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

// The door names of the browser-bundlable schema are exactly the live code's doors (a compile error otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const doorsAgree: Same<(typeof CORS_DOOR_NAMES)[number], CorsDoor> = true;
void doorsAgree;

/** Each order of the list: its key (a string compared as such; ISO times sort as they read) and default direction. */
const CORS_ORDERS: Record<CorsSort, { key: (o: CorsOriginSummary) => string; direction: "asc" | "desc" }> = {
  origin: { key: (o) => o.origin, direction: "asc" },
  createdAt: { key: (o) => o.createdAt, direction: "desc" },
};

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
    .input(listCorsOriginsInput.optional())
    .output(pageSchema(listedCorsOrigin))
    .query(async ({ ctx, input }) => {
      const sort = input?.sort ?? "origin";
      const { key, direction } = CORS_ORDERS[sort];
      // Without sort or direction the order is the one this list always had, and so is its cursor's form.
      const named = input?.sort !== undefined || input?.direction !== undefined;
      const page = pageOf(await listCorsOrigins(ctx.db), input, {
        key,
        id: (o) => o.id,
        direction: input?.direction ?? direction,
        sort: named ? sort : undefined,
      });
      const addedBy = await describeRecordedActors(
        ctx.db,
        page.items.map((o) => o.createdBy),
      );
      return { ...page, items: page.items.map((o, i) => ({ ...o, addedBy: addedBy[i] ?? null })) };
    }),

  get: adminProcedure
    .meta({ openapi: { method: "GET", path: "/admin/cors-origins/{id}", tags: TAGS, summary: "One allowed origin" } })
    .input(z.strictObject({ id: corsOriginId }))
    .output(corsOriginSchema)
    .query(async ({ ctx, input }) => {
      const found = (await listCorsOrigins(ctx.db)).find((entry) => entry.id === input.id);
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
    .input(testCorsOriginInput)
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
