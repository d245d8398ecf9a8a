import { formatWithOptions } from "node:util";
import type { Logger } from "pino";

/**
 * Everything a production server process would print by other means, turned
 * into lines of the application log (one JSON object each):
 *
 * - `console.*`: Next.js prints an error thrown by a page or route handler
 *   with console.error — the stack, every frame an absolute path, over many
 *   lines — and libraries warn through console.warn. Each call becomes one
 *   line: the text as console would format it, with errors reduced to name
 *   and message, stack frames dropped, colour codes removed, the project's
 *   folder cut from paths, and a bounded length.
 * - process warnings (`(node:…) Warning: …` on stderr by default): one line each.
 * - an uncaught exception or unhandled rejection, which Node would print
 *   with its stack before exiting: one `fatal` line, then the same exit (1).
 *
 * Installed once per process by server/serve/main.ts in production; in
 * development the console stays a developer's console.
 */

const MAX_MESSAGE = 2_000;
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const STACK_FRAME = /^\s*at\s.+$/;

type Method = "debug" | "info" | "warn" | "error";
const CONSOLE_LEVELS: Record<string, Method> = {
  debug: "debug",
  trace: "debug",
  log: "info",
  info: "info",
  warn: "warn",
  error: "error",
};

/** An error as text: its name and message, never its stack (frames carry paths, SQL parameters, …). */
function errorText(error: Error): string {
  return `${error.name}: ${error.message}`;
}

/** What console would print for these arguments, as one bounded text without stacks, colours or our folder. */
export function consoleText(args: unknown[], root: string = process.cwd()): string {
  const text = formatWithOptions(
    { colors: false, depth: 3 },
    ...args.map((arg) => (arg instanceof Error ? errorText(arg) : arg)),
  );
  const lines = text
    .replace(ANSI, "")
    .split(/\r?\n/)
    .filter((line) => !STACK_FRAME.test(line));
  let out = lines.join("\n").trim();
  if (root.length > 1) out = out.split(root).join(".");
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE)}…` : out;
}

/** The reason of a crash, for its one line: name and message, no stack. */
function crashFields(reason: unknown, root: string): Record<string, unknown> {
  if (reason instanceof Error) return { err: { name: reason.name, message: consoleText([reason.message], root) } };
  return { err: { name: "NonError", message: consoleText([reason], root) } };
}

let installed = false;

export function routeProcessOutputToLog(logger: Logger, root: string = process.cwd()): void {
  if (installed) return;
  installed = true;
  const target = console as unknown as Record<string, (...args: unknown[]) => void>;
  for (const [name, level] of Object.entries(CONSOLE_LEVELS)) {
    target[name] = (...args: unknown[]) => {
      if (!logger.isLevelEnabled(level)) return;
      logger[level]({ source: "console" }, consoleText(args, root));
    };
  }

  // Node's own listener prints the warning on stderr; ours replaces it.
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    logger.warn(
      { source: "process", warning: { name: warning.name, code: (warning as { code?: string }).code } },
      consoleText([warning.message], root),
    );
  });

  // What Node does with an uncaught error — print it and exit with 1 — as one line.
  process.on("uncaughtException", (error, origin) => {
    try {
      logger.fatal({ source: "process", origin, ...crashFields(error, root) }, "uncaught exception: the process stops");
      logger.flush();
    } finally {
      process.exit(1);
    }
  });
}
