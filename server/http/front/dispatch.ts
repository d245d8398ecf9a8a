import { requestIdOf } from "../../context";
import { handleJwks, handleMetadata } from "../../oauth/endpoints/discovery";
import { handleIntrospection } from "../../oauth/endpoints/introspect";
import { handleRevocation } from "../../oauth/endpoints/revoke";
import { handleTokenRequest } from "../../oauth/endpoints/token";
import { newRateLimitRecord } from "../../ratelimit/record";
import type { Runtime } from "../../runtime";
import type { CorsDoor } from "../../security/cors";
import { chargeAnonymous } from "../anonymous-quota";
import { guardApi } from "../api-guard";
import { withApiHeaders } from "../api-headers";
import { handleHealth, handleReady } from "../health";
import { methodNotAllowed } from "../method-not-allowed";
import { handleMetrics } from "../metrics-handler";
import { type Door, observeRequest } from "../observe";
import { handleOpenApiDocument } from "../openapi";
import { problem, problemResponse } from "../problem";
import { withRateLimit } from "../rate-limit-headers";
import { handleRest } from "../rest-handler";
import { UNMATCHED } from "../route-label";
import { handleTrpc } from "../trpc-handler";
import type { MachineEndpoint } from "./endpoints";

type Handler = (req: Request, runtime: Runtime) => Promise<Response> | Response;

interface Simple {
  door: Door;
  cors: CorsDoor | null;
  path: string;
  /** Methods the endpoint answers; anything else is 405 with `Allow` before the handler runs. */
  methods: readonly string[];
  handle: Handler;
  /**
   * Charged against the caller's anonymous quota (per IP) before the handler:
   * the public documents. The probes are not (a load balancer probing every
   * second must never take an instance out of service), and the OAuth
   * endpoints that take credentials have their own fail-closed policy (throttle.ts).
   */
  anonymousQuota?: boolean;
}

const READ = ["GET", "HEAD"] as const;

/**
 * The endpoints that are one handler each. Every one runs the same pipeline
 * as the two API doors: observeRequest (one log line, metrics, Overview
 * counters) around guardApi (HTTPS rule, CORS, the API header set) around
 * the handler.
 */
const SIMPLE: Partial<Record<MachineEndpoint, Simple>> = {
  "oauth-token": { door: "oauth", cors: "oauth", path: "/oauth/token", methods: ["POST"], handle: handleTokenRequest },
  "oauth-introspect": {
    door: "oauth",
    cors: "oauth",
    path: "/oauth/introspect",
    methods: ["POST"],
    handle: handleIntrospection,
  },
  "oauth-revoke": { door: "oauth", cors: "oauth", path: "/oauth/revoke", methods: ["POST"], handle: handleRevocation },
  "oauth-jwks": {
    door: "oauth",
    cors: "oauth",
    path: "/oauth/jwks",
    methods: READ,
    handle: handleJwks,
    anonymousQuota: true,
  },
  "oauth-metadata": {
    door: "oauth",
    cors: "oauth",
    path: "/.well-known/oauth-authorization-server",
    methods: READ,
    handle: handleMetadata,
    anonymousQuota: true,
  },
  health: { door: "probe", cors: null, path: "/api/health", methods: READ, handle: () => handleHealth() },
  ready: {
    door: "probe",
    cors: null,
    path: "/api/ready",
    methods: READ,
    handle: (req, rt) => handleReady(req, () => rt),
  },
  openapi: {
    door: "openapi",
    cors: null,
    path: "/api/openapi.json",
    methods: READ,
    handle: handleOpenApiDocument,
    anonymousQuota: true,
  },
};

/** Answers one machine endpoint. The REST and tRPC doors and the metrics scrape wrap themselves the same way. */
export function serveMachineEndpoint(req: Request, runtime: Runtime, endpoint: MachineEndpoint): Promise<Response> {
  switch (endpoint) {
    case "rest":
      return handleRest(req, runtime);
    case "trpc":
      return handleTrpc(req, runtime);
    case "metrics":
      return handleMetrics(req, runtime);
    case "well-known":
      return observeRequest(req, runtime, "oauth", UNMATCHED, () =>
        guardApi(req, runtime, null, async (request) => {
          const record = newRateLimitRecord();
          const refused = await chargeAnonymous(request, runtime, record);
          return withRateLimit(refused ?? notFound(requestIdOf(request.headers)), record);
        }),
      );
    default: {
      const spec = SIMPLE[endpoint] as Simple;
      const route = `${spec.methods.includes(req.method) || req.method === "OPTIONS" ? req.method : "other"} ${spec.path}`;
      return observeRequest(req, runtime, spec.door, route, () =>
        guardApi(req, runtime, spec.cors, async (request) => {
          if (!spec.methods.includes(request.method))
            return methodNotAllowed(requestIdOf(request.headers), spec.methods);
          if (!spec.anonymousQuota) return spec.handle(request, runtime);
          const record = newRateLimitRecord();
          const refused = await chargeAnonymous(request, runtime, record);
          return withRateLimit(refused ?? (await spec.handle(request, runtime)), record);
        }),
      );
    }
  }
}

function notFound(requestId: string): Response {
  return withApiHeaders(
    problemResponse(problem(404, "No such endpoint", { reason: "no_such_endpoint", requestId })),
    requestId,
  );
}
