import { noteRefusal } from "../audit/refusals";
import { DEFAULT_OBSERVABILITY } from "../config";
import { createContext, requestIdOf } from "../context";
import { AppError } from "../errors";
import { askAllWorkers } from "../observability/cluster-channel";
import { gatehouseVersion, storeOf } from "../observability/instances";
import { activeSessionCount, activeTokenCount } from "../observability/live-counts";
import { type MetricsSnapshot, renderMetrics, snapshotMetrics } from "../observability/metrics";
import type { Runtime } from "../runtime";
import { guardApi } from "./api-guard";
import { withApiHeaders } from "./api-headers";
import { observeRequest, type Seen } from "./observe";
import { problem, problemResponse } from "./problem";
import { challengeFor, refuseMalformedCredentials } from "./www-authenticate";

export const METRICS_PATH = "/api/metrics";
export const METRICS_SCOPE = "metrics:read";

/**
 * GET /api/metrics: Prometheus text format. Off entirely (404) with
 * METRICS_ENABLED=false. Otherwise it needs a Bearer token (never a cookie:
 * a scraper is not a browser) whose effective scopes include `metrics:read`,
 * which only an admin can hold, so a token minted just for the scraper can
 * read metrics and nothing else. Refusals are audited like any other
 * authorization failure (aggregated).
 */
export async function handleMetrics(req: Request, runtime: Runtime): Promise<Response> {
  return observeRequest(req, runtime, "metrics", `GET ${METRICS_PATH}`, (seen) =>
    guardApi(req, runtime, null, () => scrape(req, runtime, seen)),
  );
}

async function scrape(req: Request, runtime: Runtime, seen: Seen): Promise<Response> {
  {
    const requestId = requestIdOf(req.headers);
    const fail = (status: number, detail: string, reason: string, headers?: HeadersInit) =>
      withApiHeaders(problemResponse(problem(status, detail, { reason, requestId }), headers), requestId);

    if (!(runtime.config.observability ?? DEFAULT_OBSERVABILITY).metricsEnabled) {
      return fail(404, "No such endpoint", "no_such_endpoint");
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return fail(405, "Use GET", "method_not_allowed", { allow: "GET, HEAD" });
    }
    const refused = refuseMalformedCredentials(req, requestId);
    if (refused) return refused;

    const ctx = await createContext(req, "rest", runtime);
    seen.principal = ctx.principal;
    const refusal = !ctx.principal
      ? new AppError(
          "UNAUTHORIZED",
          ctx.credentialError ? "The credential is invalid, expired or revoked" : "Authentication required",
          ctx.credentialError ?? "missing_credentials",
        )
      : ctx.principal.mustChangePassword
        ? new AppError("FORBIDDEN", "Change your one-time password first", "password_change_required")
        : !ctx.principal.scopes.includes(METRICS_SCOPE)
          ? new AppError("FORBIDDEN", `This requires the scope ${METRICS_SCOPE}`, "insufficient_scope", {
              scopes: [METRICS_SCOPE],
            })
          : null;
    if (refusal) {
      await noteRefusal(ctx, `GET ${METRICS_PATH}`, refusal);
      const status = refusal.code === "UNAUTHORIZED" ? 401 : 403;
      const challenge = challengeFor(status, refusal);
      return fail(
        status,
        refusal.message,
        refusal.reason ?? "forbidden",
        challenge ? { "www-authenticate": challenge } : undefined,
      );
    }

    const now = runtime.clock.now();
    // Every worker's counters, added up: a scrape of one port sees the whole server (observability/cluster-channel.ts).
    const body = renderMetrics(await askAllWorkers<MetricsSnapshot>("metrics", snapshotMetrics), [
      {
        name: "gatehouse_active_sessions",
        help: "Browser sessions not yet expired.",
        value: await activeSessionCount(runtime.db, now),
      },
      {
        name: "gatehouse_active_tokens",
        help: "API tokens that work right now.",
        value: await activeTokenCount(runtime.db, now),
      },
      {
        // Which instance of a fleet these figures are (the counters are this instance's workers' only).
        name: "gatehouse_instance_info",
        help: "The instance that answered: INSTANCE_ID, its store and its version.",
        value: 1,
        labels: {
          instance: runtime.config.instanceId ?? "gatehouse",
          store: storeOf(runtime.db),
          version: gatehouseVersion(),
        },
      },
    ]);
    return withApiHeaders(
      new Response(req.method === "HEAD" ? null : body, {
        status: 200,
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      }),
      requestId,
    );
  }
}
