import { sql } from "drizzle-orm";
import { requestIdOf } from "../context";
import type { Runtime } from "../runtime";
import { withApiHeaders } from "./api-headers";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Liveness: the process answers. Touches nothing else, so it stays cheap under load. */
export function handleHealth(req: Request): Response {
  return withApiHeaders(json({ status: "ok" }), requestIdOf(req.headers));
}

/** Readiness: the database answers a query. Says nothing about why not: that goes to the log. */
export function handleReady(req: Request, runtime: () => Runtime): Response {
  const requestId = requestIdOf(req.headers);
  try {
    runtime().db.get(sql`select 1`);
    return withApiHeaders(json({ status: "ready" }), requestId);
  } catch {
    return withApiHeaders(json({ status: "unavailable" }, 503), requestId);
  }
}
