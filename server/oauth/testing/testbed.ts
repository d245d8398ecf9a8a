import { encode } from "next-auth/jwt";
import type { Role } from "@/db/schema";
import { sessionCookieName } from "../../auth/session-cookie";
import { guardApi } from "../../http/api-guard";
import { handleRest } from "../../http/rest-handler";
import { handleTrpc } from "../../http/trpc-handler";
import { CLI_ACTOR } from "../../services/audit";
import { type CreateClientInput, createClient } from "../../services/oauth-clients";
import { createTestRuntime, seedUser, type TestRuntime } from "../../testing/harness";
import { handleAuthorize } from "../endpoints/authorize";
import { handleJwks, handleMetadata } from "../endpoints/discovery";
import { handleIntrospection } from "../endpoints/introspect";
import { handleRevocation } from "../endpoints/revoke";
import { handleTokenRequest } from "../endpoints/token";
import { OAUTH_PATHS } from "../metadata";

/**
 * Gatehouse's OAuth endpoints and API doors on an in-memory database, routed
 * exactly as app/ routes them (the same handlers, the same guardApi), with a
 * `fetch` that a client library can be given (oauth4webapi's customFetch):
 * real Request and Response objects end to end, without a listening socket.
 */
export const APP = "http://127.0.0.1:3000";

export interface Testbed {
  rt: TestRuntime;
  dispatch(req: Request): Promise<Response>;
  fetch: typeof fetch;
  sessionCookie(user: { id: string }, sessionId: string): Promise<string>;
  registerClient(input: Partial<CreateClientInput>): { clientId: string; clientSecret: string | null };
  user(email: string, role?: Role): ReturnType<typeof seedUser>;
}

export function createTestbed(): Testbed {
  const rt = createTestRuntime({ appUrl: new URL(APP) });
  const api = (handle: (req: Request, r: TestRuntime) => Promise<Response>) => (req: Request) =>
    guardApi(req, rt, "oauth", (request) => handle(request, rt));
  const routes: Record<string, (req: Request) => Promise<Response>> = {
    [OAUTH_PATHS.metadata]: api(handleMetadata),
    [OAUTH_PATHS.jwks]: api(handleJwks),
    [OAUTH_PATHS.token]: api(handleTokenRequest),
    [OAUTH_PATHS.introspect]: api(handleIntrospection),
    [OAUTH_PATHS.revoke]: api(handleRevocation),
    [OAUTH_PATHS.authorize]: (req) => handleAuthorize(req, rt),
  };
  const dispatch = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    const route = routes[path];
    if (route) return route(req);
    if (path.startsWith("/api/v1/")) return handleRest(req, rt);
    if (path.startsWith("/api/trpc/")) return handleTrpc(req, rt);
    return new Response("not found", { status: 404 });
  };
  return {
    rt,
    dispatch,
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => dispatch(new Request(input, init))) as typeof fetch,
    async sessionCookie(user, sessionId) {
      const name = sessionCookieName(rt.config.secure);
      const value = await encode({ token: { sub: user.id, sid: sessionId }, secret: rt.config.authSecret, salt: name });
      return `${name}=${value}`;
    },
    registerClient(input) {
      const created = createClient(
        { db: rt.db, clock: rt.clock, actor: CLI_ACTOR, client: { ip: null, userAgent: null, requestId: "test" } },
        {
          name: "Test app",
          type: "confidential",
          redirectUris: ["https://app.example.com/callback"],
          grantTypes: ["authorization_code", "refresh_token", "client_credentials"],
          scopes: ["contacts:read", "contacts:write"],
          ...input,
        },
      );
      return { clientId: created.client.id, clientSecret: created.clientSecret };
    },
    user: (email, role = "member") => seedUser(rt, email, role),
  };
}
