import { z } from "zod";
import { LIMITS } from "@/db/schema/columns";

/**
 * The one rule for an account's email address, wherever one is given: the
 * dashboard and the REST/tRPC procedures, the command line, ADMIN_EMAIL.
 *
 * zod's default email check wants a dotted domain with a top-level label, so
 * it refused `admin@localhost` — the address Gatehouse itself gives the first
 * administrator when ADMIN_EMAIL is not set — and with it every CLI command
 * that names that account (`user set-password`, `limits unlock`, `token
 * create` …): the one account that most needs recovering could not be named.
 * This is the same pattern (ASCII letters, digits and `_ ' + - .` before
 * the @, no leading, trailing or doubled dot; LDH labels after it) with one
 * addition: the host `localhost`. Nothing else is opened: no spaces, no
 * control characters (so no CR/LF that could reach a header or a log line),
 * no quotes or brackets, and at most LIMITS.email characters (the column,
 * RFC 5321's path limit). Case and surrounding spaces are allowed here and
 * normalised by the services (server/services/users.ts normalizeEmail).
 */
export const ACCOUNT_EMAIL_PATTERN =
  /^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]@(?:([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}|localhost)$/i;

export const accountEmail = z
  .string()
  .trim()
  .max(LIMITS.email, `must be at most ${LIMITS.email} characters`)
  .pipe(z.email({ pattern: ACCOUNT_EMAIL_PATTERN, error: "must be a valid email address" }));
