/**
 * `npm run bench`: throughput and latency of the main request paths, measured
 * with autocannon against a real production server (scripts/server.mjs) on a
 * fresh data folder. Prints a table and writes docs/benchmarks.latest.json.
 *
 * Options (env): BENCH_DURATION seconds per run (default 10), BENCH_CONNECTIONS
 * (default 32), BENCH_PORT (default 3900). Rate limits are raised for the run,
 * since the point is to measure the pipeline, not the limiter.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { startLocalServer } from "./lib/local-server";

const ROOT = path.resolve(import.meta.dirname, "..");
const PORT = Number(process.env.BENCH_PORT ?? 3900);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN = { email: "bench-admin@example.com", password: "bench admin passphrase" };
const MEMBER = { email: "bench-member@example.com", password: "bench member passphrase" };

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-"));
const env = {
  ...process.env,
  DATA_DIR: dataDir,
  PORT: String(PORT),
  HOST: "127.0.0.1",
  APP_URL: `http://localhost:${PORT}`,
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  LOG_LEVEL: "warn",
  NEXT_TELEMETRY_DISABLED: "1",
  RATE_LIMIT_API: "100000000/1m",
  RATE_LIMIT_ANON: "100000000/1m",
};

/** Seeds through the same services the app uses, on the server's data folder. */
async function seed() {
  process.env.DATA_DIR = dataDir;
  const { createUser } = await import("../server/services/users");
  const { createContact } = await import("../server/services/contacts");
  const { createToken } = await import("../server/services/tokens");
  const { createCliContext } = await import("../server/cli/context");
  // The operator's service context: the same services, audited as actor `cli`.
  const svc = createCliContext().services();
  const member = await createUser(svc, { email: MEMBER.email, password: MEMBER.password, role: "member" });
  for (let i = 0; i < 20; i++) {
    createContact(svc, member.id, {
      name: `Contact ${i}`,
      email: `c${i}@example.com`,
      phone: "+41446681800",
      notes: "x".repeat(200),
    });
  }
  const { token } = createToken(svc, member.id, { name: "bench", scopes: ["contacts:read"], expiresInMs: 86_400_000 });
  return { token, oauthCode: await oauthCode(svc, member.id) };
}

const OAUTH_REDIRECT = "https://bench.example.com/callback";

/**
 * An OAuth client the member has authorised, and a fresh authorization code
 * (through the same services as the consent page); the code is redeemed over
 * HTTP, so the server signs the access token with its own key.
 */
async function oauthCode(svc: import("../server/services/context").ServiceContext, memberId: string) {
  const { createHash, randomBytes } = await import("node:crypto");
  const { createClient, getClientRow } = await import("../server/services/oauth-clients");
  const { createPendingAuthorization, openConsent, decideConsent } = await import("../server/services/oauth-consent");
  const created = createClient(svc, {
    name: "bench",
    type: "confidential",
    redirectUris: [OAUTH_REDIRECT],
    grantTypes: ["authorization_code"],
    scopes: ["contacts:read"],
    accessTokenTtlSeconds: 3600,
  });
  const verifier = randomBytes(32).toString("base64url");
  const codeChallenge = createHash("sha256").update(verifier).digest("base64url");
  const client = getClientRow(svc.db, created.client.id);
  const request = {
    client,
    redirectUri: OAUTH_REDIRECT,
    scopes: ["contacts:read" as const],
    state: null,
    codeChallenge,
  };
  const requestId = createPendingAuthorization(svc, request, memberId);
  const view = openConsent(svc, requestId, memberId);
  const outcome = decideConsent(
    { ...svc, issuer: env.APP_URL },
    { requestId, userId: memberId, csrfToken: view?.csrfToken ?? "", allow: true },
  );
  if (outcome.kind !== "redirect") throw new Error("consent failed");
  const code = new URL(outcome.location).searchParams.get("code") ?? "";
  return { clientId: created.client.id, clientSecret: created.clientSecret ?? "", code, verifier };
}

async function oauthAccessToken(grant: { clientId: string; clientSecret: string; code: string; verifier: string }) {
  const res = await fetch(`${BASE}/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${grant.clientId}:${grant.clientSecret}`).toString("base64")}`,
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: grant.code,
      redirect_uri: OAUTH_REDIRECT,
      code_verifier: grant.verifier,
    }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`token request failed with status ${res.status}`);
  return body.access_token;
}

/** Signs in through NextAuth's endpoints exactly like the browser form, returning the session cookie. */
async function sessionCookie(): Promise<string> {
  const csrfRes = await fetch(`${BASE}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = csrfRes.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const res = await fetch(`${BASE}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: env.APP_URL },
    body: new URLSearchParams({ csrfToken, email: MEMBER.email, password: MEMBER.password }),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith("gatehouse.session="));
  if (!session) throw new Error(`sign-in failed with status ${res.status}`);
  return session.split(";")[0] as string;
}

interface Row {
  name: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function run(
  name: string,
  opts: { path: string; headers?: Record<string, string>; expect?: number },
): Promise<Row> {
  // Warm-up: the first requests compile routes and fill caches.
  await autocannon({ url: `${BASE}${opts.path}`, headers: opts.headers, connections: 4, amount: 200 });
  const result = await autocannon({
    url: `${BASE}${opts.path}`,
    headers: opts.headers,
    connections: CONNECTIONS,
    duration: DURATION,
  });
  const row = {
    name,
    reqPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
  };
  console.log(
    `${name.padEnd(34)} ${String(row.reqPerSec).padStart(7)} req/s   p50 ${row.p50} ms   p99 ${row.p99} ms   non-2xx ${row.non2xx}`,
  );
  return row;
}

async function main() {
  const server = await startLocalServer(BASE, env);
  try {
    const { token, oauthCode: grant } = await seed();
    const cookie = await sessionCookie();
    const accessToken = await oauthAccessToken(grant);
    console.log(
      `\nautocannon: ${CONNECTIONS} connections, ${DURATION} s per run, ${os.cpus().length} cores, node ${process.version}\n`,
    );
    const input = encodeURIComponent(JSON.stringify({ limit: 20 }));
    const rows = [
      await run("GET /api/health", { path: "/api/health" }),
      await run("tRPC contacts.list (20, session)", {
        path: `/api/trpc/contacts.list?input=${input}`,
        headers: { cookie },
      }),
      await run("REST GET /api/v1/contacts (20, token)", {
        path: "/api/v1/contacts?limit=20",
        headers: { authorization: `Bearer ${token}` },
      }),
      await run("REST GET /api/v1/contacts (20, OAuth JWT)", {
        path: "/api/v1/contacts?limit=20",
        headers: { authorization: `Bearer ${accessToken}` },
      }),
    ];
    fs.writeFileSync(
      path.join(ROOT, "docs", "benchmarks.latest.json"),
      `${JSON.stringify({ at: new Date().toISOString(), connections: CONNECTIONS, durationSeconds: DURATION, cores: os.cpus().length, node: process.version, rows }, null, 2)}\n`,
    );
  } finally {
    server.kill("SIGTERM");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
