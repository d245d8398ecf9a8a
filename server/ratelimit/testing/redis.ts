import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { createClient } from "redis";
import { freePort } from "../../testing/free-port";

/**
 * Test support for the Redis-backed store: is the shared Redis there, a
 * unique key prefix per run, a throwaway redis-server to stop mid-test, and
 * a stand-in for Upstash's REST API in front of a real Redis.
 *
 * Tests that need Redis skip — loudly — when none answers, and fail instead
 * when REQUIRE_SERVICES=1 (CI), so a missing Redis can never pass silently.
 */

export const REDIS_URL = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";
export const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === "1";

/** Resolves true when a Redis server answers PING at `url` within a second. */
export async function redisAnswers(url = REDIS_URL, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/**
 * Whether the Redis tests run. When they cannot, says why at the top of the
 * output (a skipped security test must be noticed), or throws under
 * REQUIRE_SERVICES=1.
 */
export async function redisForTests(suite: string): Promise<{ available: boolean }> {
  if (await redisAnswers()) return { available: true };
  const reason = `no Redis answers at ${REDIS_URL}`;
  if (REQUIRE_SERVICES) throw new Error(`${suite}: ${reason}, and REQUIRE_SERVICES=1 makes that a failure`);
  const bar = "!".repeat(78);
  console.warn(
    `\n${bar}\n!! SKIPPED: ${suite}\n!! ${reason}. Start one (redis-server) or set REDIS_TEST_URL.\n${bar}\n`,
  );
  return { available: false };
}

/** A key prefix no other test run (or parallel file) shares. */
export function uniquePrefix(label: string): string {
  return `gatehouse-test:${label}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/** Deletes every key under a test prefix (the shared Redis is left as it was found). */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const client = createClient({ url });
  client.on("error", () => {});
  try {
    await client.connect();
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    for (let i = 0; i < keys.length; i += 500) await client.del(keys.slice(i, i + 500));
  } finally {
    if (client.isOpen) client.destroy();
  }
}

export interface ThrowawayRedis {
  url: string;
  /** SIGSTOP: the server keeps its connections but answers nothing (a "slow" Redis). */
  pause(): void;
  resume(): void;
  /** SIGKILL and wait for the exit. */
  stop(): Promise<void>;
}

/** A private redis-server on a free port, with no persistence, for tests that stop it. */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 200))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("the throwaway redis-server did not start");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped = false;
  return {
    url,
    pause: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * A minimal stand-in for Upstash's REST API (POST a command as a JSON array,
 * Bearer token, `{result}` or `{error}`, base64-encoded strings when asked
 * with Upstash-Encoding), forwarding to a real Redis. Like Upstash's servers,
 * it accepts the `#!lua flags=…` first line of @upstash/ratelimit's scripts
 * (stripping it for Redis 7.0). It exists so the contract suite exercises the
 * real @upstash/redis client and its evalsha -> NOSCRIPT -> eval path.
 */
export async function startUpstashShim(
  redisUrl: string,
  token: string,
): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  const redis = createClient({ url: redisUrl });
  redis.on("error", () => {});
  await redis.connect();
  const { createHash } = await import("node:crypto");
  const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");
  const aliases = new Map<string, string>();
  let count = 0;

  const encode = (value: unknown, base64: boolean): unknown => {
    if (Array.isArray(value)) return value.map((v) => encode(v, base64));
    if (typeof value === "string" && base64) return value === "OK" ? "OK" : Buffer.from(value).toString("base64");
    return value ?? null;
  };

  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", async () => {
      count++;
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return reply(401, { error: "Unauthorized" });
      try {
        const command = (JSON.parse(body) as unknown[]).map((part) => String(part));
        const name = (command[0] ?? "").toLowerCase();
        if (name === "eval" && /^#!lua/.test(command[1] ?? "")) {
          const stripped = (command[1] as string).replace(/^#!lua[^\n]*\n/, "");
          aliases.set(sha1(command[1] as string), sha1(stripped));
          command[1] = stripped;
        } else if (name === "evalsha" && aliases.has(command[1] ?? "")) {
          command[1] = aliases.get(command[1] as string) as string;
        }
        const result = await redis.sendCommand(command);
        reply(200, { result: encode(result, req.headers["upstash-encoding"] === "base64") });
      } catch (error) {
        reply(400, { error: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      redis.destroy();
    },
  };
}
