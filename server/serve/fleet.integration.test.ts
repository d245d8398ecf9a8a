import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
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
import { createClient } from "../services/oauth-clients";
import { setOverride } from "../services/rate-limit-overrides";
import { confirmTotpEnrolment, startTotpEnrolment } from "../services/second-factors";
import { totpCodeAt } from "../services/second-factors-totp";
import { createToken } from "../services/tokens";
import { createUser } from "../services/users";
import { freePort } from "../testing/free-port";
import { NGINX, startNginx, stopNginx } from "../testing/nginx";
import { type Answer, buildProblem, type ClusterServer, sleep, startClusterServer } from "./testing/cluster-server";
import { authorizationCode, basicAuth, secondStep, signIn } from "./testing/fleet-sessions";

/**
 * A fleet: three instances of the production server (`node scripts/server.mjs`,
 * one worker each), on one PostgreSQL database and one Redis, behind nginx
 * with round-robin — as docs/deploy.md sets it up:
 *
 * 1. they start together on an empty database: it is migrated once, one first admin is made;
 * 2. nginx spreads requests over all three;
 * 3. a per-token limit of 30 admits exactly 30 of 90 requests over the fleet;
 * 4. a token revoked through one instance is refused on the very next request by the others;
 * 5. a browser session signed in on one instance works on all; ended through another (the person's own
 *    "sign out everywhere else", then an administrator's revoke-all), it is refused by the rest at once;
 * 6. wrong passwords sent to all instances at once add up to one lockout (no more guesses checked than
 *    RATE_LIMIT_SIGNIN allows), which every instance enforces until an administrator clears it;
 * 7. the two-step sign-in (password, then a TOTP or recovery code) crosses the fleet, and a code used
 *    on one instance is refused on the others;
 * 8. a signing key rotated through one instance: a token with the new kid is accepted by the others on
 *    the very next request, every JWKS lists both keys, tokens of the old key keep working;
 * 9. an access token revoked at /oauth/revoke (RFC 7009) on one instance is refused by the others;
 * 10. the authorization-code flow crosses the fleet (authorize, consent page, Allow on three instances);
 *     one code, or one refresh token, sent to three instances at once is honoured once and the replay
 *     ends the grant everywhere; a refresh token revoked on one instance ends its grant on the others;
 * 11. an OAuth client disabled, or deleted, through one instance: its credentials and its tokens are
 *     refused by the others on the very next request;
 * 12. a CORS origin and a rate-limit override set through one instance's admin API hold on the others;
 * 13. kill -9 of one instance during a write burst through nginx: every acknowledged write is there,
 *     decrypts on another instance, and the audit chain verifies;
 * 14. PostgreSQL gone (the instances' connections to it cut and refused): 503 problem+json with
 *     Retry-After, /api/ready 503 on every instance; when it is back, the fleet recovers by itself;
 * 15. each instance names itself in /api/metrics, and the Overview lists the whole fleet;
 * 16. an instance started with another AUTH_SECRET, or another key under a recorded key id, is refused.
 *
 * Every instance has the same APP_URL, nginx's origin (docs/deploy.md): it is the cookies' and the
 * tokens' issuer and audience, and what a browser's Origin must be. Scenarios 5 to 12 send each step to
 * an instance of their choosing (the write on one, the check on the others), as a client that the load
 * balancer moves would meet them.
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
const FORM = "application/x-www-form-urlencoded";
type Trio = [ClusterServer, ClusterServer, ClusterServer];

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
  /** The public origin of the fleet (APP_URL of every instance): nginx's. */
  const appOrigin = () => `http://localhost:${lbPort}`;
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
    APP_URL: appOrigin(),
    RATE_LIMIT_API: "1000000/1m",
    RATE_LIMIT_ANON: "1000000/1m",
    TRUSTED_PROXIES: "127.0.0.1",
  });
  const context = () => fleet.map((s, i) => `\n--- instance ${i + 1} (tail) ---\n${s.tail().slice(-1_500)}`).join("");

  /** An administrator's API token (scope admin), made once through the services. */
  let operator: Promise<string> | undefined;
  const operatorToken = () => {
    operator ??= (async () => {
      const user = await createUser(svc, {
        email: "fleet-operator@example.com",
        password: "operator passphrase 1",
        role: "admin",
      });
      return (await createToken(svc, user.id, { name: "operator", scopes: ["admin"] })).token;
    })();
    return operator;
  };
  /** Who am I, as a browser asks (tRPC, the session cookie). */
  const me = (s: ClusterServer, cookie: string) => request(s.port, "GET", "/api/trpc/account.me", { cookie });
  const contacts = (s: ClusterServer, token: string) => request(s.port, "GET", "/api/v1/contacts", bearer(token));
  /** A confidential client_credentials client, registered through the services (as the CLI does). */
  const machineClient = async (name: string) => {
    const created = await createClient(svc, {
      name,
      type: "confidential",
      redirectUris: [],
      grantTypes: ["client_credentials"],
      scopes: ["contacts:read"],
      accessTokenTtlSeconds: 3600,
    });
    return { id: created.client.id, basic: basicAuth(created.client.id, created.clientSecret ?? "") };
  };
  /** An access token from /oauth/token on `s`, with the kid of the key that signed it. */
  const issue = async (s: ClusterServer, client: { basic: string }) => {
    const res = await request(
      s.port,
      "POST",
      "/oauth/token",
      { authorization: client.basic, "content-type": FORM },
      "grant_type=client_credentials",
    );
    expect(res.status, res.body).toBe(200);
    const { access_token: token } = JSON.parse(res.body) as { access_token: string };
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as { kid: string };
    return { token, kid: header.kid };
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database "${dbName}"`);
    const direct = new URL(POSTGRES_URL);
    relay = await relayTo(Number(direct.port || 5432));
    const url = new URL(POSTGRES_URL);
    url.host = `127.0.0.1:${relay.port}`;
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
    lbPort = await freePort();

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

  it("5. a session ended through one instance is refused by the others on the very next request", async () => {
    const [a, b, c] = fleet as Trio;
    const person = { email: "fleet-session@example.com", password: "session passphrase 1" };
    const user = await createUser(svc, { ...person, role: "member" });
    // Two browsers: one signs in through instance 1, the other through instance 2.
    const first = await signIn(request, a.port, appOrigin(), person.email, person.password);
    const second = await signIn(request, b.port, appOrigin(), person.email, person.password);
    expect(first.cookie, `sign-in: ${first.answer.status} ${first.answer.body}`).not.toBeNull();
    expect(second.cookie, `sign-in: ${second.answer.status} ${second.answer.body}`).not.toBeNull();
    const [one, two] = [first.cookie, second.cookie] as [string, string];
    for (const s of fleet) {
      for (const cookie of [one, two]) {
        const res = await me(s, cookie);
        expect(res.status, res.body).toBe(200);
        expect((JSON.parse(res.body) as { result: { data: { id: string } } }).result.data.id).toBe(user.id);
      }
    }
    // "Sign out everywhere else" from the second browser, through instance 2 (as the page sends it: a batch).
    const ended = await request(
      b.port,
      "POST",
      "/api/trpc/account.endOtherSessions?batch=1",
      { cookie: two, origin: appOrigin() },
      "{}",
    );
    expect(ended.status, ended.body).toBe(200);
    expect(JSON.parse(ended.body)).toEqual([{ result: { data: { ended: 1 } } }]);
    for (const s of [c, a]) expect((await me(s, one)).status, `ended session on ${s.port}`).toBe(401);
    expect((await me(c, two)).status).toBe(200);
    // An administrator ends the rest (sessions, tokens, grants) through instance 3's REST API.
    const revoked = await request(
      c.port,
      "POST",
      `/api/v1/admin/users/${user.id}/revoke-all`,
      bearer(await operatorToken()),
      "{}",
    );
    expect(revoked.status, revoked.body).toBe(200);
    for (const s of [a, b]) expect((await me(s, two)).status, `revoked session on ${s.port}`).toBe(401);
  }, 60_000);

  it("6. failed sign-ins spread over the instances add up to one lockout that every instance enforces", async () => {
    const [, b, c] = fleet as Trio;
    const person = { email: "fleet-lockout@example.com", password: "lockout passphrase 1" };
    await createUser(svc, { ...person, role: "member" });
    // RATE_LIMIT_SIGNIN is 5/15m, and each attempt takes its place before the password is checked: of 12
    // wrong passwords sent at once, 4 to each instance, exactly 5 are checked (NextAuth's 303), 7 refused.
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        signIn(request, (fleet[i % 3] as ClusterServer).port, appOrigin(), person.email, `wrong guess number ${i}`),
      ),
    );
    const statuses = guesses.map((g) => g.answer.status);
    expect(statuses.filter((s) => s === 303).length, `12 guesses at once over the fleet: ${statuses}`).toBe(5);
    expect(statuses.filter((s) => s === 429).length, `${statuses}`).toBe(7);
    for (const g of guesses) expect(g.cookie).toBeNull();
    // The right password is now refused by every instance.
    for (const s of fleet) {
      const right = await signIn(request, s.port, appOrigin(), person.email, person.password);
      expect(right.answer.status, `right password on ${s.port}: ${right.answer.body}`).toBe(429);
      expect(right.answer.headers["retry-after"]).toMatch(/^\d+$/);
      expect(right.cookie).toBeNull();
    }
    // An administrator clears the lock through instance 2: the person gets in through instance 3.
    const unlocked = await request(
      b.port,
      "POST",
      "/api/v1/admin/rate-limits/unlock",
      bearer(await operatorToken()),
      JSON.stringify({ email: person.email }),
    );
    expect(unlocked.status, unlocked.body).toBe(200);
    expect(JSON.parse(unlocked.body)).toMatchObject({ cleared: true });
    const back = await signIn(request, c.port, appOrigin(), person.email, person.password);
    expect(back.cookie, `after the unlock: ${back.answer.status} ${back.answer.body}`).not.toBeNull();
  }, 60_000);

  it("7. the two-step sign-in crosses the fleet; a second-factor code used on one instance is refused by the others", async () => {
    const [a, b, c] = fleet as Trio;
    const person = { email: "fleet-2fa@example.com", password: "second factor passphrase 1" };
    const user = await createUser(svc, { ...person, role: "admin" });
    const enrolment = await startTotpEnrolment(svc, user);
    const confirmed = await confirmTotpEnrolment(
      svc,
      user.id,
      enrolment.factorId,
      totpCodeAt(enrolment.secret, Date.now()),
    );
    const [recovery] = confirmed.recoveryCodes ?? [];
    if (!recovery) throw new Error("no recovery codes");
    // The enrolment used this step's code: the next step's is the first one a sign-in may use (the window is ±1).
    const code = totpCodeAt(enrolment.secret, Date.now() + 30_000);
    const passwordOn = async (s: ClusterServer) => {
      const first = await signIn(request, s.port, appOrigin(), person.email, person.password);
      expect(first.cookie, "a password alone opens no session").toBeNull();
      expect(
        first.jar.some((k) => k.startsWith("gatehouse.pending-sign-in=")),
        first.answer.body,
      ).toBe(true);
      return first;
    };
    for (const [given, pending, finish, replayPending, replay] of [
      [code, a, b, c, a],
      [recovery, b, c, a, b],
    ] as const) {
      // The password on one instance, the code on another: signed in, and the session works on the third.
      const done = await secondStep(request, finish.port, appOrigin(), await passwordOn(pending), given);
      expect(done.cookie, `second step on ${finish.port}: ${done.answer.status} ${done.answer.body}`).not.toBeNull();
      expect((await me(c === finish ? a : c, done.cookie as string)).status).toBe(200);
      // The same code again, on yet another pair of instances: refused.
      const again = await secondStep(request, replay.port, appOrigin(), await passwordOn(replayPending), given);
      expect(again.cookie, `the code replayed on ${replay.port}: ${again.answer.status}`).toBeNull();
    }
  }, 60_000);

  it("8. a signing key rotated through one instance: the new kid counts everywhere at once", async () => {
    const [a, b, c] = fleet as Trio;
    const machine = await machineClient("fleet keys");
    const before = await issue(a, machine);
    for (const s of fleet) expect((await contacts(s, before.token)).status).toBe(200);

    const rotation = await request(
      b.port,
      "POST",
      "/api/v1/admin/oauth-signing-keys/rotate",
      bearer(await operatorToken()),
      JSON.stringify({ alg: "ES256" }),
    );
    expect(rotation.status, rotation.body).toBe(200);
    const [rotated] = (JSON.parse(rotation.body) as { rotated: Array<{ alg: string; kid: string; retired: string }> })
      .rotated;
    expect(rotated).toMatchObject({ alg: "ES256", retired: before.kid });
    const newKid = (rotated as { kid: string }).kid;
    expect(newKid).not.toBe(before.kid);

    // Instance 3 has not signed yet (no scenario before this one asks it for a token or the JWKS): its first
    // token carries the new kid, which instances 1 and 2 (holding only the old key) meet on the next request.
    const after = await issue(c, machine);
    expect(after.kid, "the first token instance 3 signs after the rotation").toBe(newKid);
    for (const s of [a, b]) expect((await contacts(s, after.token)).status, `new kid on ${s.port}`).toBe(200);
    // Having re-read the key table for it, instance 1 signs with the new key too, without waiting its 30 s.
    expect((await issue(a, machine)).kid).toBe(newKid);
    // The retired key verifies its tokens until they expire; every JWKS publishes both keys.
    for (const s of [b, c]) expect((await contacts(s, before.token)).status, `old kid on ${s.port}`).toBe(200);
    for (const s of fleet) {
      const jwks = await request(s.port, "GET", "/oauth/jwks");
      expect(jwks.status, jwks.body).toBe(200);
      const kids = (JSON.parse(jwks.body) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
      expect(kids, `JWKS of ${s.port}`).toEqual(expect.arrayContaining([newKid, before.kid]));
    }
  }, 60_000);

  it("9. an access token revoked at /oauth/revoke on one instance is refused by the others", async () => {
    const [a, b, c] = fleet as Trio;
    const machine = await machineClient("fleet revoke");
    const doomed = await issue(a, machine);
    const spared = await issue(c, machine);
    for (const s of fleet) expect((await contacts(s, doomed.token)).status).toBe(200);
    const revoked = await request(
      b.port,
      "POST",
      "/oauth/revoke",
      { authorization: machine.basic, "content-type": FORM },
      new URLSearchParams({ token: doomed.token, token_type_hint: "access_token" }).toString(),
    );
    expect(revoked.status, revoked.body).toBe(200);
    for (const s of [c, a]) {
      const next = await contacts(s, doomed.token);
      expect(next.status, `revoked token on ${s.port}`).toBe(401);
      expect(next.headers["www-authenticate"]).toMatch(/invalid_token/);
    }
    // Only that token: another of the same client is untouched.
    expect((await contacts(a, spared.token)).status).toBe(200);
  }, 60_000);

  it("10. the code flow crosses the fleet; a code or refresh token raced over it, or revoked, ends the grant everywhere", async () => {
    const [a, b, c] = fleet as Trio;
    const person = { email: "fleet-oauth@example.com", password: "oauth passphrase 12" };
    await createUser(svc, { ...person, role: "member" });
    const { cookie } = await signIn(request, a.port, appOrigin(), person.email, person.password);
    if (!cookie) throw new Error("sign-in failed");
    const redirectUri = "https://client.example.com/callback";
    const created = await createClient(svc, {
      name: "fleet app",
      type: "confidential",
      redirectUris: [redirectUri],
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["contacts:read"],
      accessTokenTtlSeconds: 3600,
    });
    const basic = basicAuth(created.client.id, created.clientSecret ?? "");
    const flow = { cookie, appOrigin: appOrigin(), clientId: created.client.id, redirectUri, scope: "contacts:read" };
    const token = (s: ClusterServer, fields: Record<string, string>) =>
      request(
        s.port,
        "POST",
        "/oauth/token",
        { authorization: basic, "content-type": FORM },
        new URLSearchParams(fields).toString(),
      );
    const redeem = (s: ClusterServer, code: { code: string; verifier: string }) =>
      token(s, {
        grant_type: "authorization_code",
        code: code.code,
        redirect_uri: redirectUri,
        code_verifier: code.verifier,
      });
    type Tokens = { access_token: string; refresh_token: string };
    /** The same request sent to all three instances at once: exactly one may win; the others are invalid_grant. */
    const race = async (send: (s: ClusterServer) => Promise<Answer>, what: string) => {
      const answers = await Promise.all(fleet.map(send));
      const statuses = answers.map((r) => r.status);
      expect([...statuses].sort(), `${what} on three instances at once: ${statuses}`).toEqual([200, 400, 400]);
      for (const lost of answers.filter((r) => r.status === 400)) {
        expect(JSON.parse(lost.body).error, lost.body).toBe("invalid_grant");
      }
      return JSON.parse((answers.find((r) => r.status === 200) as Answer).body) as Tokens;
    };
    /** Every access token of a dead grant is refused by every instance. */
    const allRefused = async (tokens: Tokens[], why: string) => {
      for (const s of fleet) {
        for (const t of tokens) expect((await contacts(s, t.access_token)).status, `${why}, on ${s.port}`).toBe(401);
      }
    };

    // Authorize on 1, the consent page on 2, Allow on 3; the code redeemed on all three at once. One wins,
    // and the replay revokes the grant it produced (RFC 6749 §4.1.2): the winner's tokens die too.
    const first = await authorizationCode(request, { authorize: a.port, consent: b.port, decide: c.port }, flow);
    expect(first.consented).toBe(true);
    const coded = await race((s) => redeem(s, first), "one code");
    await allRefused([coded], "after the code replay");
    expect((await token(a, { grant_type: "refresh_token", refresh_token: coded.refresh_token })).status).toBe(400);

    // The consent is remembered: a code at once (on 2), redeemed on 3; its refresh token used on all three at
    // once. One rotation wins; the reuse revokes the family (RFC 9700 §4.14.2): both access tokens die.
    const second = await authorizationCode(request, { authorize: b.port, consent: b.port, decide: b.port }, flow);
    expect(second.consented).toBe(false);
    const issued = await redeem(c, second);
    expect(issued.status, issued.body).toBe(200);
    const granted = JSON.parse(issued.body) as Tokens;
    expect((await contacts(a, granted.access_token)).status).toBe(200);
    const refreshedOnce = await race(
      (s) => token(s, { grant_type: "refresh_token", refresh_token: granted.refresh_token }),
      "one refresh token",
    );
    await allRefused([granted, refreshedOnce], "after the refresh reuse");

    // A third grant: redeemed on 1, refreshed on 2; the client revokes the new refresh token on 3 (RFC 7009):
    // the whole grant ends on 1 and 2 as well.
    const third = await authorizationCode(request, { authorize: c.port, consent: c.port, decide: c.port }, flow);
    const redeemed = await redeem(a, third);
    expect(redeemed.status, redeemed.body).toBe(200);
    const original = JSON.parse(redeemed.body) as Tokens;
    const refreshed = await token(b, { grant_type: "refresh_token", refresh_token: original.refresh_token });
    expect(refreshed.status, refreshed.body).toBe(200);
    const rotated = JSON.parse(refreshed.body) as Tokens;
    for (const t of [original, rotated]) expect((await contacts(a, t.access_token)).status).toBe(200);
    const revoked = await request(
      c.port,
      "POST",
      "/oauth/revoke",
      { authorization: basic, "content-type": FORM },
      new URLSearchParams({ token: rotated.refresh_token, token_type_hint: "refresh_token" }).toString(),
    );
    expect(revoked.status, revoked.body).toBe(200);
    await allRefused([original, rotated], "after the refresh token's revocation");
    const again = await token(b, { grant_type: "refresh_token", refresh_token: rotated.refresh_token });
    expect(again.status, again.body).toBe(400);
    expect(JSON.parse(again.body).error).toBe("invalid_grant");
  }, 60_000);

  it("11. an OAuth client disabled or deleted through one instance is refused by the others at once", async () => {
    const [a, b, c] = fleet as Trio;
    const admin = bearer(await operatorToken());
    for (const how of ["disabled", "deleted"] as const) {
      const machine = await machineClient(`fleet ${how}`);
      const held = await issue(b, machine);
      for (const s of [b, c]) expect((await contacts(s, held.token)).status).toBe(200);
      const done =
        how === "disabled"
          ? await request(
              a.port,
              "PUT",
              `/api/v1/admin/oauth-clients/${machine.id}/disabled`,
              admin,
              JSON.stringify({ disabled: true }),
            )
          : await request(a.port, "DELETE", `/api/v1/admin/oauth-clients/${machine.id}`, admin);
      expect(done.status, done.body).toBe(how === "disabled" ? 200 : 204);
      for (const s of [b, c]) {
        const refused = await request(
          s.port,
          "POST",
          "/oauth/token",
          { authorization: machine.basic, "content-type": FORM },
          "grant_type=client_credentials",
        );
        expect(refused.status, `a ${how} client's credentials on ${s.port}: ${refused.body}`).toBe(401);
        expect(JSON.parse(refused.body).error).toBe("invalid_client");
        expect((await contacts(s, held.token)).status, `a ${how} client's token on ${s.port}`).toBe(401);
      }
    }
  }, 60_000);

  it("12. a CORS origin and a rate-limit override set through one instance hold on the others", async () => {
    const [a, b, c] = fleet as Trio;
    const admin = bearer(await operatorToken());
    const origin = "https://fleet-spa.example.com";
    const preflight = async (s: ClusterServer) =>
      (
        await request(s.port, "OPTIONS", "/api/v1/contacts", {
          origin,
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization",
        })
      ).headers["access-control-allow-origin"];
    expect(await preflight(b)).toBeUndefined();
    const added = await request(a.port, "POST", "/api/v1/admin/cors-origins", admin, JSON.stringify({ origin }));
    expect(added.status, added.body).toBe(201);
    for (const s of [b, c]) expect(await preflight(s), `preflight on ${s.port} once allowed`).toBe(origin);
    const { id } = JSON.parse(added.body) as { id: string };
    const removed = await request(b.port, "DELETE", `/api/v1/admin/cors-origins/${id}`, admin);
    expect(removed.status, removed.body).toBe(204);
    for (const s of [c, a]) expect(await preflight(s), `preflight on ${s.port} once removed`).toBeUndefined();

    // A token used on every instance; then an override of 2 an hour, set through instance 3.
    const intoHour = Date.now() % 3_600_000;
    if (intoHour > 3_600_000 - 5_000) await sleep(3_600_000 - intoHour + 500);
    const owner = await createUser(svc, {
      email: "fleet-override@example.com",
      password: "override passphrase 1",
      role: "member",
    });
    const created = await createToken(svc, owner.id, { name: "overridden", scopes: ["contacts:read"] });
    for (const s of fleet)
      expect((await request(s.port, "GET", "/api/v1/contacts", bearer(created.token))).status).toBe(200);
    const set = await request(
      c.port,
      "POST",
      "/api/v1/admin/rate-limits/overrides",
      admin,
      JSON.stringify({ target: { type: "token", id: created.id }, limit: 2, windowSeconds: 3600 }),
    );
    expect(set.status, set.body).toBe(201);
    const statuses: number[] = [];
    for (const s of [a, b, a, b, a, b]) {
      statuses.push((await request(s.port, "GET", "/api/v1/contacts", bearer(created.token))).status);
    }
    expect(statuses.filter((s) => s === 200).length, `under the override: ${statuses}`).toBe(2);
    expect(statuses.filter((s) => s === 429).length).toBe(4);
    // Removed through instance 1: the default limit again, on instance 2.
    const overrideId = (JSON.parse(set.body) as { id: string }).id;
    const lifted = await request(a.port, "DELETE", `/api/v1/admin/rate-limits/overrides/${overrideId}`, admin);
    expect(lifted.status, lifted.body).toBe(204);
    expect((await request(b.port, "GET", "/api/v1/contacts", bearer(created.token))).status).toBe(200);
  }, 60_000);

  it("13. kill -9 of one instance during a write burst loses no acknowledged write; the chain verifies", async () => {
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

  it("14. PostgreSQL gone: 503 problem+json and /api/ready 503 on every instance; back, the fleet recovers", async () => {
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

  it("15. each instance names itself in /api/metrics, and the Overview lists the whole fleet", async () => {
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

  it("16. refuses to start an instance whose AUTH_SECRET or encryption keys do not match the database", async () => {
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
