import { parseArgs } from "node:util";
import { z } from "zod";
import { UsageError } from "./errors";
import { type Flags, isGroup } from "./registry";
import { FROM_STDIN, readSecret } from "./secret-input";

/**
 * Command-line parsing in two steps: the leading words pick the command, then
 * the rest is read against that command's flags with node:util parseArgs and
 * checked with zod. Error messages name the flag but never repeat the value
 * given: on this command line a value may well be a password.
 */

/** Flags every command accepts. */
export const GLOBAL_FLAGS = {
  json: { type: "boolean", description: "print one JSON document on stdout instead of text" },
  help: { type: "boolean", short: "h", description: "show help for the command" },
} as const;

/** `mustChange` is written `--must-change` on the command line. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** How a flag is shown in messages and help: `--must-change`, or the placeholder of a positional one (`ORIGIN`). */
export function argName(key: string, spec?: Flags[string]): string {
  return spec?.positional ? (spec.placeholder ?? key.toUpperCase()) : flagName(key);
}

/**
 * Splits argv into the command words and everything else. Global flags may
 * come before the command (`gatehouse --json user list`); words are taken only
 * while they can still lead to a command, so values after flags are never
 * mistaken for one. `help` takes the words of the command to explain.
 */
export function splitCommandLine(argv: readonly string[]): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--json" || arg === "--help" || arg === "-h") rest.push(arg);
    else if (!arg.startsWith("-") && (words.length === 0 || words[0] === "help" || isGroup(words))) words.push(arg);
    else break;
  }
  return { words, rest: [...rest, ...argv.slice(i)] };
}

export interface ReadFlags {
  /** Flag values by key, before validation. */
  raw: Record<string, unknown>;
  json: boolean;
  help: boolean;
}

/**
 * Reads the flags after the command words; unknown or value-less flags are
 * usage errors, and so is a repeated flag unless it is declared `multiple`.
 */
export function readFlags(flags: Flags, args: readonly string[]): ReadFlags {
  const byName = new Map<string, { key: string; type: "string" | "boolean"; multiple: boolean }>();
  let positionalKey: string | undefined;
  for (const [key, spec] of Object.entries(flags)) {
    if (spec.positional) positionalKey = key;
    else byName.set(flagName(key).slice(2), { key, type: spec.type, multiple: spec.multiple === true });
  }
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { ...GLOBAL_FLAGS };
  for (const [name, { type }] of byName) options[name] = { type };

  // Non-strict with tokens, so every mistake gets our own wording (parseArgs' strict
  // errors quote stray arguments, which could be part of a password).
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const out: ReadFlags = { raw: {}, json: false, help: false };
  const raw = out.raw;
  for (const token of tokens) {
    // The command's one positional argument, if it has one (e.g. the ORIGIN of `cors add`).
    if (token.kind === "positional" && positionalKey && !Object.hasOwn(raw, positionalKey)) {
      raw[positionalKey] = token.value;
      continue;
    }
    if (token.kind !== "option") {
      throw new UsageError("unexpected argument (put quotes around a value that contains spaces)");
    }
    if (token.name === "json" || token.name === "help") {
      if (token.value !== undefined) throw new UsageError(`${token.rawName}: takes no value`);
      out[token.name] = true;
      continue;
    }
    const flag = byName.get(token.name);
    if (!flag) throw new UsageError(`unknown flag ${oneFlag(token.rawName)}`);
    const shown = flagName(flag.key);
    if (Object.hasOwn(raw, flag.key) && !flag.multiple) throw new UsageError(`${shown}: given more than once`);
    if (flag.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`${shown}: takes no value`);
      raw[flag.key] = true;
    } else if (token.value === undefined) {
      throw new UsageError(`${shown}: needs a value`);
    } else if (flags[flag.key]?.secret && token.value === FROM_STDIN) {
      raw[flag.key] = FROM_STDIN;
    } else if (!token.inlineValue && token.value.startsWith("-")) {
      // `--email --json`: almost certainly a forgotten value, not an email starting with "-".
      throw new UsageError(`${shown}: needs a value (write ${shown}=-… for a value that starts with "-")`);
    } else if (flag.multiple) {
      raw[flag.key] = [...((raw[flag.key] as string[] | undefined) ?? []), token.value];
    } else {
      raw[flag.key] = token.value;
    }
  }
  return out;
}

/** Replaces `-` in secret flags by the value read from stdin (which can be read only once). */
export async function readSecretFlags(flags: Flags, raw: Record<string, unknown>): Promise<void> {
  const fromStdin = Object.keys(flags).filter((key) => flags[key]?.secret && raw[key] === FROM_STDIN);
  if (fromStdin.length > 1)
    throw new UsageError(`only one flag can be read from stdin (${fromStdin.map(flagName).join(", ")})`);
  for (const key of fromStdin) raw[key] = await readSecret(flagName(key));
}

/** Keeps an unknown flag's name printable and short. */
function oneFlag(rawName: string): string {
  return rawName.replace(/[^\w-]/g, "?").slice(0, 40);
}

/** Validates the raw flag values with the command's zod schemas; all problems in one line, each naming its flag. */
export function validateFlags(flags: Flags, raw: Record<string, unknown>): Record<string, unknown> {
  const shape = Object.fromEntries(Object.entries(flags).map(([key, spec]) => [key, spec.schema]));
  const result = z.object(shape).safeParse(raw);
  if (result.success) return result.data;
  const problems = new Map<string, string>();
  for (const issue of result.error.issues) {
    const key = String(issue.path[0] ?? "");
    if (problems.has(key)) continue;
    problems.set(key, `${argName(key, flags[key])}: ${raw[key] === undefined ? "is required" : issue.message}`);
  }
  throw new UsageError([...problems.values()].join("; "));
}

/** True when the flag may be left out (its schema accepts undefined); used by the usage line. */
export function isOptional(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}
