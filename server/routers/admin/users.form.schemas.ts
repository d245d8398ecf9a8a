import { z } from "zod";
import { LIMITS } from "@/db/schema/columns";
import { ROLES } from "@/db/schema/users";
import { accountEmail } from "../../auth/account-email";
import { passwordLength } from "../../auth/password-rules";
import { NO_CONTROL_CHARACTERS, NO_CONTROLS_MESSAGE } from "../text-rules";

/**
 * The fields of the admin.users inputs that the browser validates with too
 * (the Users page's forms): everything but the password's guessability check,
 * whose dictionaries stay on the server (users.schemas.ts adds it).
 */

export const userName = z
  .string()
  .trim()
  .normalize("NFC")
  .max(LIMITS.userName, `must be at most ${LIMITS.userName} characters`)
  .regex(NO_CONTROL_CHARACTERS, NO_CONTROLS_MESSAGE);

export const roleSchema = z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` });

export const userSearch = z.string().trim().max(LIMITS.email, `must be at most ${LIMITS.email} characters`);

/** What the Users list can be filtered by (`status`) and sorted by (`sort`). */
export const USER_STATUSES = ["active", "must_change_password", "disabled"] as const;
export const USER_SORTS = ["email", "createdAt", "lastSignInAt"] as const;
export const SORT_DIRECTIONS = ["asc", "desc"] as const;

/** createUserInput with the password's length rule only. */
export const createUserForm = z.strictObject({
  email: accountEmail,
  name: userName.optional(),
  role: roleSchema,
  password: passwordLength,
});

/** admin.users.setPassword's password, with the length rule only (the procedure adds the dictionary check). */
export const setPasswordForm = z.strictObject({ password: passwordLength });
