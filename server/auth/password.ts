import { hash, verify } from "@node-rs/argon2";
import { PASSWORD_MAX, PASSWORD_MIN, passwordLength } from "./password-rules";
import { passwordWeakness } from "./password-strength";

export { PASSWORD_MAX, PASSWORD_MIN, passwordLength } from "./password-rules";

/**
 * argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1). Verification
 * reads the parameters from the stored PHC string, so raising these later
 * keeps old hashes valid.
 */
// `algorithm: 2` is Algorithm.Argon2id (a const enum, which isolated modules cannot import).
const PARAMS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * NIST 800-63B: a length, no composition rules, no truncation, and never a
 * common, breached or otherwise guessable password (password-strength.ts).
 * Every door that sets a password parses it with this schema (the dashboard's
 * and the API's procedures, the CLI), and the user service checks again with
 * the account's own words (email, name) for the doors that have no schema
 * (the first admin from ADMIN_PASSWORD).
 */
export const passwordSchema = passwordLength.superRefine((value, ctx) => {
  // zod runs this even when a length check failed: never estimate an over-long input.
  if (value.length < PASSWORD_MIN || value.length > PASSWORD_MAX) return;
  const weakness = passwordWeakness(value);
  if (weakness) ctx.addIssue({ code: "custom", message: weakness });
});

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

// A real hash of a random string: verifying against it when the user does not
// exist takes as long as a real check, so timing does not reveal which emails
// have accounts.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (!storedHash) {
    dummyHash ??= hash(crypto.randomUUID(), PARAMS);
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
