import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../testing/free-port";

/**
 * HTTPS behind a real TLS terminator: Debian's nginx in front of Gatehouse's
 * production server (scripts/server.mjs), with a self-signed certificate made
 * by openssl for this run. Proves, over the wire:
 * - over https (through nginx, a trusted proxy): sign-in works and sets
 *   `__Host-` Secure HttpOnly SameSite=Lax cookies without Domain; a REST call
 *   with a token works; every answer carries HSTS;
 * - plain http straight to the app's port: a page is redirected (308) to
 *   APP_URL, an API call is refused (403 https_required) and not processed,
 *   and no HSTS is sent;
 * - `X-Forwarded-Proto: https` sent to the app's port by a peer that is not
 *   in TRUSTED_PROXIES (here 127.0.0.2) changes nothing, while the same
 *   header from the trusted proxy address does count.
 *
 * Needs nginx, openssl and a production build at least as new as the
 * transport code (TLS_TEST_BUILD_DIR, default `.next`). Without them it
 * skips, loudly. With REQUIRE_SERVICES=1 a missing nginx or openssl fails
 * instead; a missing or stale build fails only when TLS_TEST_BUILD_DIR names
 * it explicitly, because `npm test` runs vitest before `next build` (CI runs
 * this file again after the build; see docs/transport-security.md).
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const NGINX = process.env.NGINX_BIN ?? "/usr/sbin/nginx";
const BUILD_DIR = path.relative(ROOT, path.resolve(ROOT, process.env.TLS_TEST_BUILD_DIR ?? ".next"));
const ADMIN = { email: "tls-admin@example.com", password: "tls admin passphrase 1" };
const UNTRUSTED_LOCAL_ADDRESS = "127.0.0.2";

/** Files whose change makes a build too old to test the transport rules against. */
const TRANSPORT_SOURCES = [
  "proxy.ts",
  "scripts/server.mjs",
  "next.config.mjs",
  "server/security/headers.ts",
  "server/security/https.ts",
  "server/security/client-ip.ts",
  "server/security/cors.ts",
  "server/http/api-guard.ts",
  "server/http/api-headers.ts",
];

function missingPrerequisite(): { reason: string; build: boolean } | null {
  const tools = missingTool();
  if (tools) return { reason: tools, build: false };
  const build = missingBuild();
  return build ? { reason: build, build: true } : null;
}

function missingBuild(): string | null {
  const buildId = path.join(ROOT, BUILD_DIR, "BUILD_ID");
  if (!fs.existsSync(buildId)) {
    return `no production build in ${BUILD_DIR} (run: NEXT_DIST_DIR=${BUILD_DIR} npx next build, or set TLS_TEST_BUILD_DIR)`;
  }
  const built = fs.statSync(buildId).mtimeMs;
  const newer = TRANSPORT_SOURCES.find((file) => {
    const full = path.join(ROOT, file);
    return fs.existsSync(full) && fs.statSync(full).mtimeMs > built;
  });
  if (newer)
    return `the build in ${BUILD_DIR} is older than ${newer} (rebuild: NEXT_DIST_DIR=${BUILD_DIR} npx next build)`;
  return null;
}

function missingTool(): string | null {
  if (!fs.existsSync(NGINX)) return `nginx not found at ${NGINX} (apt-get install nginx, or set NGINX_BIN)`;
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    return "openssl not found";
  }
  return null;
}

const prerequisite = missingPrerequisite();
const missing = prerequisite?.reason ?? null;
if (prerequisite) {
  const required =
    process.env.REQUIRE_SERVICES === "1" && (!prerequisite.build || process.env.TLS_TEST_BUILD_DIR !== undefined);
  if (required) throw new Error(`TLS integration test cannot run: ${prerequisite.reason} (REQUIRE_SERVICES=1)`);
  console.warn(
    `\n${"!".repeat(78)}\n!! SKIPPED server/http/tls.integration.test.ts (nginx TLS terminator): ${prerequisite.reason}\n${"!".repeat(78)}\n`,
  );
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with node:http(s), so we see raw Set-Cookie lines and can choose the local address. */
function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer; localAddress?: string } = {},
): Promise<Answer> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: opts.method ?? "GET",
        headers: { ...(opts.body ? { "content-length": String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
        ca: opts.ca,
        localAddress: opts.localAddress,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.end(opts.body);
  });
}

const cookiePair = (setCookie: string) => setCookie.split(";")[0] as string;

describe.skipIf(missing !== null)("behind nginx as TLS terminator", () => {
  let dir: string;
  let app: ChildProcess | undefined;
  let nginx: ChildProcess | undefined;
  let appPort: number;
  let tlsPort: number;
  let ca: Buffer;
  let httpsOrigin: string;
  let appLog = "";

  const viaTls = (p: string, opts: Parameters<typeof call>[1] = {}) => call(`${httpsOrigin}${p}`, { ...opts, ca });
  const direct = (p: string, opts: Parameters<typeof call>[1] = {}) => call(`http://127.0.0.1:${appPort}${p}`, opts);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-tls-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    ca = fs.readFileSync(path.join(dir, "cert.pem"));
    appPort = await freePort();
    tlsPort = await freePort();
    httpsOrigin = `https://localhost:${tlsPort}`;

    app = spawn(process.execPath, ["scripts/server.mjs"], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_DIST_DIR: BUILD_DIR,
        NEXT_TELEMETRY_DISABLED: "1",
        PORT: String(appPort),
        HOST: "127.0.0.1",
        DATA_DIR: path.join(dir, "data"),
        APP_URL: httpsOrigin,
        // Only the terminator's address: 127.0.0.2, our "stranger", is not trusted.
        TRUSTED_PROXIES: "127.0.0.1",
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        AUTH_SECRET: "",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    app.stdout?.on("data", (chunk) => {
      appLog += chunk;
    });
    app.stderr?.on("data", (chunk) => {
      appLog += chunk;
    });

    const temp = (name: string) => path.join(dir, name);
    fs.writeFileSync(
      temp("nginx.conf"),
      `daemon off;
master_process off;
worker_processes 1;
pid ${temp("nginx.pid")};
error_log ${temp("nginx-error.log")} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${temp("client_body")};
  proxy_temp_path ${temp("proxy")};
  fastcgi_temp_path ${temp("fastcgi")};
  uwsgi_temp_path ${temp("uwsgi")};
  scgi_temp_path ${temp("scgi")};
  server {
    listen 127.0.0.1:${tlsPort} ssl;
    server_name localhost;
    ssl_certificate ${temp("cert.pem")};
    ssl_certificate_key ${temp("key.pem")};
    location / {
      proxy_pass http://127.0.0.1:${appPort};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
    );
    nginx = spawn(NGINX, ["-c", temp("nginx.conf"), "-p", dir, "-e", temp("nginx-error.log")], {
      stdio: ["ignore", "pipe", "pipe"],
    });

    // The readiness probe answers over plain HTTP on the app's port (a load balancer's view).
    const deadline = Date.now() + 45_000;
    for (;;) {
      if (app.exitCode !== null) throw new Error(`server exited early:\n${appLog}`);
      if (nginx.exitCode !== null) {
        throw new Error(`nginx exited early:\n${fs.readFileSync(temp("nginx-error.log"), "utf8")}`);
      }
      try {
        if ((await direct("/api/ready")).status === 200 && (await viaTls("/api/health")).status === 200) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`not ready in time:\n${appLog}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 60_000);

  afterAll(async () => {
    const stopped = (child: ChildProcess | undefined) =>
      child && child.exitCode === null
        ? new Promise<void>((resolve) => {
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          })
        : Promise.resolve();
    await Promise.all([stopped(nginx), stopped(app)]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  let sessionCookie: string;
  let token: string;

  it("signs in over https with __Host- Secure cookies, and sends HSTS", async () => {
    const csrf = await viaTls("/api/auth/csrf");
    expect(csrf.status).toBe(200);
    expect(csrf.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
    const csrfCookies = csrf.headers["set-cookie"] ?? [];
    expect(csrfCookies.length).toBeGreaterThan(0);
    for (const line of csrfCookies) {
      expect(line).toMatch(/^__Host-gatehouse\./);
      expect(line).toMatch(/;\s*Secure/i);
      expect(line).toMatch(/;\s*HttpOnly/i);
      expect(line).toMatch(/;\s*SameSite=Lax/i);
      expect(line).toMatch(/;\s*Path=\//i);
      expect(line).not.toMatch(/;\s*Domain=/i);
    }
    const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };

    const signIn = await viaTls("/api/auth/callback/credentials", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: csrfCookies.map(cookiePair).join("; "),
        origin: httpsOrigin,
      },
      body: new URLSearchParams({ csrfToken, email: ADMIN.email, password: ADMIN.password }).toString(),
    });
    expect(signIn.status, signIn.body).toBe(302);
    expect(signIn.headers.location ?? "").not.toMatch(/error/);
    expect(signIn.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
    const session = (signIn.headers["set-cookie"] ?? []).find((c) => c.startsWith("__Host-gatehouse.session="));
    expect(session, JSON.stringify(signIn.headers["set-cookie"])).toBeDefined();
    expect(session).toMatch(/;\s*Secure/i);
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);
    expect(session).not.toMatch(/;\s*Domain=/i);
    sessionCookie = cookiePair(session as string);

    // The session works for the typed frontend's door, over https.
    const me = await viaTls("/api/trpc/contacts.list?input=%7B%7D", { headers: { cookie: sessionCookie } });
    expect(me.status, me.body).toBe(200);
    expect(me.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");

    // And a page over https: the strict CSP and HSTS.
    const page = await viaTls("/contacts", { headers: { cookie: sessionCookie } });
    expect(page.status).toBe(200);
    expect(page.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
    expect(page.headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  });

  it("serves a REST call with an API token over https", async () => {
    const created = await viaTls("/api/trpc/tokens.create", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: sessionCookie, origin: httpsOrigin },
      body: JSON.stringify({ name: "tls test", scopes: ["contacts:read", "contacts:write"], expiresInSeconds: 3600 }),
    });
    expect(created.status, created.body).toBe(200);
    token = (JSON.parse(created.body) as { result: { data: { token: string } } }).result.data.token;
    expect(token).toMatch(/^gth_/);

    const list = await viaTls("/api/v1/contacts", { headers: { authorization: `Bearer ${token}` } });
    expect(list.status, list.body).toBe(200);
    expect(JSON.parse(list.body)).toMatchObject({ items: [] });
    expect(list.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
  });

  it("redirects a plain-http page to https and refuses a plain-http API call unprocessed, without HSTS", async () => {
    const page = await direct("/contacts?tab=1");
    expect(page.status).toBe(308);
    expect(page.headers.location).toBe(`${httpsOrigin}/contacts?tab=1`);
    expect(page.headers["strict-transport-security"]).toBeUndefined();

    const create = await direct("/api/v1/contacts", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "Sent In Clear", email: "clear@example.com" }),
    });
    expect(create.status).toBe(403);
    expect(create.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(create.body)).toMatchObject({ type: "urn:gatehouse:problem:https_required", status: 403 });
    expect(create.headers["strict-transport-security"]).toBeUndefined();

    const auth = await direct("/api/auth/csrf");
    expect(auth.status).toBe(403);
    expect(auth.headers["set-cookie"]).toBeUndefined();

    // Not processed: nothing was created.
    const list = await viaTls("/api/v1/contacts", { headers: { authorization: `Bearer ${token}` } });
    expect(JSON.parse(list.body)).toMatchObject({ items: [] });
  });

  it("serves the OAuth metadata with https endpoints, and refuses the token endpoint and authorize over plain http", async () => {
    const metadata = await viaTls("/.well-known/oauth-authorization-server");
    expect(metadata.status, metadata.body).toBe(200);
    const doc = JSON.parse(metadata.body) as Record<string, string>;
    expect(doc.issuer).toBe(httpsOrigin);
    expect(doc.token_endpoint).toBe(`${httpsOrigin}/oauth/token`);
    expect(metadata.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");

    // A client secret sent in clear is refused before it is even read.
    const token = await direct("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials&client_id=ocl_00000000000000000000&client_secret=ghs_x",
    });
    expect(token.status).toBe(403);
    expect(JSON.parse(token.body)).toMatchObject({ type: "urn:gatehouse:problem:https_required" });
    const authorize = await direct("/oauth/authorize?response_type=code&client_id=x");
    expect(authorize.status).toBe(308);
    expect(authorize.headers.location).toBe(`${httpsOrigin}/oauth/authorize?response_type=code&client_id=x`);
  });

  it("does not believe X-Forwarded-Proto: https from a peer outside TRUSTED_PROXIES", async () => {
    const spoof = { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.66" };
    const page = await direct("/contacts", { headers: spoof, localAddress: UNTRUSTED_LOCAL_ADDRESS });
    expect(page.status).toBe(308);
    const create = await direct("/api/v1/contacts", {
      method: "POST",
      headers: { ...spoof, "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "Spoofed Scheme", email: "spoof@example.com" }),
      localAddress: UNTRUSTED_LOCAL_ADDRESS,
    });
    expect(create.status).toBe(403);
    expect(create.headers["strict-transport-security"]).toBeUndefined();

    // The control: the very same header from the trusted proxy's address does count.
    const trusted = await direct("/api/v1/contacts", {
      headers: { ...spoof, authorization: `Bearer ${token}` },
      localAddress: "127.0.0.1",
    });
    expect(trusted.status).toBe(200);

    const list = await viaTls("/api/v1/contacts", { headers: { authorization: `Bearer ${token}` } });
    expect(JSON.parse(list.body)).toMatchObject({ items: [] });
  });
});
