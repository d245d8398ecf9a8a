/**
 * The only module that touches `initTRPC`. It exports the procedure builders
 * routers may use and nothing else. Every builder runs the same chain on both
 * transports (tRPC and the REST bridge):
 *
 *   rate limit (and, around everything, error mapping)
 *   -> authentication -> password-change gate -> second-factor gate (ADMIN_2FA) -> scope check -> role check
 *   -> zod input -> handler -> zod output
 *
 * Middlewares defined here run before the `.input()` a router adds, so an
 * unauthenticated caller is refused before its input is even parsed.
 */
import { getTRPCErrorFromUnknown, initTRPC, TRPCError } from "@trpc/server";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError } from "zod";
import { noteRefusal } from "./audit/refusals";
import { decryptionErrorOf, noteSealedValueFailure } from "./audit/sealed-failures";
import type { Principal } from "./auth/principal";
import type { Scope } from "./auth/scopes";
import type { Context } from "./context";
import { AppError, appErrorOf } from "./errors";
import { getLogger } from "./logger";
import { enforceRateLimit } from "./ratelimit/middleware";

// A type alias, not an interface: trpc-to-openapi needs an index-signature-compatible meta.
export type ProcedureMeta = {
  /** Scopes the caller's credential must hold; drives the check and the OpenAPI security entry. */
  scopes?: Scope[];
  /** Callable while the caller must still replace a one-time password. */
  allowDuringPasswordChange?: boolean;
  /**
   * Callable by an admin session that must still enrol a second factor (ADMIN_2FA=required): the
   * enrolment itself, who-am-I, one's own password and sessions. Everything else answers 403
   * `second_factor_required`.
   */
  allowWithoutSecondFactor?: boolean;
  /**
   * On REST, the operation creates a resource: it answers 201 with `Location`, this template under
   * /api/v1 with `{id}` filled from the output's `id` (e.g. "/contacts/{id}"). Every other success
   * answers 200, except DELETE, which answers 204 with no body.
   */
  created?: { location: `/${string}` };
};
export type Meta = OpenApiMeta<ProcedureMeta>;

export interface FieldIssue {
  path: string;
  message: string;
}

/** At most this many issues, each cut to a short excerpt: an error body never echoes much of a bad input. */
const MAX_ISSUES = 20;
const MAX_ISSUE_TEXT = 120;

function excerpt(text: string): string {
  return text.length > MAX_ISSUE_TEXT ? `${text.slice(0, MAX_ISSUE_TEXT)}…` : text;
}

export function fieldIssues(error: ZodError): FieldIssue[] {
  // Paths and messages can carry input (an unknown key's name is quoted in its message).
  const issues = error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    path: excerpt(issue.path.map(String).join(".") || "(body)"),
    message: excerpt(issue.message),
  }));
  const more = error.issues.length - issues.length;
  if (more > 0) issues.push({ path: "(body)", message: `and ${more} more problem${more === 1 ? "" : "s"}` });
  return issues;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Never send stacks, whatever NODE_ENV says.
    isDev: false,
    errorFormatter({ shape, error }) {
      const app = appErrorOf(error);
      const invalidInput = error.code === "BAD_REQUEST" && error.cause instanceof ZodError;
      // An internal error with a reason of ours (a stored value that failed authentication) says so; others stay generic.
      const internal = error.code === "INTERNAL_SERVER_ERROR" && !app?.reason;
      return {
        code: shape.code,
        // Internal messages can carry SQL or paths: the client gets a generic one.
        message: internal ? "Internal server error" : invalidInput ? "Invalid input" : excerpt(shape.message),
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          reason: app?.reason ?? null,
          scopes: app?.data?.scopes ?? null,
          retryAfterSeconds: app?.data?.retryAfterSeconds ?? null,
          issues: invalidInput ? fieldIssues(error.cause as ZodError) : null,
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Services throw AppError; map it once to its tRPC code, and log what is unexpected. The error of a
 * failed call, wherever in the chain it was thrown, comes here (see guarded).
 */
async function mapFailure(ctx: Context, path: string, error: TRPCError): Promise<never> {
  // A stored value that did not open: logged where it was opened; audited, counted and named here.
  const sealed = decryptionErrorOf(error);
  if (sealed) throw (await noteSealedValueFailure(ctx, path, sealed)).toTRPCError();
  // Also classifies storage failures (a full disk, a read-only database …): 503 with Retry-After, never a 500.
  const app = appErrorOf(error);
  if (app) {
    if (app.reason === "storage_unavailable") {
      getLogger().error(
        { requestId: ctx.client.requestId, path, err: { name: error.cause?.name, message: error.message } },
        "storage unavailable",
      );
    }
    // 401/403/404-for-others go to the audit log, aggregated per caller and window.
    await noteRefusal(ctx, path, app);
    throw app.toTRPCError();
  }
  if (error.code === "INTERNAL_SERVER_ERROR") {
    getLogger().error(
      { requestId: ctx.client.requestId, path, err: { name: error.cause?.name, message: error.message } },
      "procedure failed",
    );
  }
  throw error;
}

/**
 * The first step of every procedure: the rate limit, before authentication (so unauthenticated
 * floods are limited too) — per principal, or per client IP without a valid credential, with
 * per-procedure costs (server/ratelimit/policies.ts); every call of a tRPC batch passes here, so a
 * batch of N counts N — and the mapping of whatever fails, the limit's own refusal included.
 *
 * One middleware, not two: each level of tRPC's chain copies the call's options and context
 * several times over (callRecursive), a measurable share of a short call (docs/benchmarks.md).
 */
const guarded = t.middleware(async ({ ctx, next, path }) => {
  try {
    await enforceRateLimit(ctx, path);
  } catch (cause) {
    await mapFailure(ctx, path, getTRPCErrorFromUnknown(cause));
  }
  const result = await next();
  if (result.ok) return result;
  return await mapFailure(ctx, path, result.error);
});

/** The checks of a procedure that needs a principal, in order (see authorized). */
function authorize(ctx: Context, meta: Meta | undefined, adminRequired: boolean): Principal {
  const principal = ctx.principal;
  if (!principal) {
    throw new AppError(
      "UNAUTHORIZED",
      ctx.credentialError ? "The credential is invalid, expired or revoked" : "Authentication required",
      ctx.credentialError ?? "missing_credentials",
    ).toTRPCError();
  }
  if (principal.mustChangePassword && !meta?.allowDuringPasswordChange) {
    throw new AppError(
      "FORBIDDEN",
      "Change your one-time password before doing anything else",
      "password_change_required",
    ).toTRPCError();
  }
  // Session principals only: a bearer credential (API token, OAuth) is not held to ADMIN_2FA.
  if (principal.kind === "session" && principal.mustEnrolSecondFactor && !meta?.allowWithoutSecondFactor) {
    throw new AppError(
      "FORBIDDEN",
      "Set up a second factor (on your account page) before doing anything else",
      "second_factor_required",
    ).toTRPCError();
  }
  // The scopes the procedure declares in its meta against the credential's. A procedure that declares
  // no scope is for people at the dashboard (their own password, who-am-I); a bearer credential may only
  // do what a scope names.
  const required = meta?.scopes ?? [];
  if (required.length === 0 && principal.kind !== "session") {
    throw new AppError(
      "FORBIDDEN",
      "This needs a signed-in session, not an API credential",
      "session_required",
    ).toTRPCError();
  }
  const missing = required.filter((scope) => !principal.scopes.includes(scope));
  if (missing.length > 0) {
    throw new AppError("FORBIDDEN", `This requires the scope ${missing.join(" ")}`, "insufficient_scope", {
      scopes: required,
    }).toTRPCError();
  }
  if (adminRequired && principal.role !== "admin") {
    throw new AppError("FORBIDDEN", "Administrators only", "admin_required").toTRPCError();
  }
  return principal;
}

/**
 * Authentication, the password-change and second-factor gates, the scope check and (for admin
 * procedures) the role check, as one middleware for the same reason as guarded.
 */
const authorized = (adminRequired: boolean) =>
  t.middleware(({ ctx, next, meta }) =>
    // From here on the types say the principal is there. Only the change is passed: tRPC merges it into
    // the context itself (a spread of the whole context here would copy it twice per call).
    next({ ctx: { principal: authorize(ctx, meta, adminRequired) } }),
  );

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure.use(guarded);
/** A principal is required; `ctx.principal` is non-null inside. Declare `meta.scopes`. */
export const protectedProcedure = publicProcedure.use(authorized(false));
/** Role admin (and, for credentials that carry scopes, the `admin` scope). */
export const adminProcedure = publicProcedure.use(authorized(true)).meta({ scopes: ["admin"] });

export { TRPCError };
