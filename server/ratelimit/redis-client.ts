import { createHash } from "node:crypto";
import { Redis as UpstashRedis } from "@upstash/redis";
import { createClient } from "redis";
import { getLogger } from "../logger";

/**
 * The few Redis operations the rate limiter needs, with one shape for both
 * ways of reaching Redis: @upstash/ratelimit calls `evalsha` and, on an
 * error containing NOSCRIPT, `eval` (it calls get/set only for "dynamic
 * limits", which Gatehouse does not use); our own Lua scripts go the same way.
 */
export interface RedisScripting {
  evalsha(sha: string, keys: string[], args: unknown[]): Promise<unknown>;
  eval(script: string, keys: string[], args: unknown[]): Promise<unknown>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function sha1(text: string): string {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

/** Runs a script by hash, loading it with EVAL the first time (or after a SCRIPT FLUSH / restart). */
export async function runScript(client: RedisScripting, script: string, keys: string[], args: unknown[]) {
  try {
    return await client.evalsha(sha1(script), keys, args);
  } catch (error) {
    if (!String(error).includes("NOSCRIPT")) throw error;
    return client.eval(script, keys, args);
  }
}

/** Every @upstash/ratelimit script starts with this line, which Redis 7.0 refuses. */
const SHEBANG = /^#!lua[^\n]*\n/;

/**
 * A plain Redis server over TCP with the official `redis` client, adapted to
 * what @upstash/ratelimit expects from an Upstash client:
 *
 * - its scripts begin with `#!lua flags=allow-key-locking`, which Redis 7.0
 *   rejects ("Unexpected flag in script shebang"): eval strips that first
 *   line (the flag only matters to Redis 7.2+ cluster key locking; a script
 *   is atomic either way);
 * - it calls evalsha with the hash of the script *with* the shebang, which
 *   Redis never saw: the adapter remembers which stripped script each such
 *   hash stands for and runs that; a hash it does not know goes to Redis as
 *   is, and Redis answers NOSCRIPT, so the library falls back to eval;
 * - node-redis sends only strings: every argument is passed through String().
 *
 * Connection behaviour is chosen for a limiter: the first commands wait for
 * the first connection (the limiter's timeout bounds that wait); after that,
 * commands fail at once while disconnected (no offline queue, so nothing
 * piles up or waits), the client reconnects in the background, and
 * connection errors are logged (at most every 10 s), never thrown at the
 * process.
 */
export function redisTcpClient(url: string, opts: { connectTimeoutMs: number }): RedisScripting {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    // A stalled server must not accumulate an unbounded queue of waiting commands.
    commandsQueueMaxLength: 10_000,
    socket: {
      connectTimeout: Math.max(opts.connectTimeoutMs, 1_000),
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000),
    },
  });
  let lastWarning = 0;
  client.on("error", (error: Error) => {
    const now = Date.now();
    if (now - lastWarning < 10_000) return;
    lastWarning = now;
    // The message names the host and port at most, never the URL (it may hold a password).
    getLogger().warn({ err: { name: error.name, message: error.message } }, "rate-limit Redis connection problem");
  });
  let closed = false;
  let firstConnection: Promise<unknown> | null = client
    .connect()
    .then(() => {
      if (closed) client.destroy(); // closed while connecting: do not keep the process alive
    })
    .catch(() => {
      // Reported through the "error" event; commands fail (and the policies decide) until it is up.
    })
    .finally(() => {
      firstConnection = null;
    });
  const ready = async () => {
    if (firstConnection && !client.isReady) await firstConnection;
  };

  const stripped = new Map<string, string>(); // hash the library uses -> hash of what we loaded
  const strings = (args: unknown[]) => args.map((a) => String(a));
  return {
    async evalsha(sha, keys, args) {
      await ready();
      return client.evalSha(stripped.get(sha) ?? sha, { keys, arguments: strings(args) });
    },
    async eval(script, keys, args) {
      const body = script.replace(SHEBANG, "");
      if (body !== script) stripped.set(sha1(script), sha1(body));
      await ready();
      return client.eval(body, { keys, arguments: strings(args) });
    },
    async ping() {
      await ready();
      await client.ping();
    },
    async close() {
      closed = true;
      // Never wait for a server that is not there: only a ready connection is closed politely.
      try {
        if (client.isReady) await client.close();
        else client.destroy();
      } catch {
        // Already closed.
      }
    },
  };
}

/**
 * Upstash's REST API through @upstash/redis. Results are taken raw (no JSON
 * guessing on strings), requests are aborted after `timeoutMs`, retried once,
 * and no SDK telemetry is sent.
 */
export function upstashRestClient(
  url: string,
  token: string,
  opts: { timeoutMs: number },
): RedisScripting & { upstash: UpstashRedis } {
  const redis = new UpstashRedis({
    url,
    token,
    automaticDeserialization: false,
    enableTelemetry: false,
    enableAutoPipelining: false,
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(Math.max(opts.timeoutMs, 100)),
  });
  return {
    upstash: redis,
    evalsha: (sha, keys, args) => redis.evalsha(sha, keys, args),
    eval: (script, keys, args) => redis.eval(script, keys, args),
    async ping() {
      await redis.ping();
    },
    async close() {
      // HTTP: nothing stays open.
    },
  };
}
