import type { Db } from "@/db";
import type { Config } from "../config";
import { DEFAULT_RATE_LIMIT_CONFIG, type RateLimitConfig } from "./config";
import { RateLimiter } from "./limiter";
import { redisTcpClient, upstashRestClient } from "./redis-client";
import type { LimitStore } from "./store";
import { EmbeddedStore } from "./store-embedded";
import { PostgresStore } from "./store-postgres";
import { RedisStore } from "./store-redis";

/** The store the configuration asks for. Nothing connects until first use of the runtime's limiter. */
export function createStore(config: RateLimitConfig, db: Db): LimitStore {
  switch (config.store.kind) {
    case "redis":
      return new RedisStore(
        "redis",
        redisTcpClient(config.store.url, { connectTimeoutMs: config.timeoutMs }),
        config.prefix,
      );
    case "upstash":
      return new RedisStore(
        "upstash",
        upstashRestClient(config.store.url, config.store.token, { timeoutMs: config.timeoutMs }),
        config.prefix,
      );
    case "embedded":
      // On PostgreSQL, the database itself: never a memory store per instance, limits must hold over every
      // instance on the database.
      if (!db.$client) return new PostgresStore(db);
      return new EmbeddedStore(db.$client);
  }
}

const limiters = new WeakMap<object, RateLimiter>();

/**
 * The limiter of a runtime, made on first use (never at import, so
 * `next build` opens nothing). One per runtime: the server has one; each
 * test runtime gets its own over its own in-memory database.
 */
export function limiterFor(runtime: { config: Config; db: Db }): RateLimiter {
  let limiter = limiters.get(runtime);
  if (!limiter) {
    const config = runtime.config.rateLimit ?? DEFAULT_RATE_LIMIT_CONFIG;
    limiter = new RateLimiter(createStore(config, runtime.db), config);
    limiters.set(runtime, limiter);
  }
  return limiter;
}

/** Tests: make a runtime use this limiter (a failing store, a throwaway Redis, small limits). */
export function setLimiterFor(runtime: object, limiter: RateLimiter): void {
  limiters.set(runtime, limiter);
}

/** Closes a runtime's limiter (its Redis connection), e.g. before a CLI command exits. */
export async function closeLimiterFor(runtime: object): Promise<void> {
  const limiter = limiters.get(runtime);
  limiters.delete(runtime);
  await limiter?.close();
}
