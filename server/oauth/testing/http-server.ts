import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { encode } from "next-auth/jwt";
import type { Role } from "@/db/schema";
import { sessionCookieName } from "../../auth/session-cookie";
import { createFrontServer, type FrontServer } from "../../http/front/server";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../../ratelimit/config";
import { parseRule, type Rule } from "../../ratelimit/rule";
import { PEER_STAMP_ENV } from "../../security/client-ip";
import { CLI_ACTOR } from "../../services/audit";
import { type CreateClientInput, createClient } from "../../services/oauth-clients";
import { openConsent } from "../../services/oauth-consent";
import { createTestRuntime, seedUser, type TestRuntime } from "../../testing/harness";
import { handleAuthorize } from "../endpoints/authorize";
import { withUnavailablePage } from "../error-page";
import { OAUTH_PATHS } from "../metadata";

/**
 * Gatehouse's real HTTP front on 127.0.0.1 (a free port), in process, over a
 * fresh in-memory database, with APP_URL set to that very origin, so that a
 * client library can discover and use it like any deployment: the machine
 * endpoints (token, introspection, revocation, JWKS, metadata, REST, tRPC)
 * through the front exactly as in production, and the authorization
 * endpoint — a Next.js route in production (app/oauth/authorize/route.ts) —
 * served by the same handler. Other pages are a 404 stub.
 */
export interface OAuthHttpServer {
  rt: TestRuntime;
  /** e.g. http://127.0.0.1:43123, also the issuer. */
  origin: string;
  registerClient(input?: Partial<CreateClientInput>): Promise<{ clientId: string; clientSecret: string | null }>;
  signedIn(email: string, role?: Role): Promise<{ userId: string; cookie: string }>;
  /**
   * A browser at the authorization URL, signed in with `cookie`: follows our
   * 303s, consenting (or denying) on the consent page when shown, and returns
   * where it was finally sent (the client's callback with its parameters, or
   * any address outside this server).
   */
  browse(url: URL | string, user: { userId: string; cookie: string }, decision?: "allow" | "deny"): Promise<URL>;
  close(): Promise<void>;
}

const STAMP = "oauth-http-test-stamp";
export const CALLBACK = "https://app.example.com/callback";

export async function startOAuthServer(): Promise<OAuthHttpServer> {
  process.env[PEER_STAMP_ENV] = STAMP;
  let rt: TestRuntime | null = null;
  const runtime = () => rt as TestRuntime;
  const authorizePage = getRequestListener(
    (request) => {
      if (new URL(request.url).pathname === OAUTH_PATHS.authorize) {
        return withUnavailablePage((req: Request) => handleAuthorize(req, runtime()))(request);
      }
      return new Response("no such page here", { status: 404 });
    },
    { overrideGlobalObjects: true },
  );
  const front: FrontServer = createFrontServer({ runtime, next: authorizePage, stamp: STAMP });
  await new Promise<void>((resolve) => front.server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(front.server.address() as AddressInfo).port}`;
  // The per-IP quota of the OAuth endpoints is what it is in production, but large: every request here comes from 127.0.0.1.
  const roomy = parseRule("100000/1m") as Rule;
  rt = createTestRuntime({
    appUrl: new URL(origin),
    rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, anon: roomy, api: roomy },
  });
  const live = rt;

  const svc = {
    db: live.db,
    clock: live.clock,
    actor: CLI_ACTOR,
    client: { ip: null, userAgent: null, requestId: "t" },
  };
  return {
    rt: live,
    origin,
    async registerClient(input = {}) {
      const created = await createClient(svc, {
        name: "Standard client",
        type: "confidential",
        redirectUris: [CALLBACK],
        grantTypes: ["authorization_code", "refresh_token", "client_credentials"],
        scopes: ["contacts:read", "contacts:write"],
        ...input,
      });
      return { clientId: created.client.id, clientSecret: created.clientSecret };
    },
    async signedIn(email, role = "member") {
      const { user, session } = await seedUser(live, email, role);
      const name = sessionCookieName(live.config.secure);
      const value = await encode({
        token: { sub: user.id, sid: session.id },
        secret: live.config.authSecret,
        salt: name,
      });
      return { userId: user.id, cookie: `${name}=${value}` };
    },
    async browse(url, user, decision = "allow") {
      let next = new URL(url);
      for (let hop = 0; hop < 5; hop++) {
        if (next.origin !== origin) return next;
        if (next.pathname === OAUTH_PATHS.consent) {
          const requestId = next.searchParams.get("request") as string;
          const view = await openConsent({ ...svc, actor: { kind: "user", id: user.userId } }, requestId, user.userId);
          if (!view) throw new Error(`the consent page has no request ${requestId}`);
          const res = await fetch(`${origin}${OAUTH_PATHS.authorize}`, {
            method: "POST",
            redirect: "manual",
            headers: { cookie: user.cookie, origin, "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ request_id: requestId, csrf_token: view.csrfToken, decision }),
          });
          if (res.status !== 303) throw new Error(`consent answered ${res.status}: ${await res.text()}`);
          next = new URL(res.headers.get("location") as string, origin);
          continue;
        }
        const res = await fetch(next, { redirect: "manual", headers: { cookie: user.cookie } });
        if (res.status !== 303) throw new Error(`${next.pathname} answered ${res.status}: ${await res.text()}`);
        next = new URL(res.headers.get("location") as string, origin);
      }
      throw new Error("too many redirects");
    },
    close: async () => {
      front.server.closeAllConnections();
      await new Promise<void>((resolve) => front.server.close(() => resolve()));
    },
  };
}
