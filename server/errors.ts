import { TRPCError } from "@trpc/server";

/**
 * The one application error type. Services throw it; the tRPC layer maps its
 * code once to a tRPC code (and through tRPC to an HTTP status on both
 * transports). Messages are written for the client: never a stack, SQL or path.
 */
export const APP_ERROR_CODES = {
  BAD_REQUEST: { trpc: "BAD_REQUEST", status: 400, title: "Bad request" },
  UNAUTHORIZED: { trpc: "UNAUTHORIZED", status: 401, title: "Unauthorized" },
  FORBIDDEN: { trpc: "FORBIDDEN", status: 403, title: "Forbidden" },
  NOT_FOUND: { trpc: "NOT_FOUND", status: 404, title: "Not found" },
  CONFLICT: { trpc: "CONFLICT", status: 409, title: "Conflict" },
  PAYLOAD_TOO_LARGE: { trpc: "PAYLOAD_TOO_LARGE", status: 413, title: "Payload too large" },
  UNSUPPORTED_MEDIA_TYPE: { trpc: "UNSUPPORTED_MEDIA_TYPE", status: 415, title: "Unsupported media type" },
  UNPROCESSABLE: { trpc: "UNPROCESSABLE_CONTENT", status: 422, title: "Unprocessable content" },
  TOO_MANY_REQUESTS: { trpc: "TOO_MANY_REQUESTS", status: 429, title: "Too many requests" },
  INTERNAL: { trpc: "INTERNAL_SERVER_ERROR", status: 500, title: "Internal server error" },
  SERVICE_UNAVAILABLE: { trpc: "SERVICE_UNAVAILABLE", status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { trpc: TRPCError["code"]; status: number; title: string }>;

export type AppErrorCode = keyof typeof APP_ERROR_CODES;

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** Machine-readable reason, e.g. "last_admin" or "insufficient_scope". */
    readonly reason?: string,
    /** Safe, structured facts for the client (the scopes required, the seconds to wait). */
    readonly data?: { scopes?: string[]; retryAfterSeconds?: number },
  ) {
    super(message);
  }

  toTRPCError(): TRPCError {
    return new TRPCError({ code: APP_ERROR_CODES[this.code].trpc, message: this.message, cause: this });
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);

/** Finds the AppError behind a TRPCError, if any. */
export function appErrorOf(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof TRPCError && error.cause instanceof AppError) return error.cause;
  return undefined;
}

/** Titles by HTTP status for problem+json bodies. */
export function titleForStatus(status: number): string {
  for (const entry of Object.values(APP_ERROR_CODES)) if (entry.status === status) return entry.title;
  if (status === 405) return "Method not allowed";
  return status >= 500 ? "Internal server error" : "Bad request";
}
