/**
 * `npm run bench`: throughput and latency of the main request paths, side by
 * side in ONE run on one machine, with wrk as the load generator:
 *
 *   - a bare node:http hello world in a process of its own (the physical limit),
 *   - GET /api/health,
 *   - REST GET /api/v1/contacts?limit=20 with an API token, and with an OAuth JWT,
 *   - tRPC contacts.list (20) with a session cookie,
 *   - REST POST /api/v1/contacts with a contacts:write token,
 *   - a call refused with 429 (a token whose own rate limit is 1 per hour),
 *   - POST /oauth/token, client_credentials grant (Basic auth),
 *
 * against the production server (scripts/server.mjs: supervisor and
 * WEB_CONCURRENCY workers) on a fresh data folder seeded through the services.
 * Each path is run BENCH_ROUNDS times, interleaved (round 1: every path,
 * round 2: every path, ...); the table shows the median of the rounds, the
 * ratio to the bare server of the same run, and the peak resident memory of
 * the whole server (supervisor and workers) while the load ran.
 *
 * BENCH_STORES (comma list, default `sqlite`) picks the Gatehouse setups:
 *
 *   - `sqlite`: the server above (the only one of `npm run bench` without it),
 *   - `postgres`: one instance with the same WEB_CONCURRENCY on a fresh
 *     PostgreSQL database made for the run (gatehouse_bench_<pid>_<random>),
 *     with Redis for the rate limits (a RATE_LIMIT_PREFIX of the run's own),
 *     rows labelled `pg: …`,
 *   - `fleet`: two instances of WEB_CONCURRENCY=1 each (the cores shared as by
 *     one instance of two workers) on one fresh PostgreSQL database and Redis,
 *     behind nginx (round-robin, keep-alive to the instances; docs/deploy.md),
 *     wrk pointed at nginx, rows labelled `fleet-2: …`.
 *
 * Each PostgreSQL setup is seeded like the SQLite folder (same users, tokens,
 * contacts, OAuth clients), through the services on openDatabase(url) with
 * the instances' ENCRYPTION_KEYS; its rounds are interleaved with the SQLite
 * ones, path by path. Their RSS is summed over every Gatehouse process of
 * the setup (each instance's supervisor and workers, or its one process at
 * WEB_CONCURRENCY=1; nginx, PostgreSQL and Redis left out).
 * The summary ends with the issue's target: the fleet's list-20 req/s as a
 * share of the SQLite list-20 of the same run (>= 80 %) and its p99
 * (< 25 ms). The databases are dropped and the Redis keys deleted at the
 * end, also when the run fails or is interrupted. BENCH_POSTGRES_URL (a
 * database to connect to for CREATE/DROP DATABASE; default
 * postgres://postgres@127.0.0.1:5432/test), BENCH_REDIS_URL
 * (redis://127.0.0.1:6379) and NGINX_BIN (/usr/sbin/nginx) say where those are.
 *
 * `npm run bench -- --large` (or BENCH_LARGE=1) also fills a second data
 * folder with 1,000,000 contacts over 1,000 users and 1,000,000 audit
 * entries (bench-lib/large-data.ts), serves it from a second server, and
 * measures the token list-20 on it next to the small database's.
 *
 * Options (env): BENCH_DURATION seconds per run (10), BENCH_CONNECTIONS (32),
 * BENCH_ROUNDS (3), BENCH_WARMUP seconds of unmeasured load per path before
 * round 1 (2), BENCH_PORT (3900; the large server uses +1, the bare server
 * +2, the postgres instance +3, the fleet's instances +4 and +5, its nginx
 * +6), BENCH_ONLY=key,key to run some paths only (the keys of gatehousePaths
 * below, for every store of BENCH_STORES, or a row's own key such as
 * fleet-rest-token; the bare server always runs), BENCH_STORES as above,
 * BENCH_KEEP=1 to keep the data folders (the databases are dropped anyway),
 * WEB_CONCURRENCY passes through to the server. Rate limits are raised for
 * the run (except for the 429 path's token), since the point is to measure
 * the pipeline, not the limiter. Writes docs/benchmarks.latest.json.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Keyring } from "@/server/crypto/keyring";
import { createContact } from "@/server/services/contacts";
import type { ServiceContext } from "@/server/services/context";
import { createClient, getClientRow } from "@/server/services/oauth-clients";
import { createPendingAuthorization, decideConsent, openConsent } from "@/server/services/oauth-consent";
import { setOverride } from "@/server/services/rate-limit-overrides";
import { createToken } from "@/server/services/tokens";
import { bootstrapAdmin, createUser } from "@/server/services/users";
import { requireNginx, startNginx, UPSTREAM_KEEPALIVE } from "@/server/testing/nginx";
import { startBareServer } from "./bench-lib/bare-server";
import { type OpenFolder, openFolder } from "./bench-lib/folder";
import { generateLargeData, type LargeDataResult } from "./bench-lib/large-data";
import {
  type BenchDatabase,
  benchRedisPrefix,
  benchSecrets,
  createBenchDatabase,
  deleteRedisKeys,
  type OpenStore,
  openStore,
  postgresVersion,
  REDIS_URL,
  requirePostgresAndRedis,
} from "./bench-lib/postgres";
import { sampleTreeRss } from "./bench-lib/rss";
import { MissingWrkError, requireWrk, runWrk, type WrkRequest, type WrkResult } from "./bench-lib/wrk";
import { startLocalServer } from "./lib/local-server";

const ROOT = path.resolve(import.meta.dirname, "..");
const HOST = "127.0.0.1";
const PORT = Number(process.env.BENCH_PORT ?? 3900);
const LARGE_PORT = PORT + 1;
const BARE_PORT = PORT + 2;
const PG_PORT = PORT + 3;
const FLEET_PORTS = [PORT + 4, PORT + 5];
const NGINX_PORT = PORT + 6;
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const LARGE = process.argv.includes("--large") || process.env.BENCH_LARGE === "1";
const KEEP = process.env.BENCH_KEEP === "1";
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",").map((s) => s.trim())) : null;

/** The Gatehouse setups of BENCH_STORES, always in this order. */
type Store = "sqlite" | "postgres" | "fleet";
const STORE_ORDER: Store[] = ["sqlite", "postgres", "fleet"];
const STORES = parseStores(process.env.BENCH_STORES);
/** The fleet: instances of one worker each, so that together they use the cores one instance of two workers would. */
const FLEET_INSTANCES = FLEET_PORTS.length;
/** The issue's target for the fleet: list-20 (token) at >= 80 % of the SQLite server's req/s, p99 under 25 ms. */
const FLEET_SHARE_TARGET = 0.8;
const FLEET_P99_TARGET_MS = 25;

function parseStores(text: string | undefined): Store[] {
  const names = (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!STORE_ORDER.includes(name as Store))
      throw new Error(`BENCH_STORES: unknown store "${name}" (one or more of ${STORE_ORDER.join(", ")})`);
  }
  const chosen = names.length > 0 ? new Set(names) : new Set(["sqlite"]);
  return STORE_ORDER.filter((store) => chosen.has(store));
}

/** The large database: 1,000 users (999 generated + the benchmarked member) and a million of each. */
const LARGE_USERS = 999;
const LARGE_CONTACTS = 1_000_000;
const LARGE_AUDIT = 1_000_000;
const MEMBER_CONTACTS = 20;
/** The issue's target: list-20's p99 on the large database within 1.5x of the small one's. */
const LARGE_P99_TARGET = 1.5;

const ADMIN = { email: "bench-admin@example.com", password: "bench admin passphrase" };
const MEMBER = { email: "bench-member@example.com", password: "bench member passphrase" };
const WRITER = { email: "bench-writer@example.com", password: "bench writer passphrase" };
const LIMITED = { email: "bench-limited@example.com", password: "bench limited passphrase" };
const OAUTH_REDIRECT = "https://bench.example.com/callback";

for (const [name, value] of Object.entries({ DURATION, CONNECTIONS, ROUNDS, PORT })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_${name} must be a whole number >= 1`);
}
if (!Number.isInteger(WARMUP) || WARMUP < 0) throw new Error("BENCH_WARMUP must be a whole number >= 0");

function folderEnv(dataDir: string, port: number): Record<string, string | undefined> {
  return {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST,
    APP_URL: `http://localhost:${port}`,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
    RATE_LIMIT_API: "100000000/1m",
    RATE_LIMIT_ANON: "100000000/1m",
  };
}

const contactInput = (i: number) => ({
  name: `Contact ${i}`,
  email: `c${i}@example.com`,
  phone: "+41446681800",
  notes: "x".repeat(200),
});

/** The services of a data folder (bench-lib/folder.ts) or a PostgreSQL database (bench-lib/postgres.ts), as the CLI's. */
type BenchServices = ServiceContext & { keyring: Keyring };

/** The member of the list-20 paths: 20 contacts and a read token, through the services. */
async function seedMember(svc: BenchServices) {
  const member = await createUser(svc, { email: MEMBER.email, password: MEMBER.password, role: "member" });
  for (let i = 0; i < MEMBER_CONTACTS; i++) await createContact(svc, member.id, contactInput(i));
  const { token } = await createToken(svc, member.id, {
    name: "bench",
    scopes: ["contacts:read"],
    expiresInMs: 86_400_000,
  });
  return { memberId: member.id, token };
}

/** Everything the small server's paths need, through the same services the app uses. */
async function seedSmall(svc: BenchServices) {
  const { memberId, token } = await seedMember(svc);
  // The writer: POST /api/v1/contacts lands in its own account, so the member keeps exactly 20.
  const writer = await createUser(svc, { email: WRITER.email, password: WRITER.password, role: "member" });
  const writeToken = (
    await createToken(svc, writer.id, {
      name: "bench-write",
      scopes: ["contacts:write"],
      expiresInMs: 86400000,
    })
  ).token;
  // The refused path: a token whose own override (as `gatehouse limits override --token` sets it) is 1 per hour.
  const limited = await createUser(svc, { email: LIMITED.email, password: LIMITED.password, role: "member" });
  const limitedToken = await createToken(svc, limited.id, {
    name: "bench-limited",
    scopes: ["contacts:read"],
    expiresInMs: 86400000,
  });
  await setOverride(
    svc,
    { type: "token", id: limitedToken.id },
    { limit: 1, windowMs: 3_600_000, note: "npm run bench: every request after the first is refused" },
  );
  // A confidential client for the client_credentials grant.
  const machine = await createClient(svc, {
    name: "bench-machine",
    type: "confidential",
    redirectUris: [],
    grantTypes: ["client_credentials"],
    scopes: ["contacts:read"],
    accessTokenTtlSeconds: 3600,
  });
  return {
    memberId,
    token,
    writeToken,
    limitedToken: limitedToken.token,
    machine: { clientId: machine.client.id, clientSecret: machine.clientSecret ?? "" },
  };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

/**
 * An OAuth client the member has authorised, and a fresh authorization code
 * (through the same services as the consent page), redeemed over HTTP, so the
 * server signs the access token with its own key. Done once the server is up:
 * a code lives 60 s.
 */
async function oauthAccessToken(svc: BenchServices, issuer: string, base: string, memberId: string): Promise<string> {
  const created = await createClient(svc, {
    name: "bench",
    type: "confidential",
    redirectUris: [OAUTH_REDIRECT],
    grantTypes: ["authorization_code"],
    scopes: ["contacts:read"],
    accessTokenTtlSeconds: 3600,
  });
  const verifier = randomBytes(32).toString("base64url");
  const codeChallenge = createHash("sha256").update(verifier).digest("base64url");
  const client = await getClientRow(svc.db, created.client.id);
  const request = {
    client,
    redirectUri: OAUTH_REDIRECT,
    scopes: ["contacts:read" as const],
    state: null,
    codeChallenge,
  };
  const requestId = await createPendingAuthorization(svc, request, memberId);
  const view = await openConsent(svc, requestId, memberId);
  const outcome = await decideConsent(
    { ...svc, issuer },
    { requestId, userId: memberId, csrfToken: view?.csrfToken ?? "", allow: true },
  );
  if (outcome.kind !== "redirect") throw new Error("consent failed");
  const code = new URL(outcome.location).searchParams.get("code") ?? "";
  const res = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: basic(created.client.id, created.clientSecret ?? ""),
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: OAUTH_REDIRECT,
      code_verifier: verifier,
    }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`token request failed with status ${res.status}`);
  return body.access_token;
}

/** Signs in through NextAuth's endpoints exactly like the browser form, returning the session cookie. */
async function sessionCookie(base: string, appUrl: string): Promise<string> {
  const csrfRes = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = csrfRes.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: appUrl },
    body: new URLSearchParams({ csrfToken, email: MEMBER.email, password: MEMBER.password }),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith("gatehouse.session="));
  if (!session) throw new Error(`sign-in failed with status ${res.status}`);
  return session.split(";")[0] as string;
}

/** Which server a path loads: the bare one, the SQLite servers, the postgres instance, the fleet's nginx. */
type Target = "bare" | "small" | "large" | "pg" | "fleet";

type Seeded = Awaited<ReturnType<typeof seedSmall>>;

/** One Gatehouse setup of BENCH_STORES, seeded and serving. */
interface Deployment {
  store: Store;
  target: Exclude<Target, "bare" | "large">;
  /** Before the path keys of its rows ("" for SQLite: the keys of every earlier run). */
  keyPrefix: string;
  /** Before the labels of its rows ("" for SQLite). */
  labelPrefix: string;
  /** Where wrk goes: the server, or the fleet's nginx. */
  base: string;
  seeded: Seeded;
  accessToken: string;
  cookie: string;
}

interface PathSpec {
  /** The row's key: the path's key, after the setup's prefix (pg-rest-token, fleet-rest-token). */
  key: string;
  /** The path's own key, the same for every store (BENCH_ONLY). */
  pathKey: string;
  label: string;
  target: Target;
  /** null for the bare server. */
  store: Store | null;
  request: WrkRequest;
  /** Number of items a GET must return (checked once before the load). */
  items?: number;
  /**
   * Other statuses taken as this path's success when the first call answers
   * with one of them: then the load expects that status (and says so).
   */
  alsoAccept?: number[];
}

interface RoundResult extends WrkResult {
  round: number;
  rssPeakMb: number;
  processes: number;
}

interface Summary {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Over all rounds. */
  requests: number;
  errors: number;
  unexpected: number;
  socketErrors: number;
  statuses: Record<string, number>;
  /** Peak over all rounds. */
  rssPeakMb: number;
  processes: number;
  vsBare: { throughput: number; p50: number; p99: number } | null;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const r = (value: number, digits = 2) => Number(value.toFixed(digits));

function summarize(rounds: RoundResult[], bare: Summary | null): Summary {
  const statuses: Record<string, number> = {};
  for (const round of rounds)
    for (const [code, n] of Object.entries(round.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  const socket = rounds.reduce((s, x) => s + x.socket.connect + x.socket.read + x.socket.write + x.socket.timeout, 0);
  const summary: Summary = {
    reqPerSec: r(median(rounds.map((x) => x.reqPerSec)), 1),
    p50Ms: r(median(rounds.map((x) => x.p50Ms)), 3),
    p99Ms: r(median(rounds.map((x) => x.p99Ms)), 3),
    maxMs: r(median(rounds.map((x) => x.maxMs)), 3),
    requests: rounds.reduce((s, x) => s + x.requests, 0),
    errors: rounds.reduce((s, x) => s + x.errors, 0),
    unexpected: rounds.reduce((s, x) => s + x.unexpected, 0),
    socketErrors: socket,
    statuses,
    rssPeakMb: Math.max(...rounds.map((x) => x.rssPeakMb)),
    processes: Math.max(...rounds.map((x) => x.processes)),
    vsBare: null,
  };
  if (bare) {
    summary.vsBare = {
      throughput: r(summary.reqPerSec / bare.reqPerSec, 4),
      p50: r(summary.p50Ms / bare.p50Ms, 1),
      p99: r(summary.p99Ms / bare.p99Ms, 1),
    };
  }
  return summary;
}

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/** The label column: as wide as the longest label, never narrower than a SQLite-only run's. */
const labelWidth = (labels: string[]) => Math.max(46, ...labels.map((l) => l.length));

function line(label: string, s: Summary, width = 46): string {
  const share = s.vsBare ? `${(s.vsBare.throughput * 100).toFixed(1)}%` : "";
  const p99x = s.vsBare ? `${s.vsBare.p99.toFixed(1)}x` : "";
  return [
    label.padEnd(width),
    Math.round(s.reqPerSec).toLocaleString("en").padStart(8),
    share.padStart(7),
    ms(s.p50Ms).padStart(7),
    ms(s.p99Ms).padStart(7),
    p99x.padStart(7),
    ms(s.maxMs).padStart(7),
    String(s.unexpected).padStart(7),
    String(s.socketErrors).padStart(7),
    s.rssPeakMb.toFixed(0).padStart(7),
  ].join(" ");
}

const header = (width = 46) =>
  [
    "path".padEnd(width),
    "req/s".padStart(8),
    "of bare".padStart(7),
    "p50 ms".padStart(7),
    "p99 ms".padStart(7),
    "p99 /b".padStart(7),
    "max ms".padStart(7),
    "status!".padStart(7),
    "socket!".padStart(7),
    "RSS MB".padStart(7),
  ].join(" ");

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

async function portInUse(port: number): Promise<boolean> {
  try {
    await fetch(`http://${HOST}:${port}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return code !== "ECONNREFUSED";
  }
}

/** GET once and check the status (and the number of items) before loading a path. */
async function check(spec: PathSpec): Promise<void> {
  const res = await fetch(spec.request.url, {
    method: spec.request.method ?? "GET",
    headers: spec.request.headers,
    body: spec.request.body,
  });
  const text = await res.text();
  if (res.status !== spec.request.expect && spec.alsoAccept?.includes(res.status)) {
    console.log(
      `note: ${spec.label} answers ${res.status}, not ${spec.request.expect}: the load expects ${res.status}`,
    );
    spec.request.expect = res.status;
  }
  // The 429 path's first call is the one its quota allows.
  if (res.status !== spec.request.expect && !(spec.pathKey === "refused-429" && res.status === 200)) {
    throw new Error(`${spec.label}: expected ${spec.request.expect}, got ${res.status}: ${text.slice(0, 300)}`);
  }
  if (spec.items !== undefined) {
    const body = JSON.parse(text) as { items?: unknown[]; result?: { data?: { items?: unknown[] } } };
    const items = body.items ?? body.result?.data?.items ?? [];
    if (items.length !== spec.items)
      throw new Error(`${spec.label}: expected ${spec.items} items, got ${items.length}`);
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * The paths of the Gatehouse servers (PATHS), for one setup: the same
 * requests, on the same seeds, on SQLite, on one PostgreSQL instance and on
 * the fleet. Their keys are the ones BENCH_ONLY names.
 */
function gatehousePaths(d: Deployment): PathSpec[] {
  const { base, seeded } = d;
  const list = "/api/v1/contacts?limit=20";
  const trpcInput = encodeURIComponent(JSON.stringify({ limit: 20 }));
  const paths: Array<Pick<PathSpec, "key" | "label" | "request" | "items">> = [
    { key: "health", label: "GET /api/health", request: { url: `${base}/api/health`, expect: 200 } },
    {
      key: "rest-token",
      label: "REST GET /api/v1/contacts (20, API token)",
      request: { url: `${base}${list}`, headers: bearer(seeded.token), expect: 200 },
      items: 20,
    },
    {
      key: "rest-jwt",
      label: "REST GET /api/v1/contacts (20, OAuth JWT)",
      request: { url: `${base}${list}`, headers: bearer(d.accessToken), expect: 200 },
      items: 20,
    },
    {
      key: "trpc-session",
      label: "tRPC contacts.list (20, session cookie)",
      request: {
        url: `${base}/api/trpc/contacts.list?input=${trpcInput}`,
        headers: { cookie: d.cookie },
        expect: 200,
      },
      items: 20,
    },
    {
      key: "rest-create",
      label: "REST POST /api/v1/contacts (token, write)",
      request: {
        url: `${base}/api/v1/contacts`,
        method: "POST",
        headers: { ...bearer(seeded.writeToken), "content-type": "application/json" },
        body: JSON.stringify(contactInput(0)),
        expect: 201,
      },
    },
    {
      key: "refused-429",
      label: "REST GET /api/v1/contacts, refused (429)",
      request: { url: `${base}${list}`, headers: bearer(seeded.limitedToken), expect: 429 },
    },
    {
      key: "oauth-cc",
      label: "POST /oauth/token (client_credentials)",
      request: {
        url: `${base}/oauth/token`,
        method: "POST",
        headers: {
          authorization: basic(seeded.machine.clientId, seeded.machine.clientSecret),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "grant_type=client_credentials",
        expect: 200,
      },
    },
  ];
  return paths.map((p) => ({
    ...p,
    key: `${d.keyPrefix}${p.key}`,
    pathKey: p.key,
    label: `${d.labelPrefix}${p.label}`,
    target: d.target,
    store: d.store,
  }));
}

/** A PostgreSQL setup (postgres or fleet) before its servers start: its database made and seeded, its secrets and Redis prefix. */
interface PostgresSetup {
  store: "postgres" | "fleet";
  database: BenchDatabase;
  redisPrefix: string;
  secrets: ReturnType<typeof benchSecrets>;
  opened: OpenStore;
  seeded: Seeded;
  /** APP_URL of its instances (the fleet's: nginx's). */
  appOrigin: string;
  /** Where its paths are loaded. */
  base: string;
  instances: Array<{ id: string; port: number; webConcurrency: string | null }>;
}

async function main() {
  const wrkVersion = requireWrk();
  const usesPostgres = STORES.includes("postgres") || STORES.includes("fleet");
  const nginxVersion = STORES.includes("fleet") ? requireNginx() : null;
  if (usesPostgres) await requirePostgresAndRedis();
  const smallDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-"));
  const largeDir = LARGE ? fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-large-")) : null;
  // Anything in this process that would reach for the process-wide runtime finds the bench folder, never ./data.
  process.env.DATA_DIR = smallDir;
  process.env.LOG_LEVEL ??= "warn";
  const smallEnv = folderEnv(smallDir, PORT);
  const largeEnv = largeDir ? folderEnv(largeDir, LARGE_PORT) : null;
  const children: Partial<Record<Target, ChildProcess[]>> = {};
  const folders: OpenFolder[] = [];
  // The PostgreSQL setups' handles, databases, Redis prefixes, and their instances' (and nginx's) folders.
  const stores: OpenStore[] = [];
  const databases: BenchDatabase[] = [];
  const redisPrefixes: string[] = [];
  const dirs: string[] = [smallDir, ...(largeDir ? [largeDir] : [])];
  let nginx: ChildProcess | undefined;

  // Once, whether the run ends, fails or is interrupted: nothing of it is left on the machine's PostgreSQL or Redis.
  let cleaning: Promise<void> | null = null;
  const cleanUp = () => {
    cleaning ??= (async () => {
      const warn = (what: string) => (error: unknown) =>
        console.error(`bench: could not ${what}: ${(error as Error).message}`);
      for (const folder of folders) folder.close();
      for (const store of stores) await store.close().catch(warn("close a database handle"));
      await stop(nginx);
      await Promise.all(
        Object.values(children)
          .flatMap((list) => list ?? [])
          .map((child) => stop(child)),
      );
      for (const database of databases) await database.drop().catch(warn(`drop the database ${database.name}`));
      for (const prefix of redisPrefixes)
        await deleteRedisKeys(prefix).catch(warn(`delete the Redis keys ${prefix}:*`));
      if (KEEP) console.log(`kept the data folders: ${dirs.join(" ")}`);
      else for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    })();
    return cleaning;
  };
  // Handled for good, not once: Ctrl-C reaches this process more than once (from the terminal, relayed by npm and
  // tsx), and a second signal with no handler would end it in the middle of dropping the databases.
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    console.error(`\nbench: ${signal}: stopping the servers and dropping the run's databases`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const ports = [
      ...(STORES.includes("sqlite") ? [PORT] : []),
      BARE_PORT,
      ...(LARGE ? [LARGE_PORT] : []),
      ...(STORES.includes("postgres") ? [PG_PORT] : []),
      ...(STORES.includes("fleet") ? [...FLEET_PORTS, NGINX_PORT] : []),
    ];
    for (const port of ports) {
      if (await portInUse(port)) throw new Error(`port ${port} is in use on ${HOST}; choose another BENCH_PORT`);
    }

    // The large folder first: it takes minutes, and nothing else runs meanwhile.
    let large: (LargeDataResult & { memberContacts: number; benchProcessPeakRssMb: number }) | null = null;
    let largeToken: string | null = null;
    if (largeDir && largeEnv) {
      console.log(
        `large database: ${LARGE_USERS} users, ${LARGE_CONTACTS.toLocaleString("en")} contacts, ${LARGE_AUDIT.toLocaleString("en")} audit entries in ${largeDir}`,
      );
      const folder = openFolder(largeEnv);
      folders.push(folder);
      await bootstrapAdmin(folder.db, folder.svc.clock, ADMIN);
      const generated = await generateLargeData(folder.svc, {
        env: largeEnv,
        users: LARGE_USERS,
        contacts: LARGE_CONTACTS - MEMBER_CONTACTS,
        audit: LARGE_AUDIT,
        onProgress: (text) => console.log(`  ${text}`),
      });
      largeToken = (await seedMember(folder.svc)).token;
      folder.close();
      large = {
        ...generated,
        memberContacts: MEMBER_CONTACTS,
        benchProcessPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      };
      console.log(
        `  generated in ${generated.seconds.total} s (rows ${generated.seconds.rows} s, indexes ${generated.seconds.indexes} s); ` +
          `database ${generated.databaseMegabytes} MB; this process peaked at ${large.benchProcessPeakRssMb} MB RSS`,
      );
    }

    let small: OpenFolder | null = null;
    let smallSeeded: Seeded | null = null;
    if (STORES.includes("sqlite")) {
      small = openFolder(smallEnv);
      folders.push(small);
      await bootstrapAdmin(small.db, small.svc.clock, ADMIN);
      smallSeeded = await seedSmall(small.svc);
    }

    // A fresh database per PostgreSQL setup, seeded through the same services before its instances start.
    const preparePostgres = async (
      store: PostgresSetup["store"],
      appPort: number,
      instances: PostgresSetup["instances"],
    ): Promise<PostgresSetup> => {
      const database = await createBenchDatabase();
      databases.push(database);
      const redisPrefix = benchRedisPrefix(store === "postgres" ? "pg" : "fleet");
      redisPrefixes.push(redisPrefix);
      const secrets = benchSecrets();
      const opened = openStore(database.url, secrets.encryptionKeys);
      stores.push(opened);
      await bootstrapAdmin(opened.db, opened.svc.clock, ADMIN);
      const seeded = await seedSmall(opened.svc);
      return {
        store,
        database,
        redisPrefix,
        secrets,
        opened,
        seeded,
        appOrigin: `http://localhost:${appPort}`,
        base: `http://${HOST}:${appPort}`,
        instances,
      };
    };
    const pgSetup = STORES.includes("postgres")
      ? await preparePostgres("postgres", PG_PORT, [
          { id: "bench-pg-1", port: PG_PORT, webConcurrency: process.env.WEB_CONCURRENCY ?? null },
        ])
      : null;
    const fleetSetup = STORES.includes("fleet")
      ? await preparePostgres(
          "fleet",
          NGINX_PORT,
          FLEET_PORTS.map((port, i) => ({ id: `bench-fleet-${i + 1}`, port, webConcurrency: "1" })),
        )
      : null;
    /** One instance's environment: its own data folder and port, the setup's database, Redis, keys and APP_URL. */
    const instanceEnv = (setup: PostgresSetup, instance: PostgresSetup["instances"][number]) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-${instance.id}-`));
      dirs.push(dataDir);
      return {
        ...folderEnv(dataDir, instance.port),
        APP_URL: setup.appOrigin,
        DATABASE_URL: setup.database.url,
        REDIS_URL,
        RATE_LIMIT_PREFIX: setup.redisPrefix,
        ENCRYPTION_KEYS: setup.secrets.encryptionKeys,
        AUTH_SECRET: setup.secrets.authSecret,
        INSTANCE_ID: instance.id,
        ...(instance.webConcurrency ? { WEB_CONCURRENCY: instance.webConcurrency } : {}),
        // Behind nginx: the client address and scheme come from its X-Forwarded-* headers.
        ...(setup.store === "fleet" ? { TRUSTED_PROXIES: HOST } : {}),
      };
    };

    const base = `http://${HOST}:${PORT}`;
    const largeBase = `http://${HOST}:${LARGE_PORT}`;
    const bareBase = `http://${HOST}:${BARE_PORT}`;
    children.bare = [await startBareServer(HOST, BARE_PORT)];
    if (small) children.small = [await startLocalServer(base, smallEnv)];
    if (largeEnv) children.large = [await startLocalServer(largeBase, largeEnv)];
    for (const setup of [pgSetup, fleetSetup]) {
      if (!setup) continue;
      const target = setup.store === "postgres" ? "pg" : "fleet";
      // The fleet's instances start together on the empty-but-seeded database, as docs/deploy.md has them.
      const started = await Promise.allSettled(
        setup.instances.map((instance) =>
          startLocalServer(`http://${HOST}:${instance.port}`, instanceEnv(setup, instance)),
        ),
      );
      children[target] = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
      const failed = started.find((s) => s.status === "rejected");
      if (failed) throw new Error(`a ${setup.store} instance did not start: ${(failed.reason as Error).message}`);
    }
    if (fleetSetup) {
      const nginxDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-nginx-"));
      dirs.push(nginxDir);
      nginx = await startNginx(
        nginxDir,
        HOST,
        NGINX_PORT,
        fleetSetup.instances.map((i) => i.port),
      );
    }

    const deployments: Deployment[] = [];
    if (small && smallSeeded) {
      const accessToken = await oauthAccessToken(small.svc, small.config.appUrl.origin, base, smallSeeded.memberId);
      const cookie = await sessionCookie(base, small.config.appUrl.origin);
      small.close();
      deployments.push({
        store: "sqlite",
        target: "small",
        keyPrefix: "",
        labelPrefix: "",
        base,
        seeded: smallSeeded,
        accessToken,
        cookie,
      });
    }
    for (const setup of [pgSetup, fleetSetup]) {
      if (!setup) continue;
      const accessToken = await oauthAccessToken(setup.opened.svc, setup.appOrigin, setup.base, setup.seeded.memberId);
      const cookie = await sessionCookie(setup.base, setup.appOrigin);
      await setup.opened.close();
      const pg = setup.store === "postgres";
      deployments.push({
        store: setup.store,
        target: pg ? "pg" : "fleet",
        keyPrefix: pg ? "pg-" : "fleet-",
        labelPrefix: pg ? "pg: " : `fleet-${FLEET_INSTANCES}: `,
        base: setup.base,
        seeded: setup.seeded,
        accessToken,
        cookie,
      });
    }

    const list = "/api/v1/contacts?limit=20";
    const bareSpec: PathSpec = {
      key: "bare",
      pathKey: "bare",
      label: "bare node:http hello world",
      target: "bare",
      store: null,
      request: { url: `${bareBase}/`, expect: 200 },
    };
    const perDeployment = deployments.map(gatehousePaths);
    const largeSpecs: PathSpec[] = largeToken
      ? [
          {
            key: "large-rest-token",
            pathKey: "large-rest-token",
            label: "1M db: REST GET /api/v1/contacts (20, token)",
            target: "large",
            store: "sqlite",
            request: { url: `${largeBase}${list}`, headers: bearer(largeToken), expect: 200 },
            items: 20,
          },
        ]
      : [];
    const selected = (p: PathSpec) => p.key === "bare" || !ONLY || ONLY.has(p.pathKey) || ONLY.has(p.key);
    // Run order: path by path, each on every setup in turn, so that the setups of one path are measured close together.
    const paths = [
      bareSpec,
      ...(perDeployment[0] ?? []).flatMap((_, i) => perDeployment.map((specs) => specs[i] as PathSpec)),
      ...largeSpecs,
    ].filter(selected);
    // Table order: setup by setup (SQLite, its large database, pg, fleet).
    const [sqliteSpecs, ...postgresSpecs] = deployments[0]?.store === "sqlite" ? perDeployment : [[], ...perDeployment];
    const tableOrder = [bareSpec, ...(sqliteSpecs ?? []), ...largeSpecs, ...postgresSpecs.flat()].filter(selected);
    const width = labelWidth(paths.map((p) => p.label));

    for (const spec of paths) await check(spec);
    const cores = os.cpus().length;
    console.log(
      `\n${wrkVersion}: -t1 -c${CONNECTIONS} -d${DURATION}s, ${ROUNDS} round(s) interleaved, ${WARMUP} s warm-up per path; ` +
        `${cores} cores (${os.cpus()[0]?.model ?? "?"}), node ${process.version}, WEB_CONCURRENCY=${process.env.WEB_CONCURRENCY ?? `(default: ${cores})`}`,
    );
    const pgVersion = usesPostgres ? await postgresVersion() : null;
    if (pgSetup) {
      console.log(
        `pg: one instance (WEB_CONCURRENCY as above) on PostgreSQL ${pgVersion}, database ${pgSetup.database.name}, ` +
          `rate limits in Redis (prefix ${pgSetup.redisPrefix})`,
      );
    }
    if (fleetSetup) {
      console.log(
        `fleet-${FLEET_INSTANCES}: ${FLEET_INSTANCES} instances of WEB_CONCURRENCY=1 on PostgreSQL ${pgVersion}, database ${fleetSetup.database.name}, ` +
          `Redis (prefix ${fleetSetup.redisPrefix}), behind nginx ${nginxVersion} (1 worker process, round-robin, keepalive ${UPSTREAM_KEEPALIVE}) on port ${NGINX_PORT}`,
      );
    }
    const loadBefore = os.loadavg().map((x) => r(x));
    console.log(`load average before: ${loadBefore.join(" ")}\n`);

    const wrkOptions = { connections: CONNECTIONS, durationSeconds: DURATION };
    if (WARMUP > 0) {
      // Unmeasured: the first requests compile code paths and fill caches (and spend the 429 token's one call).
      for (const spec of paths) await runWrk(spec.request, { connections: 4, durationSeconds: WARMUP });
    }

    const results = new Map<string, RoundResult[]>(paths.map((p) => [p.key, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const spec of paths) {
        // Every Gatehouse process of the setup: the server's tree, or each instance's of the fleet (nginx left out).
        const pids = (children[spec.target] ?? []).flatMap((child) => (child.pid ? [child.pid] : []));
        if (pids.length === 0) throw new Error(`no ${spec.target} server`);
        const stopSampling = sampleTreeRss(pids);
        const result = await runWrk(spec.request, wrkOptions);
        const rss = stopSampling();
        const row: RoundResult = {
          round,
          ...result,
          rssPeakMb: r(rss.peakBytes / 1_048_576, 1),
          processes: rss.processes,
        };
        results.get(spec.key)?.push(row);
        console.log(
          `round ${round}/${ROUNDS}  ${spec.label.padEnd(width)} ${Math.round(row.reqPerSec).toString().padStart(6)} req/s  ` +
            `p50 ${ms(row.p50Ms)}  p99 ${ms(row.p99Ms)}  max ${ms(row.maxMs)} ms  ` +
            `unexpected status ${row.unexpected}, socket errors ${row.errors - row.unexpected}  RSS ${row.rssPeakMb.toFixed(0)} MB (${row.processes} proc)`,
        );
      }
    }
    const loadAfter = os.loadavg().map((x) => r(x));

    const bareSummary = summarize(results.get("bare") ?? [], null);
    const rows = tableOrder.map((spec) => {
      const summary = spec.key === "bare" ? bareSummary : summarize(results.get(spec.key) ?? [], bareSummary);
      return {
        key: spec.key,
        path: spec.label,
        server: spec.target,
        store: spec.store,
        pathKey: spec.pathKey,
        method: spec.request.method ?? "GET",
        url: new URL(spec.request.url).pathname + new URL(spec.request.url).search,
        expect: spec.request.expect,
        median: summary,
        rounds: results.get(spec.key) ?? [],
      };
    });

    console.log(
      `\nmedian of ${ROUNDS} round(s). of bare: req/s as a share of the bare server's; p99 /b: p99 as a multiple of its p99.`,
    );
    console.log(
      "status!: responses with another status than expected, socket!: wrk's connect/read/write/timeout errors,",
    );
    const rssLegend =
      "both summed over all rounds. RSS MB: peak resident memory of the server's whole process tree under load.";
    if (usesPostgres) {
      console.log(rssLegend);
      console.log(
        `For the pg: and fleet-${FLEET_INSTANCES}: rows, summed over every Gatehouse process of the setup (each instance's ` +
          "supervisor and workers, or its one process at WEB_CONCURRENCY=1); nginx, PostgreSQL and Redis are left out.\n",
      );
    } else console.log(`${rssLegend}\n`);
    console.log(header(width));
    for (const row of rows) console.log(line(row.path, row.median, width));

    let comparison: Record<string, unknown> | null = null;
    const smallList = rows.find((x) => x.key === "rest-token");
    const largeList = rows.find((x) => x.key === "large-rest-token");
    if (smallList && largeList) {
      const ratio = r(largeList.median.p99Ms / smallList.median.p99Ms, 2);
      comparison = {
        smallP99Ms: smallList.median.p99Ms,
        largeP99Ms: largeList.median.p99Ms,
        ratio,
        target: LARGE_P99_TARGET,
        withinTarget: ratio <= LARGE_P99_TARGET,
        smallReqPerSec: smallList.median.reqPerSec,
        largeReqPerSec: largeList.median.reqPerSec,
      };
      console.log(
        `\nlist-20 (token) p99: 1M database ${ms(largeList.median.p99Ms)} ms vs small ${ms(smallList.median.p99Ms)} ms = ${ratio}x ` +
          `(target <= ${LARGE_P99_TARGET}x: ${ratio <= LARGE_P99_TARGET ? "met" : "NOT met"})`,
      );
    }

    const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
    const reqs = (value: number) => Math.round(value).toLocaleString("en");
    const pgList = rows.find((x) => x.key === "pg-rest-token");
    if (pgList && smallList) {
      console.log(
        `\npg list-20 (token): ${reqs(pgList.median.reqPerSec)} req/s = ${pct(pgList.median.reqPerSec / smallList.median.reqPerSec)} ` +
          `of SQLite's ${reqs(smallList.median.reqPerSec)} req/s; p99 ${ms(pgList.median.p99Ms)} ms vs ${ms(smallList.median.p99Ms)} ms`,
      );
    }
    // The issue's target line: the fleet of two against the SQLite server of the same run.
    let fleetComparison: Record<string, unknown> | null = null;
    const fleetList = rows.find((x) => x.key === "fleet-rest-token");
    if (fleetList) {
      const share = smallList ? r(fleetList.median.reqPerSec / smallList.median.reqPerSec, 4) : null;
      const shareMet = share === null ? null : share >= FLEET_SHARE_TARGET;
      const p99Met = fleetList.median.p99Ms < FLEET_P99_TARGET_MS;
      fleetComparison = {
        instances: FLEET_INSTANCES,
        webConcurrencyPerInstance: 1,
        fleetReqPerSec: fleetList.median.reqPerSec,
        sqliteReqPerSec: smallList?.median.reqPerSec ?? null,
        share,
        shareTarget: FLEET_SHARE_TARGET,
        shareWithinTarget: shareMet,
        fleetP99Ms: fleetList.median.p99Ms,
        p99TargetMs: FLEET_P99_TARGET_MS,
        p99WithinTarget: p99Met,
        withinTarget: shareMet === null ? null : shareMet && p99Met,
      };
      const met = (ok: boolean) => (ok ? "met" : "NOT met");
      const shareText =
        share === null
          ? "no SQLite list-20 in this run to compare with (add sqlite to BENCH_STORES)"
          : `${pct(share)} of SQLite's ${reqs(smallList?.median.reqPerSec ?? 0)} req/s (target >= ${pct(FLEET_SHARE_TARGET)}: ${met(share >= FLEET_SHARE_TARGET)})`;
      console.log(
        `${pgList && smallList ? "" : "\n"}fleet of ${FLEET_INSTANCES} (WEB_CONCURRENCY=1 each, nginx) list-20 (token): ` +
          `${reqs(fleetList.median.reqPerSec)} req/s = ${shareText}; ` +
          `p99 ${ms(fleetList.median.p99Ms)} ms (target < ${FLEET_P99_TARGET_MS} ms: ${met(p99Met)})`,
      );
    } else if (fleetSetup) {
      console.log("\nfleet target: not measured (BENCH_ONLY leaves out rest-token)");
    }

    const setupJson = (setup: PostgresSetup | null) =>
      setup && {
        store: setup.store,
        database: setup.database.name,
        databaseDropped: "at the end of the run",
        redisPrefix: setup.redisPrefix,
        instances: setup.instances,
        nginx:
          setup.store === "fleet"
            ? { version: nginxVersion, port: NGINX_PORT, workerProcesses: 1, upstreamKeepalive: UPSTREAM_KEEPALIVE }
            : null,
      };
    const out = {
      at: new Date().toISOString(),
      tool: { wrk: wrkVersion, threads: 1, connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP },
      rounds: ROUNDS,
      statistic: "median of rounds (errors: sum; RSS: peak)",
      machine: {
        cores,
        cpuModel: os.cpus()[0]?.model ?? null,
        memoryMb: Math.round(os.totalmem() / 1_048_576),
        node: process.version,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAfter,
      },
      webConcurrency: process.env.WEB_CONCURRENCY ?? null,
      nextDistDir: process.env.NEXT_DIST_DIR ?? ".next",
      large,
      largeComparison: comparison,
      stores: STORES,
      postgres: usesPostgres
        ? {
            version: pgVersion,
            redis: new URL(REDIS_URL).host,
            rss: "summed over every Gatehouse process of the setup (each instance's supervisor and workers, or its one process at WEB_CONCURRENCY=1); nginx, PostgreSQL and Redis left out",
            setups: [setupJson(pgSetup), setupJson(fleetSetup)].filter(Boolean),
          }
        : null,
      fleetComparison,
      rows,
    };
    const outFile = path.join(ROOT, "docs", "benchmarks.latest.json");
    fs.writeFileSync(outFile, `${JSON.stringify(out, null, 2)}\n`);
    // In the project's format, so `biome check` stays clean after a run.
    const biome = path.join(ROOT, "node_modules", ".bin", "biome");
    if (fs.existsSync(biome)) spawnSync(biome, ["format", "--write", outFile], { cwd: ROOT, stdio: "ignore" });
    console.log("\nwrote docs/benchmarks.latest.json");
  } finally {
    await cleanUp();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

main().catch((error) => {
  console.error(error instanceof MissingWrkError ? `bench: ${error.message}` : error);
  process.exit(1);
});
