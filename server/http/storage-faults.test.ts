import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sqliteOf } from "@/db";
import { auditLog, contacts, oauthAccessTokens } from "@/db/schema";
import { verifyAuditChain } from "../audit/verify";
import { handleAuthorize } from "../oauth/endpoints/authorize";
import { withUnavailablePage } from "../oauth/error-page";
import { authorizeRequest, basicAuth, CALLBACK, createTestbed, type Testbed } from "../oauth/testing/testbed";
import { forgetReadiness, MIN_FREE_BYTES } from "../observability/readiness";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../ratelimit/config";
import { closeLimiterFor } from "../ratelimit/runtime";
import { REQUIRE_SERVICES, startThrowawayRedis } from "../ratelimit/testing/redis";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { AUDIT_EXPORT_PATH, handleAuditExport } from "./audit-export";
import { serveMachineEndpoint } from "./front/dispatch";
import { machineEndpointOf, rawPathOf } from "./front/endpoints";

/**
 * Storage faults, injected for real into the database the server has open,
 * through the machine endpoints' own dispatch (the pipeline a worker runs):
 *
 * - the database full: PRAGMA max_page_count on the application's
 *   connection (SQLite's own SQLITE_FULL), and a real full disk (a tiny
 *   tmpfs filled up: ENOSPC under SQLite);
 * - the database read-only: PRAGMA query_only on that connection (SQLITE_READONLY);
 * - the database file deleted under the running server.
 *
 * Every door answers a write it cannot make with 503 and Retry-After, never a
 * 500: REST problem+json `storage_unavailable`, tRPC SERVICE_UNAVAILABLE with
 * data.reason, OAuth `temporarily_unavailable`. Nothing is half-written: each
 * write either happened with its audit entry or not at all, and the audit
 * chain verifies. /api/ready says which dependency fails while it does, and
 * 200 again once it clears.
 */

const APP = "http://127.0.0.1:3000";
const NOTES = "n".repeat(1_900);

interface World {
  bed: Testbed;
  dir: string;
  token: string;
  oauthClient: { clientId: string; clientSecret: string };
  teardown(): Promise<void>;
}

async function world(dir: string, overrides: Parameters<typeof createTestbed>[0] = {}): Promise<World> {
  const bed = createTestbed({ appUrl: new URL(APP), databaseFile: path.join(dir, "gatehouse.db"), ...overrides });
  const { user } = await bed.user("alice@example.com", "member");
  const svc = {
    db: bed.rt.db,
    clock: bed.rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "t" },
  };
  const token = (await createToken(svc, user.id, { name: "ci", scopes: ["contacts:read", "contacts:write"] })).token;
  const oauthClient = (await bed.registerClient({ scopes: ["contacts:read"] })) as {
    clientId: string;
    clientSecret: string;
  };
  return {
    bed,
    dir,
    token,
    oauthClient,
    async teardown() {
      await closeLimiterFor(bed.rt);
      sqliteOf(bed.rt.db).close();
    },
  };
}

/** Through the front's dispatch, as a worker serves it (observeRequest, guardApi, the door). */
function send(w: World, target: string, init: RequestInit = {}): Promise<Response> {
  const endpoint = machineEndpointOf(rawPathOf(target));
  if (!endpoint) throw new Error(`not a machine endpoint: ${target}`);
  return serveMachineEndpoint(new Request(`${APP}${target}`, init), w.bed.rt, endpoint);
}

const json = (body: unknown) => JSON.stringify(body);
let n = 0;

const restCreate = (w: World) =>
  send(w, "/api/v1/contacts", {
    method: "POST",
    headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" },
    body: json({ name: `Rest ${++n}`, email: `rest${n}@example.com`, notes: NOTES }),
  });
const trpcCreate = (w: World) =>
  send(w, "/api/trpc/contacts.create", {
    method: "POST",
    headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" },
    body: json({ name: `Trpc ${++n}`, email: `trpc${n}@example.com`, notes: NOTES }),
  });
const oauthToken = (w: World) =>
  send(w, "/oauth/token", {
    method: "POST",
    headers: {
      authorization: basicAuth(w.oauthClient.clientId, w.oauthClient.clientSecret),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials&scope=contacts%3Aread",
  });
const ready = (w: World) => {
  forgetReadiness(w.bed.rt);
  return send(w, "/api/ready");
};

/**
 * Sends writes until the first one refused: each answer before it is a success, and the refusal
 * is a 503 (never a 500). Returns the refusal and how many succeeded. A database that is full
 * fills up within a few writes; one that is read-only or gone refuses the first.
 */
async function untilRefused(write: () => Promise<Response>, okStatus: number, max = 400) {
  for (let done = 0; done < max; done++) {
    const res = await write();
    if (res.status === okStatus) continue;
    expect(res.status, await res.clone().text()).toBe(503);
    return { refused: res, succeeded: done };
  }
  throw new Error(`no write was refused in ${max} attempts`);
}

/** The three doors' 503s, each in its own format, with Retry-After and nothing internal. */
async function expectRestRefusal(res: Response) {
  expect(res.status).toBe(503);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(res.headers.get("retry-after")).toBe("5");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({
    type: "urn:gatehouse:problem:storage_unavailable",
    status: 503,
    title: "Service unavailable",
    retryAfterSeconds: 5,
  });
  expect(String(body.detail)).toMatch(/^The database cannot be used right now because .+; retry shortly$/);
  expectNothingInternal(body);
}

async function expectTrpcRefusal(res: Response) {
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("5");
  const body = (await res.json()) as { error: { message: string; data: Record<string, unknown> } };
  expect(body.error.data).toMatchObject({
    code: "SERVICE_UNAVAILABLE",
    httpStatus: 503,
    reason: "storage_unavailable",
    retryAfterSeconds: 5,
  });
  expectNothingInternal(body);
}

/**
 * `limiterToo`: on a real full disk the embedded limiter's own counter write may be what fails first,
 * and the OAuth policy fails closed: then it is the rate limiter's 503 (the same shape, its own words).
 */
async function expectOAuthRefusal(res: Response, opts: { limiterToo?: boolean } = {}) {
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("5");
  expect(res.headers.get("cache-control")).toContain("no-store");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.error).toBe("temporarily_unavailable");
  expect(String(body.error_description)).toMatch(
    opts.limiterToo
      ? /^(The database cannot be used right now|Rate limiting is unavailable)/
      : /^The database cannot be used right now/,
  );
  expectNothingInternal(body);
}

function expectNothingInternal(body: unknown) {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/SQLITE|sqlite|INSERT|stack|\/tmp\/|gatehouse\.db/);
}

async function expectNotReady(w: World, database: string) {
  const res = await ready(w);
  expect(res.status).toBe(503);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(res.headers.get("retry-after")).toBe("5");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: "urn:gatehouse:problem:not_ready", status: 503, checks: { database } });
  expect(String(body.detail)).toMatch(/^Not ready: database cannot be written/);
  expectNothingInternal(body);
}

async function expectReady(w: World) {
  const res = await ready(w);
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toEqual({ status: "ready", checks: { database: "ok" } });
}

/** Nothing half-written: every contact and token has its audit entry and no entry lacks its row; the chain holds. */
async function expectConsistent(w: World, written: { contacts: number; tokens: number }) {
  const { db } = w.bed.rt;
  const audited = async (action: string) =>
    (await db.select().from(auditLog).where(eq(auditLog.action, action)).all()).length;
  expect(await db.select().from(contacts).all()).toHaveLength(written.contacts);
  expect(await audited("contact.create")).toBe(written.contacts);
  expect(await db.select().from(oauthAccessTokens).all()).toHaveLength(written.tokens);
  expect(await audited("oauth.token_issue")).toBe(written.tokens);
  expect((await verifyAuditChain(db)).ok).toBe(true);
}

describe("a full database (max_page_count on the server's connection: SQLITE_FULL)", () => {
  let w: World;
  beforeEach(async () => {
    w = await world(fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-full-")));
  });
  afterEach(async () => {
    await w.teardown();
    fs.rmSync(w.dir, { recursive: true, force: true });
  });

  it("every door answers 503 with Retry-After, nothing is half-written, /api/ready says database full until it clears", async () => {
    await expectReady(w);
    const sqlite = sqliteOf(w.bed.rt.db);
    const pages = sqlite.pragma("page_count", { simple: true }) as number;
    sqlite.pragma(`max_page_count = ${pages + 2}`);

    const rest = await untilRefused(() => restCreate(w), 201);
    await expectRestRefusal(rest.refused);
    await expectNotReady(w, "full");
    const trpc = await untilRefused(() => trpcCreate(w), 200);
    await expectTrpcRefusal(trpc.refused);
    const oauth = await untilRefused(() => oauthToken(w), 200);
    await expectOAuthRefusal(oauth.refused);
    // Still full: refused again, at once, on every door.
    await expectRestRefusal(await restCreate(w));
    await expectTrpcRefusal(await trpcCreate(w));
    await expectOAuthRefusal(await oauthToken(w));
    await expectConsistent(w, { contacts: rest.succeeded + trpc.succeeded, tokens: oauth.succeeded });

    // Space again: ready, and the writes go through.
    sqlite.pragma(`max_page_count = ${pages + 10_000}`);
    await expectReady(w);
    expect((await restCreate(w)).status).toBe(201);
    expect((await trpcCreate(w)).status).toBe(200);
    expect((await oauthToken(w)).status).toBe(200);
    await expectConsistent(w, { contacts: rest.succeeded + trpc.succeeded + 2, tokens: oauth.succeeded + 1 });
  });
});

describe("a read-only database (query_only on the server's connection: SQLITE_READONLY)", () => {
  let w: World;
  beforeEach(async () => {
    w = await world(fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-ro-")));
  });
  afterEach(async () => {
    await w.teardown();
    fs.rmSync(w.dir, { recursive: true, force: true });
  });

  it("refuses every write with 503 at once, and reads still work", async () => {
    const { user: admin, session: adminSession } = await w.bed.user("root@example.com", "admin");
    const svc = {
      db: w.bed.rt.db,
      clock: w.bed.rt.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "t" },
    };
    const adminToken = (await createToken(svc, admin.id, { name: "export", scopes: ["admin"] })).token;
    const cookie = await w.bed.sessionCookie(admin, adminSession.id);
    sqliteOf(w.bed.rt.db).pragma("query_only = ON");
    // The authorize page parks the request for the consent page: a page of its own, the same 503.
    const authorizePage = withUnavailablePage((req) => handleAuthorize(req, w.bed.rt));
    const parked = await authorizePage(
      authorizeRequest(
        {
          response_type: "code",
          client_id: w.oauthClient.clientId,
          redirect_uri: CALLBACK,
          state: "s1",
          code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
          code_challenge_method: "S256",
          scope: "contacts:read",
        },
        cookie,
      ),
    );
    expect(parked.status).toBe(503);
    expect(parked.headers.get("retry-after")).toBe("5");
    expect(parked.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await parked.text()).toContain("The database cannot be used right now");
    // The audit export (outside the two doors) writes its own audit entry first: refused the same way.
    await expectRestRefusal(
      await handleAuditExport(
        new Request(`${APP}${AUDIT_EXPORT_PATH}?format=csv`, { headers: { authorization: `Bearer ${adminToken}` } }),
        w.bed.rt,
      ),
    );
    await expectRestRefusal(await restCreate(w));
    await expectTrpcRefusal(await trpcCreate(w));
    await expectOAuthRefusal(await oauthToken(w));
    const read = await send(w, "/api/v1/contacts", { headers: { authorization: `Bearer ${w.token}` } });
    expect(read.status).toBe(200);
    // The dashboard reads too: its session's idle clock cannot be written, and that only keeps books.
    w.bed.rt.clock.advance(5 * 60_000);
    const dashboard = await send(w, `/api/trpc/contacts.list?input=${encodeURIComponent("{}")}`, {
      headers: { cookie },
    });
    expect(dashboard.status, await dashboard.clone().text()).toBe(200);
    await expectNotReady(w, "read_only");
    await expectConsistent(w, { contacts: 0, tokens: 0 });

    sqliteOf(w.bed.rt.db).pragma("query_only = OFF");
    await expectReady(w);
    expect((await restCreate(w)).status).toBe(201);
  });
});

describe("the write lock held elsewhere beyond the wait (SQLITE_BUSY)", () => {
  let w: World;
  beforeEach(async () => {
    w = await world(fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-busy-")));
  });
  afterEach(async () => {
    await w.teardown();
    fs.rmSync(w.dir, { recursive: true, force: true });
  });

  it("refuses the write with 503 and keeps /api/ready (a busy database is a working one)", async () => {
    // Another process (here: another connection) holds the write lock; the server waits briefly, not 5 s.
    const other = new Database(path.join(w.dir, "gatehouse.db"));
    sqliteOf(w.bed.rt.db).pragma("busy_timeout = 50");
    other.exec("BEGIN IMMEDIATE");
    try {
      await expectRestRefusal(await restCreate(w));
      await expectTrpcRefusal(await trpcCreate(w));
      expect((await ready(w)).status).toBe(200);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect((await restCreate(w)).status).toBe(201);
    await expectConsistent(w, { contacts: 1, tokens: 0 });
  });
});

describe("the database file deleted under the running server", () => {
  let w: World;
  beforeEach(async () => {
    w = await world(fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-gone-")));
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await w.teardown();
    fs.rmSync(w.dir, { recursive: true, force: true });
  });

  it("refuses writes (SQLite would write into the deleted file, lost at the next start) until it is back", async () => {
    const file = path.join(w.dir, "gatehouse.db");
    expect((await restCreate(w)).status).toBe(201);
    fs.linkSync(file, `${file}.kept`);
    fs.unlinkSync(file);
    vi.setSystemTime(Date.now() + 2_000);

    await expectRestRefusal(await restCreate(w));
    await expectTrpcRefusal(await trpcCreate(w));
    await expectOAuthRefusal(await oauthToken(w));
    await expectNotReady(w, "missing");
    // Another file at the path is not ours either.
    fs.writeFileSync(file, "");
    vi.setSystemTime(Date.now() + 2_000);
    await expectRestRefusal(await restCreate(w));
    await expectNotReady(w, "missing");

    fs.rmSync(file);
    fs.linkSync(`${file}.kept`, file);
    vi.setSystemTime(Date.now() + 2_000);
    await expectReady(w);
    expect((await restCreate(w)).status).toBe(201);
    await expectConsistent(w, { contacts: 2, tokens: 0 });
  });
});

/** Mounts a tmpfs of `sizeMiB` on a fresh folder and returns it. */
function mountTmpfs(sizeMiB: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0700`, "tmpfs", dir], { stdio: "pipe" });
    return dir;
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Unmounts; a busy mount (something of ours left open) is detached lazily, then reported. */
function unmount(dir: string): void {
  try {
    execFileSync("umount", [dir], { stdio: "pipe" });
  } catch (error) {
    execFileSync("umount", ["-l", dir]);
    throw error;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether this machine lets us mount a tmpfs (said loudly when not): tried once, and undone at once. */
function canMountTmpfs(): boolean {
  try {
    unmount(mountTmpfs(1));
    return true;
  } catch (error) {
    const bar = "!".repeat(78);
    console.warn(
      `\n${bar}\n!! SKIPPED: the real full-disk test: cannot mount a tmpfs here (${String((error as Error).message).split("\n")[0]})\n${bar}\n`,
    );
    return false;
  }
}

describe.skipIf(!canMountTmpfs())("a real full disk (a small tmpfs filled up: ENOSPC under SQLite)", () => {
  let tmpfs: string;
  let w: World;
  beforeEach(async () => {
    tmpfs = mountTmpfs(8);
    w = await world(tmpfs);
  });
  afterEach(async () => {
    await w.teardown();
    // Nothing of ours may keep a file open there (a connection opened while the disk was full included).
    unmount(tmpfs);
  });

  it("writes answer 503 while the disk is full, /api/ready says so, and both recover once space is freed", async () => {
    await expectReady(w);
    const filler = path.join(tmpfs, "filler");
    const fd = fs.openSync(filler, "w");
    try {
      const chunk = Buffer.alloc(64 * 1024);
      for (;;) fs.writeSync(fd, chunk);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.statfsSync(tmpfs).bavail * fs.statfsSync(tmpfs).bsize).toBeLessThan(MIN_FREE_BYTES);

    await expectNotReady(w, "full");
    const rest = await untilRefused(() => restCreate(w), 201);
    await expectRestRefusal(rest.refused);
    const trpc = await untilRefused(() => trpcCreate(w), 200);
    await expectTrpcRefusal(trpc.refused);
    const oauth = await untilRefused(() => oauthToken(w), 200);
    await expectOAuthRefusal(oauth.refused, { limiterToo: true });
    await expectConsistent(w, { contacts: rest.succeeded + trpc.succeeded, tokens: oauth.succeeded });

    fs.rmSync(filler);
    await expectReady(w);
    expect((await restCreate(w)).status).toBe(201);
    await expectConsistent(w, { contacts: rest.succeeded + trpc.succeeded + 1, tokens: oauth.succeeded });
  });
});

describe("/api/ready stays cheap", () => {
  let w: World;
  beforeEach(async () => {
    w = await world(fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-ready-")));
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await w.teardown();
    fs.rmSync(w.dir, { recursive: true, force: true });
  });

  it("probes at most once a second, and its probe write never reaches the disk", async () => {
    const file = path.join(w.dir, "gatehouse.db");
    const sqlite = sqliteOf(w.bed.rt.db);
    sqlite.pragma("wal_checkpoint(TRUNCATE)");
    const walBefore = fs.statSync(`${file}-wal`).size;
    const rowsBefore = sqlite.prepare("SELECT COUNT(*) AS n FROM rate_limit_counters").get();

    expect((await send(w, "/api/ready")).status).toBe(200);
    // A fault now is seen only once the answer is a second old: the probe ran once, not per request.
    sqlite.pragma("query_only = ON");
    for (let i = 0; i < 50; i++) expect((await send(w, "/api/ready")).status).toBe(200);
    vi.setSystemTime(Date.now() + 1_001);
    expect((await send(w, "/api/ready")).status).toBe(503);
    sqlite.pragma("query_only = OFF");

    // Many probes: nothing written (the probe row is rolled back before it reaches the WAL).
    for (let i = 0; i < 20; i++) expect((await ready(w)).status).toBe(200);
    expect(fs.statSync(`${file}-wal`).size).toBe(walBefore);
    expect(sqlite.prepare("SELECT COUNT(*) AS n FROM rate_limit_counters").get()).toEqual(rowsBefore);
  });
});

const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;
if (!hasRedisServer) {
  if (REQUIRE_SERVICES) throw new Error("redis-server is not installed, and REQUIRE_SERVICES=1 makes that a failure");
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPED: /api/ready with Redis unreachable: no redis-server binary\n${bar}\n`);
}

describe.skipIf(!hasRedisServer)("/api/ready with a configured Redis", () => {
  it("names redis while it hangs or is down, and is ready again when it answers", async () => {
    const redis = await startThrowawayRedis();
    const w = await world(fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-ready-redis-")), {
      rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, timeoutMs: 150, store: { kind: "redis", url: redis.url } },
    });
    try {
      const readyBody = async () => {
        const res = await ready(w);
        return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
      };
      let answer = await readyBody();
      for (let i = 0; i < 20 && answer.status !== 200; i++) answer = await readyBody();
      expect(answer).toMatchObject({ status: 200, body: { status: "ready", checks: { database: "ok", redis: "ok" } } });

      redis.pause();
      try {
        const started = performance.now();
        expect(await readyBody()).toMatchObject({
          status: 503,
          retryAfter: "5",
          body: {
            type: "urn:gatehouse:problem:not_ready",
            detail: "Not ready: redis (rate-limit store) cannot be reached",
            checks: { database: "ok", redis: "unreachable" },
          },
        });
        // Bounded by RATE_LIMIT_TIMEOUT: a hung Redis never hangs the probe.
        expect(performance.now() - started).toBeLessThan(1_500);
      } finally {
        redis.resume();
      }
      answer = await readyBody();
      for (let i = 0; i < 20 && answer.status !== 200; i++) answer = await readyBody();
      expect(answer.status).toBe(200);

      await redis.stop();
      expect(await readyBody()).toMatchObject({ status: 503, body: { checks: { redis: "unreachable" } } });
    } finally {
      await w.teardown();
      await redis.stop();
      fs.rmSync(w.dir, { recursive: true, force: true });
    }
  });
});
