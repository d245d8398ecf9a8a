import { z } from "zod";
import { PASSWORD_MAX, passwordLength } from "../../auth/password-rules";

/**
 * The account procedures' inputs that the browser validates with too (the
 * change-password forms). The procedure adds the password's guessability
 * check to `newPassword` (its dictionaries stay on the server); a refusal
 * from it names `newPassword` and is shown under that field.
 */
export const currentPassword = z
  .string()
  .min(1, "must not be empty")
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);

export const changePasswordForm = z.strictObject({ currentPassword, newPassword: passwordLength });
