import { z } from "zod";
import { ROLES } from "@/db/schema";
import { LIMITS } from "@/db/schema/columns";
import { accountEmail } from "../../auth/account-email";
import { passwordSchema } from "../../auth/password";
import { cursorInput } from "../../services/page-cursor";
import { NO_CONTROL_CHARACTERS, NO_CONTROLS_MESSAGE } from "../text-rules";

/**
 * Input schemas of the admin.users procedures, also what the `user …`
 * commands of the CLI parse their flags with (server/cli/commands/user.ts):
 * one rule per field, whichever door the value comes in by.
 */

export const userName = z
  .string()
  .trim()
  .normalize("NFC")
  .max(LIMITS.userName, `must be at most ${LIMITS.userName} characters`)
  .regex(NO_CONTROL_CHARACTERS, NO_CONTROLS_MESSAGE);

export const roleSchema = z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` });

export const userSearch = z.string().trim().max(LIMITS.email, `must be at most ${LIMITS.email} characters`);

export const createUserInput = z.strictObject({
  email: accountEmail,
  name: userName.optional(),
  role: roleSchema,
  password: passwordSchema,
});

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
