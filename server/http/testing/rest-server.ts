import type { AddressInfo } from "node:net";
import type { Scope } from "../../auth/scopes";
import { DEFAULT_RATE_LIMIT_CONFIG, type RateLimitConfig } from "../../ratelimit/config";
import { PEER_STAMP_ENV } from "../../security/client-ip";
import { SYSTEM_ACTOR } from "../../services/audit";
import { setOverride } from "../../services/rate-limit-overrides";
import { createToken } from "../../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../../testing/harness";
import { createFrontServer, type FrontServer } from "../front/server";

/**
 * A real Gatehouse HTTP front on 127.0.0.1 (a free port), in process, over a
 * fresh in-memory database: the REST door exactly as clients reach it
 * (request listener, pipeline, procedure chain), for contract tests that
 * must see real status lines and headers. Pages are a stub: only the machine
 * endpoints matter here.
 */
export interface RestServer {
  rt: TestRuntime;
  /** e.g. http://127.0.0.1:43123 */
  origin: string;
  /** `${origin}/api/v1` */
  api: string;
  close(): Promise<void>;
}

const STAMP = "rest-server-test-stamp";

export async function startRestServer(
  options: { rateLimit?: Partial<RateLimitConfig>; maxBodyBytes?: number; prepare?: (rt: TestRuntime) => void } = {},
): Promise<RestServer> {
  // server/security/client-ip.ts checks the front's peer stamp against this variable.
  process.env[PEER_STAMP_ENV] = STAMP;
  const rt = createTestRuntime({
    rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, ...options.rateLimit },
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  options.prepare?.(rt);
  // Rate-limit windows and Retry-After are computed against the real time.
  rt.clock.set(Date.now());
  const front: FrontServer = createFrontServer({
    runtime: () => rt,
    next: (_req, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no pages here");
    },
    stamp: STAMP,
  });
  await new Promise<void>((resolve) => front.server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(front.server.address() as AddressInfo).port}`;
  return {
    rt,
    origin,
    api: `${origin}/api/v1`,
    close: async () => {
      front.server.closeAllConnections();
      await new Promise<void>((resolve) => front.server.close(() => resolve()));
    },
  };
}

/** A user (admin or member) and an API token of theirs with the given scopes. */
export async function userWithToken(
  rt: TestRuntime,
  email: string,
  scopes: Scope[],
  role: "admin" | "member" = "member",
) {
  const { user } = await seedUser(rt, email, role);
  const created = await createToken(serviceContextOf(rt), user.id, { name: `test ${email}`, scopes });
  return { user, token: created.token, tokenId: created.id };
}

/** Gives one token its own tiny api limit (an administrator's override), to provoke a 429 cheaply. */
export async function limitToken(rt: TestRuntime, tokenId: string, limit: number): Promise<void> {
  await setOverride(serviceContextOf(rt), { type: "token", id: tokenId }, { limit, windowMs: 3_600_000 });
}

export function serviceContextOf(rt: TestRuntime) {
  return { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "test" } };
}
