import { DrizzleQueryError } from "drizzle-orm";
import { ConfigError } from "../config";
import { AppError } from "../errors";
import { oneLine } from "./output";

/**
 * Exit codes, so scripts can tell "you typed it wrong" from "it did not work"
 * from "the environment is broken" without parsing stderr.
 */
export const EXIT = { ok: 0, failed: 1, config: 2, usage: 64 } as const;

/** A mistake in the command line itself (unknown command or flag, bad flag value). Nothing was changed. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The runtime could not be set up (secrets file, data folder, migrations):
 * like a ConfigError, the command never ran and the fix is in the environment.
 */
export class SetupError extends Error {
  override name = "SetupError";
}

/**
 * Turns any error into the one stderr line and the exit code. Never a stack
 * trace. Unknown errors are reduced to their root cause's first line: a
 * DrizzleQueryError's own message lists the query parameters, which can hold
 * a password hash, so only its cause (the SQLite message) is shown.
 */
export function describeFailure(error: unknown, commandName: string | null): { line: string; code: number } {
  const prefix = commandName ? `gatehouse: ${commandName}: ` : "gatehouse: ";
  if (error instanceof ConfigError) return { line: `gatehouse: ${oneLine(error.message)}`, code: EXIT.config };
  if (error instanceof SetupError) {
    return { line: `gatehouse: cannot open the data folder: ${rootCause(error.cause)}`, code: EXIT.config };
  }
  if (error instanceof UsageError) return { line: prefix + oneLine(error.message), code: EXIT.usage };
  if (error instanceof AppError) return { line: prefix + oneLine(error.message), code: EXIT.failed };
  return { line: `${prefix}unexpected error: ${rootCause(error)}`, code: EXIT.failed };
}

function rootCause(error: unknown): string {
  let root = error;
  while (root instanceof DrizzleQueryError) root = root.cause;
  const message = root instanceof Error ? root.message : "unknown error";
  return oneLine(message.split("\n")[0] ?? "").slice(0, 300);
}
