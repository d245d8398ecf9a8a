import type { CommandResult } from "./registry";

/**
 * Output for people (aligned tables, short sentences) and for scripts (one
 * JSON document). Text from the database (names, emails) was typed by users,
 * so control characters are neutralised before they reach a terminal: an
 * escape sequence in a user's name must not be able to rewrite the screen.
 */

// C0 and C1 controls, DEL, and the bidi overrides that can reorder what a terminal shows.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Makes a value safe to print inside one line: controls become U+FFFD. */
export function oneLine(value: string): string {
  return value.replace(UNSAFE, "\uFFFD");
}

export interface Column<T> {
  header: string;
  value(row: T): string;
}

/** A plain aligned table; an empty list prints a hint instead of a lone header. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty = "(none)"): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join("\n");
}

/** Writes a command's result to stdout in the chosen form. */
export function writeResult(result: CommandResult, json: boolean): void {
  if (result.streamed) return;
  const body = json ? JSON.stringify(result.json, null, 2) : result.text;
  process.stdout.write(body.endsWith("\n") ? body : `${body}\n`);
}
