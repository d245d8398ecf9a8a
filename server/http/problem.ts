import { APP_ERROR_CODES, type AppError, retryAfterOf, titleForStatus } from "../errors";
import type { FieldIssue } from "../trpc";

/**
 * RFC 9457 problem details. `type` is `about:blank` for plain HTTP errors and
 * `urn:gatehouse:problem:<reason>` for Gatehouse's own reasons (documented in
 * the README), so clients can branch on it.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** The request id, to quote when reporting a problem. */
  instance?: string;
  errors?: FieldIssue[];
  [extension: string]: unknown;
}

export function problemType(reason: string | null | undefined): string {
  return reason ? `urn:gatehouse:problem:${reason}` : "about:blank";
}

export function problem(
  status: number,
  detail: string,
  opts: { reason?: string | null; errors?: FieldIssue[]; requestId?: string; extra?: Record<string, unknown> } = {},
): Problem {
  return {
    type: problemType(opts.reason),
    title: titleForStatus(status),
    status,
    detail,
    ...(opts.requestId ? { instance: `urn:gatehouse:request:${opts.requestId}` } : {}),
    ...(opts.errors ? { errors: opts.errors } : {}),
    ...opts.extra,
  };
}

export function problemResponse(body: Problem, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/problem+json");
  return new Response(JSON.stringify(body), { status: body.status, headers: h });
}

/**
 * The problem+json answer of an application error, with `Retry-After` when
 * it says when to retry (429, 503): the body names the reason
 * (`urn:gatehouse:problem:<reason>`) and carries `retryAfterSeconds`.
 */
export function appErrorProblem(app: AppError, requestId: string): { body: Problem; headers: Headers } {
  const headers = new Headers();
  const retryAfterSeconds = retryAfterOf(app);
  if (retryAfterSeconds !== null) headers.set("retry-after", String(retryAfterSeconds));
  const body = problem(APP_ERROR_CODES[app.code].status, app.message, {
    reason: app.reason,
    requestId,
    extra: {
      ...(app.data?.scopes ? { scopes: app.data.scopes } : {}),
      ...(retryAfterSeconds !== null ? { retryAfterSeconds } : {}),
    },
  });
  return { body, headers };
}
