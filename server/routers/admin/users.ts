import { z } from "zod";
import { ROLES } from "@/db/schema";
import { passwordSchema } from "../../auth/password";
import { requireStepUp } from "../../auth/step-up";
import { idPattern } from "../../ids";
import { listPageFields, pageOf, pageSchema } from "../../services/page-cursor";
import { listUserSessions } from "../../services/sessions";
import {
  createUser,
  endSessionsOfUser,
  getUserRow,
  listUsers,
  setUserDisabled,
  setUserPassword,
  setUserRole,
  userSummaryOf,
} from "../../services/users";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import { createUserInput, listUsersInput, roleSchema } from "./users.schemas";

const TAGS = ["admin-users"];

export const userId = z.string().regex(idPattern("user"), "must be a user id (usr_…)");
const sessionId = z.string().regex(idPattern("session"), "must be a session id (ses_…)");

const userSummary = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(ROLES),
    disabled: z.boolean(),
    mustChangePassword: z.boolean(),
    activeSessions: z.number(),
    createdAt: z.string(),
  })
  .meta({ id: "AdminUser" });

/** In the list, also the last sign-in (for its sort and column). */
const listedUser = userSummary
  .extend({ lastSignInAt: z.string().nullable().describe("The newest sign-in on record in the audit log") })
  .meta({ id: "AdminListedUser" });

const sessionSummary = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    expiresAt: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .meta({ id: "AdminSession" });

/**
 * admin.users: the Users page, and /api/v1/admin/users for automation. A
 * user's mutable facts are sub-resources set with PUT (role, disabled,
 * password), so each change is one audited service call with its own rules
 * (the last admin can be neither disabled nor demoted).
 */
export const adminUsersRouter = router({
  list: adminProcedure
    .meta({
      openapi: { method: "GET", path: "/admin/users", tags: TAGS, summary: "List users by email" },
    })
    .input(listUsersInput)
    .output(pageSchema(listedUser).extend({ total: z.number().int().describe("Users matching the filters") }))
    .query(({ ctx, input }) => listUsers(ctx.db, input, ctx.clock.now())),

  get: adminProcedure
    .meta({ openapi: { method: "GET", path: "/admin/users/{id}", tags: TAGS, summary: "Get one user" } })
    .input(z.strictObject({ id: userId }))
    .output(userSummary)
    .query(({ ctx, input }) => userSummaryOf(ctx.db, input.id, ctx.clock.now())),

  create: adminProcedure
    .meta({
      created: { location: "/admin/users/{id}" },
      openapi: {
        method: "POST",
        path: "/admin/users",
        tags: TAGS,
        summary: "Create a user",
        description: "The user must replace the password given here at first sign-in.",
      },
    })
    .input(createUserInput)
    .output(userSummary)
    // An admin chose this password and knows it: the user replaces it at first sign-in (every door
    // refuses anything else until then: pages, tRPC, REST, OAuth authorize).
    .mutation(({ ctx, input }) => createUser(serviceContext(ctx), { ...input, mustChangePassword: true })),

  setDisabled: adminProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/admin/users/{id}/disabled",
        tags: TAGS,
        summary: "Disable or enable a user",
        description: "Disabling ends the user's sessions at once.",
      },
    })
    .input(z.strictObject({ id: userId, disabled: z.boolean() }))
    .output(userSummary)
    .mutation(async ({ ctx, input }) => {
      // Step-up (server/auth/step-up.ts): disabling another admin.
      if (
        input.disabled &&
        input.id !== ctx.principal.userId &&
        (await getUserRow(ctx.db, input.id)).role === "admin"
      ) {
        await requireStepUp(ctx);
      }
      return setUserDisabled(serviceContext(ctx), input.id, input.disabled);
    }),

  setRole: adminProcedure
    .meta({ openapi: { method: "PUT", path: "/admin/users/{id}/role", tags: TAGS, summary: "Change a user's role" } })
    .input(z.strictObject({ id: userId, role: roleSchema }))
    .output(userSummary)
    .mutation(async ({ ctx, input }) => {
      // Step-up (server/auth/step-up.ts): raising a role.
      if (input.role === "admin" && (await getUserRow(ctx.db, input.id)).role !== "admin") await requireStepUp(ctx);
      return setUserRole(serviceContext(ctx), input.id, input.role);
    }),

  setPassword: adminProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/admin/users/{id}/password",
        tags: TAGS,
        summary: "Set a user's password",
        description: "Ends the user's sessions; by default the user must replace it at the next sign-in.",
      },
    })
    .input(z.strictObject({ id: userId, password: passwordSchema, mustChange: z.boolean().default(true) }))
    .output(userSummary)
    .mutation(({ ctx, input }) =>
      setUserPassword(serviceContext(ctx), input.id, input.password, { mustChange: input.mustChange }),
    ),

  sessions: adminProcedure
    .meta({
      openapi: { method: "GET", path: "/admin/users/{id}/sessions", tags: TAGS, summary: "A user's live sessions" },
    })
    .input(z.strictObject({ id: userId, ...listPageFields }))
    .output(pageSchema(sessionSummary))
    .query(async ({ ctx, input: { id, ...page } }) => {
      await getUserRow(ctx.db, id);
      const all = (await listUserSessions(ctx.db, id)).map((s) => ({
        id: s.id,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
      }));
      // Paged by creation (a stable key), newest first; lastSeenAt moves while a client pages.
      return pageOf(all, page, { key: (s) => s.createdAt, id: (s) => s.id, direction: "desc" });
    }),

  /** All of a user's sessions; one of them is endSession. */
  endSessions: adminProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/admin/users/{id}/sessions",
        tags: TAGS,
        summary: "End all of a user's sessions",
      },
    })
    .input(z.strictObject({ id: userId }))
    .output(z.object({ ended: z.number() }))
    .mutation(async ({ ctx, input }) => ({ ended: await endSessionsOfUser(serviceContext(ctx), input.id) })),

  endSession: adminProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/admin/users/{id}/sessions/{sessionId}",
        tags: TAGS,
        summary: "End one session of a user",
      },
    })
    .input(z.strictObject({ id: userId, sessionId }))
    .output(z.object({ ended: z.number() }))
    .mutation(async ({ ctx, input }) => ({
      ended: await endSessionsOfUser(serviceContext(ctx), input.id, input.sessionId),
    })),
});
