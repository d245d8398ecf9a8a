import pino, { type Logger } from "pino";
import { redact } from "./security/redact";

let instance: Logger | undefined;

/**
 * Structured JSON logs on stdout. Every object logged passes through the same
 * redaction as the audit detail; pino JSON-encodes every value, so a newline
 * in user input cannot forge a log line.
 */
export function getLogger(): Logger {
  instance ??= pino({
    level: process.env.LOG_LEVEL ?? "info",
    base: { service: "gatehouse" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redact(object) as Record<string, unknown>,
    },
  });
  return instance;
}
