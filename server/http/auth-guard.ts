import { requestIdOf } from "../context";
import type { Runtime } from "../runtime";
import { isCredentialedOrigin } from "../security/cors";
import { isSameOriginRequest } from "../security/csrf";
import { withApiHeaders } from "./api-headers";
import { problem, problemResponse } from "./problem";

/**
 * CSRF for NextAuth's POST endpoints (/api/auth/signout, the sign-in
 * callback): they act on the session cookie, so — like tRPC mutations —
 * they are accepted only from our own origin or an allow-listed origin
 * flagged for credentials, judged from Origin (or Referer). NextAuth's own
 * double-submit token stays in force behind this; this check does not rely
 * on it. Refused: 403 problem+json, and NextAuth never sees the request.
 */
export async function refuseCrossSiteAuthPost(req: Request, runtime: Runtime): Promise<Response | null> {
  const trusted = (origin: string) => isCredentialedOrigin(runtime.db, origin);
  if (await isSameOriginRequest(req.headers, runtime.config.appUrl.origin, trusted)) return null;
  const requestId = requestIdOf(req.headers);
  return withApiHeaders(
    problemResponse(
      problem(403, "Cross-site request refused: Origin is not this application", { reason: "csrf", requestId }),
    ),
    requestId,
  );
}
