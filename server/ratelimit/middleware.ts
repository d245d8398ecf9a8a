import type { Db } from "@/db";
import type { ClientInfo, Principal } from "../auth/principal";
import type { Clock } from "../clock";
import type { RateLimiter } from "./limiter";
import type { RateLimitRecord } from "./record";

/** The part of the procedure context the rate-limit step reads. */
export interface RateLimitContext {
  db: Db;
  clock: Clock;
  principal: Principal | null;
  client: ClientInfo;
  /** Which door: "internal" calls are not limited (see below). */
  transport: "trpc" | "rest" | "internal";
  /** The runtime's limiter; both HTTP doors always set it, a context built by hand may not. */
  limiter: RateLimiter | null;
  rateLimit: RateLimitRecord;
}

/**
 * The rate-limit step of the procedure chain (server/trpc.ts), the same for
 * tRPC and REST. Internal callers — server-rendered pages calling procedures
 * directly for the signed-in user, tests — are not API requests: they come
 * from no client and are not limited.
 */
export async function enforceRateLimit(ctx: RateLimitContext, path: string): Promise<void> {
  if (!ctx.limiter || ctx.transport === "internal") return;
  await ctx.limiter.checkCall({
    principal: ctx.principal,
    ip: ctx.client.ip,
    path,
    db: ctx.db,
    clock: ctx.clock,
    client: ctx.client,
    record: ctx.rateLimit,
  });
}
