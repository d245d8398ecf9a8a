import type { z } from "zod";
import type { CliContext } from "./context";

/**
 * The command registry. A feature adds commands by calling `defineCommand`
 * in its own module under commands/ and importing that module once from
 * commands/index.ts; parsing, validation, help, output and error handling
 * come for free, so a new command is only its flags and its `run`.
 */

/** One flag: how parseArgs reads it, how zod checks it, and how help shows it. */
export interface FlagSpec<S extends z.ZodType = z.ZodType> {
  type: "string" | "boolean";
  schema: S;
  /** Placeholder in the usage line, e.g. "E" for `--email E` (string flags only). */
  placeholder?: string;
  description: string;
  /** A password or similar: `-` reads it from stdin or a hidden prompt (see secret-input.ts). */
  secret?: boolean;
  /**
   * Given as a bare word after the command words (`cors add ORIGIN`) rather
   * than as `--name value`; shown as its placeholder. String flags only, at
   * most one per command.
   */
  positional?: boolean;
  /**
   * May be given several times (`--redirect-uri A --redirect-uri B`): the
   * schema then receives every value, in order, as a string array (absent
   * when never given). String flags only.
   */
  multiple?: boolean;
}

export type Flags = Record<string, FlagSpec>;

/** The validated input a command's `run` receives: one property per flag. */
export type FlagValues<F extends Flags> = { [K in keyof F]: z.output<F[K]["schema"]> };

/**
 * What a command returns. `json` is printed with --json (one document), `text`
 * otherwise. Both are built from data the services return, which never
 * contains a password or a hash.
 */
export interface CommandResult {
  json: unknown;
  text: string;
  /** The command already wrote its output to stdout itself (a streamed export): print nothing more. */
  streamed?: boolean;
  /** Exit code when the command ran but found something wrong (`keys list` with a problem: 1); default 0. */
  exitCode?: number;
}

export interface Command {
  /** The words that name it, e.g. ["user", "create"]. */
  path: readonly string[];
  summary: string;
  flags: Flags;
  run(ctx: CliContext, input: Record<string, unknown>): Promise<CommandResult> | CommandResult;
}

const commands: Command[] = [];

/** Registers a command; the generic keeps `run`'s input typed from the flag schemas. */
export function defineCommand<F extends Flags>(spec: {
  path: readonly string[];
  summary: string;
  flags: F;
  run(ctx: CliContext, input: FlagValues<F>): Promise<CommandResult> | CommandResult;
}): void {
  if (commands.some((c) => c.path.join(" ") === spec.path.join(" "))) {
    throw new Error(`gatehouse CLI: command "${spec.path.join(" ")}" is registered twice`);
  }
  // The input was produced by zod from exactly these flag schemas (see args.ts).
  commands.push({ ...spec, run: (ctx, input) => spec.run(ctx, input as FlagValues<F>) });
}

export function allCommands(): readonly Command[] {
  return commands;
}

/**
 * Finds the command named by the longest prefix of `words`. Returns the number
 * of words used, so the caller can tell an unknown command from extra words.
 */
export function findCommand(words: readonly string[]): { command: Command; used: number } | undefined {
  let best: { command: Command; used: number } | undefined;
  for (const command of commands) {
    const n = command.path.length;
    if (n <= words.length && command.path.every((w, i) => w === words[i]) && (!best || n > best.used)) {
      best = { command, used: n };
    }
  }
  return best;
}

/** True when some command starts with these words (e.g. "user" is a group). */
export function isGroup(words: readonly string[]): boolean {
  return commands.some((c) => c.path.length > words.length && words.every((w, i) => c.path[i] === w));
}
