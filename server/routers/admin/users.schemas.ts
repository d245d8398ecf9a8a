import { z } from "zod";
import { passwordSchema } from "../../auth/password";
import { cursorInput } from "../../services/page-cursor-input";
import { createUserForm, userSearch } from "./users.form.schemas";

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
