import { randomBytes } from "node:crypto";
import net from "node:net";
import pg from "pg";
import { freePort } from "../../server/testing/free-port";
import type { Db } from "../index";
import { openPostgres, type PostgresOptions, postgresStoreOf } from "./index";

/**
 * Test support for the PostgreSQL store. The database is TEST_DATABASE_URL
 * (.ci/run makes a fresh one per run and drops it after) or
 * POSTGRES_TEST_URL, else the machine's `test` database; every handle a test
 * opens lives in a schema of its own, dropped by `dropSchema`.
 *
 * Tests that need PostgreSQL skip — loudly — when none answers, and fail
 * instead when REQUIRE_SERVICES=1 (CI).
 */
export const POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? process.env.POSTGRES_TEST_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export async function postgresForTests(suite: string): Promise<{ available: boolean }> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return { available: true };
  } catch (error) {
    const reason = `no PostgreSQL answers at ${redacted(POSTGRES_URL)} (${(error as Error).message})`;
    if (process.env.REQUIRE_SERVICES === "1") {
      throw new Error(`${suite}: ${reason}, and REQUIRE_SERVICES=1 makes that a failure`);
    }
    const bar = "!".repeat(78);
    console.warn(`\n${bar}\n!! SKIPPED: ${suite}\n!! ${reason}. Start one or set POSTGRES_TEST_URL.\n${bar}\n`);
    return { available: false };
  } finally {
    await client.end().catch(() => {});
  }
}

/** A schema name no other test (or parallel file) shares. */
export function uniqueSchema(label: string): string {
  return `t_${label}_${randomBytes(5).toString("hex")}`;
}

/** A migrated database handle in `schema` (created if missing), as an instance of Gatehouse would open it. */
export function openTestPostgres(schema: string, options: Omit<PostgresOptions, "schema"> = {}): Db {
  return openPostgres<Db>(POSTGRES_URL, { max: 4, idleMs: 1_000, ...options, schema });
}

/** Closes the handles and drops their schema, with everything in it. */
export async function dropSchema(schema: string, ...handles: Db[]): Promise<void> {
  for (const handle of handles) await postgresStoreOf(handle)?.pool.end();
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/**
 * A TCP relay to PostgreSQL that can be cut (every connection closed, new ones refused) and put back:
 * "PostgreSQL stopped" for the handles behind it only, not for the machine's server other tests use.
 */
export async function relayTo(port: number): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void> }> {
  const listenPort = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(port, "127.0.0.1");
        // Either side gone (a client killed with -9 resets its socket) closes the other, as the one TCP
        // connection it stands for would be.
        for (const [s, peer] of [
          [client, upstream],
          [upstream, client],
        ] as const) {
          sockets.add(s);
          s.on("close", () => {
            sockets.delete(s);
            peer.destroy();
          });
          s.on("error", () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(listenPort, "127.0.0.1", () => resolve());
    });
  await listen();
  return {
    port: listenPort,
    async cut() {
      await new Promise<void>((resolve) => {
        server?.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      server = null;
    },
    restore: listen,
  };
}
