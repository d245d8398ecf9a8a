import { z } from "zod";
import { passwordSchema } from "../../auth/password";
import { cursorInput } from "../../services/page-cursor-input";
import {
  createUserForm,
  roleSchema,
  SORT_DIRECTIONS,
  USER_SORTS,
  USER_STATUSES,
  userSearch,
} from "./users.form.schemas";

/**
 * Input schemas of the admin.users procedures, also what the `user …`
 * commands of the CLI parse their flags with (server/cli/commands/user.ts):
 * one rule per field, whichever door the value comes in by.
 */

export { roleSchema, userName, userSearch } from "./users.form.schemas";

export const createUserInput = createUserForm.extend({ password: passwordSchema });

export const listUsersInput = z
  .strictObject({
    search: userSearch.optional().describe("Part of the email or the name"),
    role: roleSchema.optional().describe("Only users of this role"),
    status: z
      .enum(USER_STATUSES, { error: `must be one of ${USER_STATUSES.join(", ")}` })
      .optional()
      .describe("active: enabled, own password; must_change_password: enabled, a one-time password; disabled"),
    sort: z
      .enum(USER_SORTS, { error: `must be one of ${USER_SORTS.join(", ")}` })
      .default("email")
      .describe("email (default), createdAt, or lastSignInAt (the newest session.login in the audit log)"),
    direction: z
      .enum(SORT_DIRECTIONS, { error: "must be asc or desc" })
      .optional()
      .describe("Default: asc for email, desc (newest first) for the dates. A cursor is only good for its own order."),
    cursor: cursorInput,
    limit: z.number().int().min(1).max(100).default(25).describe("Page size; default 25, at most 100"),
    offset: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .optional()
      .describe("For the dashboard's numbered pager only; API clients page with `cursor`. Not with `cursor`."),
  })
  .refine((v) => v.cursor === undefined || v.offset === undefined, {
    message: "give either cursor or offset, not both",
    path: ["offset"],
  });
