/**
 * One log line, in the application log's shape (server/logger.ts: `level`,
 * `time`, `service`, `pid`, the fields, `msg`), written without pino: for the
 * few lines a process writes before or without its logger — the supervisor
 * (which loads no more than supervising needs), a start that stops on a bad
 * configuration, the first admin's one-time password. Every line a server
 * process writes is one JSON object, so a log collector never meets a
 * fragment. Nothing here redacts: callers pass no secret unless the line
 * exists to hand it over (the one-time password, printed once, by design).
 */
export type LineLevel = "debug" | "info" | "warn" | "error" | "fatal";

export function formatLogLine(level: LineLevel, msg: string, fields: Record<string, unknown> = {}): string {
  return `${JSON.stringify({
    level,
    time: new Date().toISOString(),
    service: "gatehouse",
    pid: process.pid,
    ...fields,
    msg,
  })}\n`;
}

/** Writes one line; to stdout like the logger, or stderr for what stops or troubles the server. */
export function writeLogLine(
  level: LineLevel,
  msg: string,
  fields: Record<string, unknown> = {},
  stream: "stdout" | "stderr" = level === "error" || level === "fatal" || level === "warn" ? "stderr" : "stdout",
): void {
  process[stream].write(formatLogLine(level, msg, fields));
}
