import { z } from "zod";
import { ROLES } from "@/db/schema";
import { passwordSchema } from "../../auth/password";
import { idPattern } from "../../ids";
import { listUserSessions } from "../../services/sessions";
import {
  createUser,
  endSessionsOfUser,
  getUserRow,
  listUsers,
  setUserDisabled,
  setUserPassword,
  setUserRole,
} from "../../services/users";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import { createUserInput, listUsersInput } from "./users.schemas";

const userId = z.string().regex(idPattern("user"), "must be a user id (usr_…)");

const userSummary = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  activeSessions: z.number(),
  createdAt: z.string(),
});

const sessionSummary = z.object({
  id: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});

export const adminUsersRouter = router({
  list: adminProcedure
    .input(listUsersInput)
    .output(z.object({ items: z.array(userSummary), total: z.number() }))
    .query(({ ctx, input }) => listUsers(ctx.db, input, ctx.clock.now())),

  create: adminProcedure
    .input(createUserInput)
    .output(userSummary)
    // An admin chose this password and knows it: the user replaces it at first sign-in (every door
    // refuses anything else until then: pages, tRPC, REST, OAuth authorize).
    .mutation(({ ctx, input }) => createUser(serviceContext(ctx), { ...input, mustChangePassword: true })),

  setDisabled: adminProcedure
    .input(z.strictObject({ id: userId, disabled: z.boolean() }))
    .output(userSummary)
    .mutation(({ ctx, input }) => setUserDisabled(serviceContext(ctx), input.id, input.disabled)),

  setRole: adminProcedure
    .input(z.strictObject({ id: userId, role: z.enum(ROLES) }))
    .output(userSummary)
    .mutation(({ ctx, input }) => setUserRole(serviceContext(ctx), input.id, input.role)),

  setPassword: adminProcedure
    .input(z.strictObject({ id: userId, password: passwordSchema, mustChange: z.boolean().default(true) }))
    .output(userSummary)
    .mutation(({ ctx, input }) =>
      setUserPassword(serviceContext(ctx), input.id, input.password, { mustChange: input.mustChange }),
    ),

  sessions: adminProcedure
    .input(z.strictObject({ id: userId }))
    .output(z.array(sessionSummary))
    .query(({ ctx, input }) => {
      getUserRow(ctx.db, input.id);
      return listUserSessions(ctx.db, input.id).map((s) => ({
        id: s.id,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
      }));
    }),

  endSessions: adminProcedure
    .input(z.strictObject({ id: userId, sessionId: z.string().regex(idPattern("session")).optional() }))
    .output(z.object({ ended: z.number() }))
    .mutation(({ ctx, input }) => ({ ended: endSessionsOfUser(serviceContext(ctx), input.id, input.sessionId) })),
});
