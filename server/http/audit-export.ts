import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError } from "zod";
import type { Db } from "@/db";
import { auditExportInput, CONTENT_TYPES, exportStream } from "../audit/export";
import { toAuditFilter } from "../audit/filter";
import { parseAuthorization } from "../auth/bearer";
import { createContext, requestIdOf } from "../context";
import { appErrorOf } from "../errors";
import { getLogger } from "../logger";
import { createCaller } from "../root";
import type { Runtime } from "../runtime";
import { fieldIssues } from "../trpc";
import { withApiHeaders } from "./api-headers";
import { observeRequest } from "./observe";
import { appErrorProblem, problem, problemResponse } from "./problem";
import { challengeFor, refuseMalformedCredentials } from "./www-authenticate";

export const AUDIT_EXPORT_PATH = "/api/admin/audit/export";

/**
 * GET /api/admin/audit/export?format=csv|ndjson&<the Audit page's filters>:
 * the download behind the Audit page's Export buttons (session cookie), also
 * usable with an admin's Bearer token.
 *
 * Authorization, input validation and the audit entry all come from the
 * `admin.audit.startExport` procedure, called first through the same
 * middleware chain as every procedure (admin role and scope, password-change
 * gate, refusals audited); only then do rows stream, batch by batch
 * (server/audit/export.ts), never built in memory.
 *
 * A cookie-authenticated export must come from our own pages: a GET with
 * `Sec-Fetch-Site` other than same-origin (or none: typed into the address
 * bar) is refused, so another site cannot make an admin's browser run
 * exports — it could not read them, but each one is an audit entry in the
 * admin's name. Browsers that send no Sec-Fetch-Site are let through (the
 * export still needs the admin's session; fail open on a header only old
 * browsers omit).
 */
export async function handleAuditExport(req: Request, runtime: Runtime): Promise<Response> {
  return observeRequest(req, runtime, "audit-export", `GET ${AUDIT_EXPORT_PATH}`, async (seen) => {
    const requestId = requestIdOf(req.headers);
    const fail = (status: number, detail: string, reason: string | null, extra?: Record<string, unknown>) =>
      withApiHeaders(problemResponse(problem(status, detail, { reason, requestId, extra })), requestId);

    if (req.method !== "GET") return fail(405, "Use GET", "method_not_allowed");
    const refused = refuseMalformedCredentials(req, requestId);
    if (refused) return refused;

    const input: Record<string, string> = {};
    for (const [key, value] of new URL(req.url).searchParams) {
      if (Object.hasOwn(input, key)) return fail(400, `${key.slice(0, 40)}: given more than once`, "invalid_input");
      // An empty form field means "no filter".
      if (value !== "") input[key] = value;
    }

    const bearer = parseAuthorization(req.headers.get("authorization")).kind === "bearer";
    const site = req.headers.get("sec-fetch-site");
    if (!bearer && site !== null && site !== "same-origin" && site !== "none") {
      return fail(403, "Cross-site request refused: start exports from the Audit page", "csrf");
    }

    const ctx = await createContext(req, "trpc", runtime);
    seen.principal = ctx.principal;
    let started: { throughSeq: number; filename: string };
    try {
      started = await createCaller(ctx).admin.audit.startExport(input as never);
    } catch (error) {
      return problemFor(error, requestId);
    }
    return withApiHeaders(await streamAuditExport(ctx.db, new URL(req.url).searchParams, started), requestId);
  });
}

/**
 * The export's rows as a streamed answer, once `admin.audit.startExport` has
 * run (and audited) on the same query: for this route and for the REST door's
 * GET /api/v1/admin/audit/export (server/http/rest-handler.ts), one code path.
 */
export async function streamAuditExport(
  db: Db,
  query: URLSearchParams,
  started: { throughSeq: number; filename: string },
): Promise<Response> {
  const input: Record<string, string> = {};
  for (const [key, value] of query) if (value !== "") input[key] = value;
  // Valid: startExport parsed the same input with the same schema.
  const { format, ...filter } = auditExportInput.parse(input);
  const body = await exportStream(db, toAuditFilter(filter), format, started.throughSeq);
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": CONTENT_TYPES[format],
      "content-disposition": `attachment; filename="${started.filename}"`,
    },
  });
}

function problemFor(error: unknown, requestId: string): Response {
  if (!(error instanceof TRPCError)) throw error;
  const status = getHTTPStatusCodeFromError(error);
  const headers = new Headers();
  if (error.cause instanceof ZodError) {
    const errors = fieldIssues(error.cause);
    const body = problem(400, errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
      reason: "invalid_input",
      errors,
      requestId,
    });
    return withApiHeaders(problemResponse(body), requestId);
  }
  const unavailable = appErrorOf(error);
  if (unavailable?.code === "SERVICE_UNAVAILABLE") {
    // The database cannot write the export's audit entry (a full disk …): 503 with Retry-After, as on every door.
    const answer = appErrorProblem(unavailable, requestId);
    return withApiHeaders(problemResponse(answer.body, answer.headers), requestId);
  }
  if (status >= 500) {
    getLogger().error({ requestId, err: error.cause ?? error }, "audit export failed");
    return withApiHeaders(problemResponse(problem(500, "Internal server error", { requestId })), requestId);
  }
  const app = appErrorOf(error);
  const challenge = challengeFor(status, app);
  if (challenge) headers.set("www-authenticate", challenge);
  const body = problem(status, app?.message ?? error.message, { reason: app?.reason ?? null, requestId });
  return withApiHeaders(problemResponse(body, headers), requestId);
}
