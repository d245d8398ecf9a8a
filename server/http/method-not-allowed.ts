import { withApiHeaders } from "./api-headers";
import { problem, problemResponse } from "./problem";

/** 405 problem+json with the `Allow` header (RFC 9110 §15.5.6); OPTIONS is always allowed (CORS preflight). */
export function methodNotAllowed(requestId: string, allowed: readonly string[]): Response {
  const allow = [...new Set([...allowed, "OPTIONS"])].join(", ");
  return withApiHeaders(
    problemResponse(problem(405, `This endpoint answers ${allow}`, { reason: "method_not_allowed", requestId }), {
      allow,
    }),
    requestId,
  );
}
