import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { redact, scrubText } from "./security/redact";

let instance: Logger | undefined;

export interface LoggerSettings {
  level?: string;
  /** Human-readable lines (pino-pretty) instead of JSON; meant for development only. */
  pretty?: boolean;
  /** Where JSON lines go; stdout when not given. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

/**
 * Structured JSON logs on stdout. Every object logged passes through the same
 * redaction as the audit detail (server/security/redact.ts), and so does the
 * message text. pino JSON-encodes every value, so a newline or a quote in
 * user input stays escaped inside its string: it cannot end the line or forge
 * a field (no log injection). Pretty output is for a developer's terminal
 * (NODE_ENV=development) and never the default in production.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? "info",
    // pid: which worker process wrote the line (WEB_CONCURRENCY > 1).
    base: { service: "gatehouse", pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redact(object) as Record<string, unknown>,
    },
    hooks: {
      // The message and any format arguments get the shape-based scrub too.
      logMethod(args, method) {
        const cleaned = args.map((arg) => (typeof arg === "string" ? scrubText(arg) : arg));
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
  };
  if (settings.pretty) {
    // A worker-thread transport: pino-pretty is a dev dependency, resolved only here.
    return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true, singleLine: true } } });
  }
  if (settings.destination) return pino(options, settings.destination);
  // Under load a synchronous write per line (one syscall per request) was a large share of a request's
  // cost. Asynchronous writes coalesce the lines written while one write is under way; pino flushes what is
  // pending when the process exits (a graceful stop included; kill -9 can lose the last few lines).
  return process.env.NODE_ENV === "production"
    ? pino(options, pino.destination({ dest: 1, sync: false }))
    : pino(options);
}

/** The process-wide logger, created on first use. */
export function getLogger(): Logger {
  instance ??= createLogger({ pretty: process.env.NODE_ENV === "development" && process.env.LOG_FORMAT !== "json" });
  return instance;
}

/** Replaces the process-wide logger (tests capture log lines this way). */
export function setLogger(logger: Logger | undefined): void {
  instance = logger;
}
