import { randomBytes } from "node:crypto";
import pg from "pg";
import { createClient } from "redis";
import { closeDatabase, type Db, openDatabase } from "@/db";
import { cliClient } from "@/server/auth/principal";
import { systemClock } from "@/server/clock";
import { parseEncryptionKeys } from "@/server/crypto/key-set";
import { type Keyring, staticKeyring } from "@/server/crypto/keyring";
import { CLI_ACTOR } from "@/server/services/audit";
import type { ServiceContext } from "@/server/services/context";

/**
 * The PostgreSQL side of the bench (BENCH_STORES=postgres,fleet): a fresh
 * database per setup, made for the run on the machine's PostgreSQL and
 * dropped at the end; a Redis key prefix of the run's own, whose keys are
 * deleted at the end; and the database opened from this process as the CLI
 * of those instances would open it (the same DATABASE_URL and
 * ENCRYPTION_KEYS), so that it is seeded through the same services as the
 * SQLite folder.
 */

/** Where the bench makes and drops its databases: any database it may connect to (CREATE/DROP DATABASE). */
export const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Fresh secrets for the instances of a run: the same on every instance of a fleet, never written to disk. */
export function benchSecrets(): { encryptionKeys: string; authSecret: string } {
  return {
    encryptionKeys: `*bench:${randomBytes(32).toString("base64url")}`,
    authSecret: randomBytes(32).toString("hex"),
  };
}

/** A Redis key prefix (RATE_LIMIT_PREFIX) no other run shares. */
export function benchRedisPrefix(label: string): string {
  return `gatehouse-bench-${process.pid}-${randomBytes(4).toString("hex")}-${label}`.slice(0, 64);
}

const redacted = (url: string) => {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
};

/** Throws a one-line reason when PostgreSQL (at the admin URL) or Redis does not answer. */
export async function requirePostgresAndRedis(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    throw new Error(
      `no PostgreSQL answers at ${redacted(POSTGRES_ADMIN_URL)} (${(error as Error).message}); start one or set BENCH_POSTGRES_URL`,
    );
  } finally {
    await client.end().catch(() => {});
  }
  const redis = createClient({ url: REDIS_URL, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `no Redis answers at ${redacted(REDIS_URL)} (${(error as Error).message}); start one or set BENCH_REDIS_URL`,
    );
  } finally {
    if (redis.isOpen) redis.destroy();
  }
}

export interface BenchDatabase {
  name: string;
  /** The DATABASE_URL of the instances. */
  url: string;
  /** Drops it (connections still open are ended: WITH (FORCE)); again is a no-op. */
  drop(): Promise<void>;
}

/** CREATE DATABASE gatehouse_bench_<pid>_<random>: empty, migrated by the first handle that opens it. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `gatehouse_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`create database "${name}"`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      await adminQuery(`drop database if exists "${name}" with (force)`);
      dropped = true;
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Deletes every key under `prefix:` (the limiter's keys of one setup); the rest of Redis is left as it was. */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  const client = createClient({ url: REDIS_URL });
  client.on("error", () => {});
  let deleted = 0;
  try {
    await client.connect();
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) keys.push(...batch);
    for (let i = 0; i < keys.length; i += 500) deleted += await client.del(keys.slice(i, i + 500));
  } finally {
    if (client.isOpen) client.destroy();
  }
  return deleted;
}

export interface OpenStore {
  db: Db;
  svc: ServiceContext & { keyring: Keyring };
  /** Ends the pool; again is a no-op. */
  close(): Promise<void>;
}

/**
 * The database at `url` (migrated on first use) with the instances'
 * keyring, and the CLI's service context (actor `cli`), like
 * bench-lib/folder.ts for a data folder.
 */
export function openStore(url: string, encryptionKeys: string): OpenStore {
  const db = openDatabase(url, { max: 4 });
  const keyring = staticKeyring(parseEncryptionKeys(encryptionKeys), "env");
  let closed = false;
  return {
    db,
    svc: { db, clock: systemClock, actor: CLI_ACTOR, client: cliClient, keyring },
    async close() {
      if (closed) return;
      closed = true;
      await closeDatabase(db);
    },
  };
}

/** The server's version (`show server_version`), for the report. */
export async function postgresVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return String((await client.query("show server_version")).rows[0]?.server_version ?? "?");
  } finally {
    await client.end().catch(() => {});
  }
}
