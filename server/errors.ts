import { TRPCError } from "@trpc/server";
import { type StorageFailure, type StorageFailureKind, storageFailureOf } from "@/db/storage-errors";

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

/**
 * The AppError an error stands for, if any: an AppError itself, the one
 * behind a TRPCError, or — classified here, once, for every door — a storage
 * failure (db/storage-errors.ts: a full disk, a read-only or vanished
 * database file, an I/O error, a lock held beyond the wait), which becomes
 * SERVICE_UNAVAILABLE `storage_unavailable` with a Retry-After. Anything
 * else is not the client's business: undefined, and the door answers 500.
 */
export function appErrorOf(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof TRPCError && error.cause instanceof AppError) return error.cause;
  const storage = storageFailureOf(error);
  return storage ? storageUnavailable(storage) : undefined;
}

/** Retry-After on a storage failure: long enough not to hammer a full disk, short enough to notice it cleared. */
export const STORAGE_RETRY_SECONDS = 5;

const STORAGE_DETAIL: Record<StorageFailureKind, string> = {
  full: "the disk is full",
  read_only: "it is read-only",
  io_error: "of an I/O error",
  busy: "another writer held it for too long",
  missing: "its file is missing",
  unavailable: "it cannot be reached",
};

/** What a client is told of a storage failure: that it is ours and passing, never a path or SQL. */
export function storageUnavailable(failure: StorageFailure): AppError {
  return new AppError(
    "SERVICE_UNAVAILABLE",
    `The database cannot be used right now because ${STORAGE_DETAIL[failure.kind]}; retry shortly`,
    "storage_unavailable",
    { retryAfterSeconds: STORAGE_RETRY_SECONDS },
  );
}

/** Whether an AppError says "retry later" (429, 503) and when: the doors turn it into Retry-After. */
export function retryAfterOf(error: AppError | undefined): number | null {
  if (!error || (error.code !== "TOO_MANY_REQUESTS" && error.code !== "SERVICE_UNAVAILABLE")) return null;
  return error.data?.retryAfterSeconds ?? null;
}

/** Titles by HTTP status for problem+json bodies. */
export function titleForStatus(status: number): string {
  for (const entry of Object.values(APP_ERROR_CODES)) if (entry.status === status) return entry.title;
  if (status === 405) return "Method not allowed";
  return status >= 500 ? "Internal server error" : "Bad request";
}
