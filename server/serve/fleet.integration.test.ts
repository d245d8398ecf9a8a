import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, type Db, openDatabase } from "@/db";
import { POSTGRES_URL, postgresForTests, relayTo } from "@/db/postgres/testing";
import { verifyAuditChain } from "../audit/verify";
import { cliClient } from "../auth/principal";
import { systemClock } from "../clock";
import { parseEncryptionKeys } from "../crypto/key-set";
import { staticKeyring } from "../crypto/keyring";
import { deleteKeys, REDIS_URL, redisForTests, uniquePrefix } from "../ratelimit/testing/redis";
import { CLI_ACTOR } from "../services/audit";
import type { ServiceContext } from "../services/context";
import { setOverride } from "../services/rate-limit-overrides";
import { createToken } from "../services/tokens";
import { createUser } from "../services/users";
import { freePort } from "../testing/free-port";
import { NGINX, startNginx, stopNginx } from "../testing/nginx";
import { type Answer, buildProblem, type ClusterServer, sleep, startClusterServer } from "./testing/cluster-server";

/**
 * A fleet: three instances of the production server (`node scripts/server.mjs`,
 * one worker each), on one PostgreSQL database and one Redis, behind nginx
 * with round-robin — as docs/deploy.md sets it up:
 *
 * 1. they start together on an empty database: it is migrated once, one first admin is made;
 * 2. nginx spreads requests over all three;
 * 3. a per-token limit of 30 admits exactly 30 of 90 requests over the fleet;
 * 4. a token revoked through one instance is refused on the very next request by the others;
 * 5. kill -9 of one instance during a write burst through nginx: every acknowledged write is there,
 *    decrypts on another instance, and the audit chain verifies;
 * 6. PostgreSQL gone (the instances' connections to it cut and refused): 503 problem+json with
 *    Retry-After, /api/ready 503 on every instance; when it is back, the fleet recovers by itself;
 * 7. each instance names itself in /api/metrics, and the Overview lists the whole fleet;
 * 8. an instance started with another AUTH_SECRET, or another key under a recorded key id, is refused.
 *
 * PostgreSQL is reached through a TCP relay of the test's own, so that "stopping" it cuts only this
 * fleet's connections, not the machine's server other tests use. Needs the production build, nginx,
 * PostgreSQL and Redis; without one the suite skips loudly (fails under REQUIRE_SERVICES=1).
 */

const BUILD_DIR = process.env.CLUSTER_TEST_BUILD_DIR ?? ".next";
const INSTANCES = 3;
const KEYS = "*k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const AUTH_SECRET = "fleet-test-auth-secret-0123456789abcdef";
const ADMIN = { email: "fleet-admin@example.com", password: "fleet admin passphrase 1" };

const redis = await redisForTests("fleet of instances (Redis)");
const postgres = await postgresForTests("fleet of instances (PostgreSQL)");
const missing =
  buildProblem(BUILD_DIR) ??
  (fs.existsSync(NGINX) ? null : `nginx not found at ${NGINX}`) ??
  (redis.available && postgres.available ? null : "no Redis or no PostgreSQL");
if (missing) {
  if (process.env.REQUIRE_SERVICES === "1") throw new Error(`fleet test cannot run: ${missing} (REQUIRE_SERVICES=1)`);
  console.warn(
    `\n${"!".repeat(78)}\n!! SKIPPED server/serve/fleet.integration.test.ts: ${missing}\n${"!".repeat(78)}\n`,
  );
}

function request(port: number, method: string, pathname: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<Answer>((resolve, reject) => {
    const requestId = `req_fleet${Math.random().toString(36).slice(2, 12).padEnd(10, "0")}`;
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: pathname,
        agent: false,
        headers: {
          "x-request-id": requestId,
          ...(body !== undefined
            ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, requestId }));
      },
    );
    req.on("error", reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${method} ${pathname}`)));
    req.end(body);
  });
}

describe.skipIf(missing !== null)("a fleet of three instances on PostgreSQL and Redis behind nginx", () => {
  const dbName = `gatehouse_fleet_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const prefix = uniquePrefix("fleet");
  const dirs: string[] = [];
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let fleet: ClusterServer[] = [];
  let nginx: ChildProcess | undefined;
  let lbPort = 0;
  let db: Db;
  let svc: ServiceContext;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const viaNginx = (method: string, pathname: string, headers?: Record<string, string>, body?: string) =>
    request(lbPort, method, pathname, headers, body);
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  let databaseUrl = "";
  /** What every instance of the fleet is started with (docs/deploy.md), with its own INSTANCE_ID. */
  const instanceEnv = (n: number): Record<string, string> => ({
    WEB_CONCURRENCY: "1",
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    RATE_LIMIT_PREFIX: prefix.replaceAll(":", "-").slice(0, 64),
    ENCRYPTION_KEYS: KEYS,
    AUTH_SECRET,
    INSTANCE_ID: `fleet-${n}`,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    RATE_LIMIT_API: "1000000/1m",
    RATE_LIMIT_ANON: "1000000/1m",
    TRUSTED_PROXIES: "127.0.0.1",
  });
  const context = () => fleet.map((s, i) => `\n--- instance ${i + 1} (tail) ---\n${s.tail().slice(-1_500)}`).join("");

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database "${dbName}"`);
    const direct = new URL(POSTGRES_URL);
    relay = await relayTo(Number(direct.port || 5432));
    const url = new URL(POSTGRES_URL);
    url.host = `127.0.0.1:${relay.port}`;
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();

    // All three at once on the empty database: the migrations and the first admin happen once.
    fleet = await Promise.all(
      Array.from({ length: INSTANCES }, async (_, i) => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-fleet-${i + 1}-`));
        dirs.push(dataDir);
        return await startClusterServer({
          buildDir: BUILD_DIR,
          dataDir,
          readyTimeoutMs: 120_000,
          env: instanceEnv(i + 1),
        });
      }),
    );

    lbPort = await freePort();
    nginx = await startNginx(
      path.join(dirs[0] as string, "nginx"),
      "127.0.0.1",
      lbPort,
      fleet.map((s) => s.port),
    );

    // This process as the CLI of the fleet: the same database and keys.
    db = openDatabase(url.toString());
    svc = {
      db,
      clock: systemClock,
      actor: CLI_ACTOR,
      client: cliClient,
      keyring: staticKeyring(parseEncryptionKeys(KEYS), "env"),
    };
  }, 180_000);

  afterAll(async () => {
    await stopNginx(nginx);
    await Promise.all(fleet.map((s) => s.kill()));
    if (db) await closeDatabase(db);
    await relay?.cut();
    await admin.query(`drop database if exists "${dbName}" with (force)`).catch(() => {});
    await admin.end();
    await deleteKeys(prefix);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("1. start together on an empty database: migrated once, one first admin", async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL.replace(/\/[^/]*$/, `/${dbName}`) });
    await client.connect();
    const migrations = await client.query("select count(*)::int as n from __drizzle_migrations");
    const journal = JSON.parse(fs.readFileSync("db/postgres/migrations/meta/_journal.json", "utf8")) as {
      entries: unknown[];
    };
    expect(migrations.rows[0].n).toBe(journal.entries.length);
    const admins = await client.query("select email from users where role = 'admin'");
    await client.end();
    expect(admins.rows).toEqual([{ email: ADMIN.email }]);
  });

  it("2. nginx spreads requests over every instance", async () => {
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await viaNginx("GET", "/api/health"));
    for (const a of answers) expect(a.status).toBe(200);
    const served = await Promise.all(
      answers.map(async (a) => {
        for (const [i, s] of fleet.entries()) if (await s.lineOf(a.requestId, 200)) return i;
        return -1;
      }),
    );
    expect(new Set(served), `instances that answered${context()}`).toEqual(new Set([0, 1, 2]));
  }, 60_000);

  it("3. a per-token limit of 30 admits exactly 30 of 90 requests over the fleet", async () => {
    const intoHour = Date.now() % 3_600_000;
    if (intoHour > 3_600_000 - 60_000) await sleep(3_600_000 - intoHour + 1_000);
    const owner = await createUser(svc, {
      email: "fleet-limited@example.com",
      password: "limited passphrase 1",
      role: "member",
    });
    const created = await createToken(svc, owner.id, { name: "limited", scopes: ["contacts:read"] });
    await setOverride(svc, { type: "token", id: created.id }, { limit: 30, windowMs: 3_600_000, note: "fleet test" });
    const answers: Answer[] = [];
    for (let batch = 0; batch < 3; batch++) {
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 30 }, () => viaNginx("GET", "/api/v1/contacts", bearer(created.token))),
        )),
      );
    }
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200).length, `200s among ${statuses.join(",")}${context()}`).toBe(30);
    expect(statuses.filter((s) => s === 429).length).toBe(60);
  }, 60_000);

  it("4. a token revoked through one instance is refused by the others on the very next request", async () => {
    const owner = await createUser(svc, {
      email: "fleet-revoked@example.com",
      password: "revoked passphrase 1",
      role: "member",
    });
    const created = await createToken(svc, owner.id, { name: "doomed", scopes: ["contacts:read", "tokens:write"] });
    for (const s of fleet) {
      expect((await request(s.port, "GET", "/api/v1/contacts", bearer(created.token))).status).toBe(200);
    }
    const [first, ...others] = fleet as [ClusterServer, ...ClusterServer[]];
    const revoked = await request(
      first.port,
      "POST",
      `/api/v1/tokens/${created.id}/revoke`,
      bearer(created.token),
      "{}",
    );
    expect(revoked.status, revoked.body).toBe(200);
    for (const s of others) {
      const next = await request(s.port, "GET", "/api/v1/contacts", bearer(created.token));
      expect(next.status).toBe(401);
    }
  }, 60_000);

  it("5. kill -9 of one instance during a write burst loses no acknowledged write; the chain verifies", async () => {
    const owner = await createUser(svc, {
      email: "fleet-writer@example.com",
      password: "writer passphrase 1",
      role: "member",
    });
    const { token } = await createToken(svc, owner.id, { name: "writer", scopes: ["contacts:read", "contacts:write"] });
    const acknowledged: Array<{ id: string; name: string }> = [];
    const victim = fleet[2] as ClusterServer;
    const until = Date.now() + 4_000;
    let n = 0;
    const lane = async () => {
      while (Date.now() < until) {
        const name = `Burst ${n++}`;
        try {
          const body = JSON.stringify({ name, email: `burst${n}@example.com` });
          const res = await viaNginx("POST", "/api/v1/contacts", bearer(token), body);
          if (res.status === 201) acknowledged.push({ id: (JSON.parse(res.body) as { id: string }).id, name });
        } catch {
          // a connection cut by the kill: not acknowledged
        }
      }
    };
    const lanes = Promise.all(Array.from({ length: 6 }, lane));
    await sleep(1_500);
    await victim.kill();
    await lanes;
    expect(acknowledged.length).toBeGreaterThan(20);
    const reader = fleet[0] as ClusterServer;
    for (const { id, name } of acknowledged) {
      const res = await request(reader.port, "GET", `/api/v1/contacts/${id}`, bearer(token));
      expect(res.status, `${id}${context()}`).toBe(200);
      expect((JSON.parse(res.body) as { name: string; email: string }).name).toBe(name);
    }
    const chain = await verifyAuditChain(db);
    expect(chain.ok, JSON.stringify(chain.broken)).toBe(true);
  }, 60_000);

  it("6. PostgreSQL gone: 503 problem+json and /api/ready 503 on every instance; back, the fleet recovers", async () => {
    const live = fleet.slice(0, 2);
    const owner = await createUser(svc, {
      email: "fleet-outage@example.com",
      password: "outage passphrase 1",
      role: "member",
    });
    const { token } = await createToken(svc, owner.id, { name: "outage", scopes: ["contacts:read"] });
    expect((await viaNginx("GET", "/api/v1/contacts", bearer(token))).status).toBe(200);

    await relay.cut();
    const down = await viaNginx("GET", "/api/v1/contacts", bearer(token));
    expect(down.status, down.body).toBe(503);
    expect(down.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(down.headers["retry-after"]).toMatch(/^\d+$/);
    expect(down.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres/i);
    await sleep(1_100); // past the readiness cache
    for (const s of live) {
      const ready = await request(s.port, "GET", "/api/ready");
      expect(ready.status, ready.body).toBe(503);
    }

    await relay.restore();
    const deadline = Date.now() + 20_000;
    for (const s of live) {
      for (;;) {
        if ((await request(s.port, "GET", "/api/ready")).status === 200) break;
        if (Date.now() > deadline) throw new Error(`instance did not recover${context()}`);
        await sleep(250);
      }
      expect((await request(s.port, "GET", "/api/v1/contacts", bearer(token))).status).toBe(200);
    }
  }, 60_000);

  it("7. each instance names itself in /api/metrics, and the Overview lists the whole fleet", async () => {
    const watcher = await createUser(svc, {
      email: "fleet-watch@example.com",
      password: "watcher passphrase 1",
      role: "admin",
    });
    const { token } = await createToken(svc, watcher.id, { name: "watch", scopes: ["metrics:read", "admin"] });
    for (const [i, s] of fleet.slice(0, 2).entries()) {
      const metrics = await request(s.port, "GET", "/api/metrics", bearer(token));
      expect(metrics.body).toMatch(
        new RegExp(`^gatehouse_instance_info\\{instance="fleet-${i + 1}",store="postgres"`, "m"),
      );
    }
    const overview = await request(
      (fleet[1] as ClusterServer).port,
      "GET",
      "/api/v1/admin/overview/instances",
      bearer(token),
    );
    expect(overview.status, overview.body).toBe(200);
    const body = JSON.parse(overview.body) as { self: string; instances: Array<{ id: string; store: string }> };
    expect(body.self).toBe("fleet-2");
    expect(body.instances.map((i) => i.id).sort()).toEqual(["fleet-1", "fleet-2", "fleet-3"]);
    expect(new Set(body.instances.map((i) => i.store))).toEqual(new Set(["postgres"]));
  }, 60_000);

  it("8. refuses to start an instance whose AUTH_SECRET or encryption keys do not match the database", async () => {
    const otherKey = "*k1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";
    for (const [change, says] of [
      [{ AUTH_SECRET: "another-auth-secret-another-auth-secret-0" }, /AUTH_SECRET does not match/],
      [{ ENCRYPTION_KEYS: otherKey }, /encryption keys do not fit the database/],
    ] as const) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-fleet-odd-"));
      dirs.push(dataDir);
      const refused = await startClusterServer({
        buildDir: BUILD_DIR,
        dataDir,
        readyTimeoutMs: 60_000,
        env: { ...instanceEnv(9), ...change },
      }).catch((error: unknown) => error as Error);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toMatch(/exited \(\{"code":1/);
      expect((refused as Error).message).toMatch(says);
      expect((refused as Error).message).not.toContain(AUTH_SECRET);
    }
  }, 120_000);
});
