import { z } from "zod";

/**
 * The length rule of every password (NIST 800-63B: a length, no composition
 * rules, no truncation), without the guessability check: the browser's forms
 * validate with this, as the first half of the server's `passwordSchema`
 * (password.ts), which adds the check against zxcvbn's dictionaries. Those
 * are ~25 MB and stay on the server; a guessable password is refused there
 * and the refusal is shown under the same field.
 */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

export const passwordLength = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);
