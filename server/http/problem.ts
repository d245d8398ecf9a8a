import { titleForStatus } from "../errors";
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
