import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { cliClient } from "../auth/principal";
import { systemClock } from "../clock";
import { loadConfig } from "../config";
import { openKeyring } from "../crypto/open-keyring";
import { CLI_ACTOR } from "../services/audit";
import { confirmTotpEnrolment, startTotpEnrolment } from "../services/second-factors";
import { totpCodeAt } from "../services/second-factors-totp";
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
 *   header from the trusted proxy address does count;
 * - nginx runs the README's site, deploy/nginx/gatehouse.conf, as it is (only
 *   ports, loopback addresses and certificate paths replaced): TLS 1.0 and 1.1
 *   refused, 1.2 and 1.3 accepted, no TLS 1.2 suite outside Mozilla's
 *   "intermediate" list, `Server: nginx` without a version, port 80 redirected.
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
/** The nginx site the README shows (it includes this file): the test runs it as it is. */
const SITE_CONFIG = path.join(ROOT, "deploy/nginx/gatehouse.conf");
/** Mozilla's "intermediate" TLS 1.2 suites, without DHE: the only ones nginx may agree to below TLS 1.3. */
const INTERMEDIATE_TLS12 = new Set([
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
]);

/**
 * The site with what a test machine must change and nothing else: the ports
 * (and loopback-only listening), the certificate paths and the upstream's
 * port. Each is replaced exactly once, so a change to the file that this
 * would silently miss fails here instead.
 */
function renderSite(
  text: string,
  opts: { httpPort: number; tlsPort: number; appPort: number; certificate: string; key: string },
): string {
  const substitutions: Array<[string, string]> = [
    ["listen 80;", `listen 127.0.0.1:${opts.httpPort};`],
    ["listen 443 ssl;", `listen 127.0.0.1:${opts.tlsPort} ssl;`],
    ["/etc/ssl/api.example.com.pem", opts.certificate],
    ["/etc/ssl/api.example.com.key", opts.key],
    ["proxy_pass http://127.0.0.1:3000;", `proxy_pass http://127.0.0.1:${opts.appPort};`],
  ];
  let out = text;
  for (const [from, to] of substitutions) {
    const count = out.split(from).length - 1;
    if (count !== 1) throw new Error(`${SITE_CONFIG}: expected "${from}" once, found it ${count} times`);
    out = out.replace(from, to);
  }
  return out;
}

type TlsVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/** One TLS handshake: what was agreed, or the error. The client allows anything (SECLEVEL=0): only the server decides. */
function handshake(
  port: number,
  opts: { version: TlsVersion; ciphers?: string; ca?: Buffer },
): Promise<{ ok: true; protocol: string | null; cipher: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      minVersion: opts.version,
      maxVersion: opts.version,
      ciphers: `${opts.ciphers ?? "ALL"}:@SECLEVEL=0`,
      ca: opts.ca,
      rejectUnauthorized: opts.ca !== undefined,
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error("handshake timeout")));
    socket.once("secureConnect", () => {
      const result = { ok: true as const, protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(result);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve({ ok: false, error: error.code ?? error.message }));
  });
}

/** Every TLS 1.2 suite this machine's OpenSSL knows, by its OpenSSL name. */
function tls12Suites(): string[] {
  return tls
    .getCiphers()
    .map((c) => c.toUpperCase())
    .filter((c) => !c.startsWith("TLS_"));
}
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
  let httpPort: number;
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
    httpPort = await freePort();
    // The README's site, verbatim but for ports, loopback addresses and certificate paths (renderSite).
    fs.writeFileSync(
      temp("gatehouse.conf"),
      renderSite(fs.readFileSync(SITE_CONFIG, "utf8"), {
        httpPort,
        tlsPort,
        appPort,
        certificate: temp("cert.pem"),
        key: temp("key.pem"),
      }),
    );
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
  include ${temp("gatehouse.conf")};
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
    // The first admin enrols an authenticator app, as ADMIN_2FA=required (the default) makes them, through
    // the services on the server's own data folder; its recovery codes answer the second step below.
    const config = loadConfig({ DATA_DIR: path.join(dir, "data"), APP_URL: httpsOrigin });
    const db = openDatabase(config.databaseFile);
    try {
      const svc = { db, clock: systemClock, actor: CLI_ACTOR, client: cliClient, keyring: openKeyring(config) };
      const admin = sqliteOf(db).prepare("select id, email from users where email = ?").get(ADMIN.email) as {
        id: string;
        email: string;
      };
      const started = await startTotpEnrolment(svc, admin);
      recoveryCodes = (
        await confirmTotpEnrolment(svc, admin.id, started.factorId, totpCodeAt(started.secret, Date.now()))
      ).recoveryCodes as string[];
    } finally {
      sqliteOf(db).close();
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
  let recoveryCodes: string[] = [];

  /**
   * The two steps of an admin's sign-in over https: the password gives a pending sign-in (a __Host-,
   * Secure, HttpOnly, SameSite=Strict cookie, no session yet), a recovery code redeems it.
   */
  async function signInTwoSteps(password: string) {
    const csrf = await viaTls("/api/auth/csrf");
    const csrfCookies = (csrf.headers["set-cookie"] ?? []).map(cookiePair);
    const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
    const post = (cookies: string[], fields: Record<string, string>) =>
      viaTls("/api/auth/callback/credentials", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          cookie: cookies.join("; "),
          origin: httpsOrigin,
        },
        body: new URLSearchParams({ csrfToken, email: ADMIN.email, ...fields }).toString(),
      });
    const first = await post(csrfCookies, { password });
    const pending = (first.headers["set-cookie"] ?? []).find((c) => c.startsWith("__Host-gatehouse.pending-sign-in="));
    if (!pending) return { first, second: null, csrf, csrfToken };
    expect(pending).toMatch(/;\s*Secure/i);
    expect(pending).toMatch(/;\s*HttpOnly/i);
    expect(pending).toMatch(/;\s*SameSite=Strict/i);
    expect(pending).not.toMatch(/;\s*Domain=/i);
    expect((first.headers["set-cookie"] ?? []).some((c) => c.startsWith("__Host-gatehouse.session="))).toBe(false);
    const code = recoveryCodes.shift() as string;
    const second = await post([...csrfCookies, cookiePair(pending)], { code });
    return { first, second, csrf, csrfToken };
  }

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
    expect(csrf.headers["content-type"]).toBe("application/json; charset=utf-8");

    const steps = await signInTwoSteps(ADMIN.password);
    // A form POST that redirects answers 303 See Other (server/auth/auth-request.ts), both steps.
    expect(steps.first.status, steps.first.body).toBe(303);
    expect(steps.second, "the password step set no pending sign-in cookie").not.toBeNull();
    const signIn = steps.second as NonNullable<typeof steps.second>;
    expect(signIn.status, signIn.body).toBe(303);
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
    expect(page.headers["content-security-policy"]).toMatch(/; upgrade-insecure-requests(;|$)/);
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

  describe("the TLS of the README's nginx site (Mozilla intermediate)", () => {
    /** A server that accepts everything, to show the client below really offers what nginx refuses. */
    let permissive: tls.Server;
    let permissivePort: number;
    beforeAll(async () => {
      permissive = tls.createServer(
        {
          key: fs.readFileSync(path.join(dir, "key.pem")),
          cert: fs.readFileSync(path.join(dir, "cert.pem")),
          minVersion: "TLSv1",
          ciphers: "ALL:@SECLEVEL=0",
        },
        (socket) => socket.end(),
      );
      await new Promise<void>((resolve) => permissive.listen(0, "127.0.0.1", resolve));
      permissivePort = (permissive.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => permissive.close(() => resolve())));

    it("refuses TLS 1.0 and 1.1, which the same client can speak", async () => {
      for (const version of ["TLSv1", "TLSv1.1"] as const) {
        expect(await handshake(permissivePort, { version }), `control: the client speaks ${version}`).toMatchObject({
          ok: true,
          protocol: version,
        });
        const answer = await handshake(tlsPort, { version, ca });
        expect(answer.ok, `${version}: ${JSON.stringify(answer)}`).toBe(false);
      }
    });

    it("accepts TLS 1.2 and 1.3, with a verified certificate", async () => {
      for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
        expect(await handshake(tlsPort, { version, ca })).toMatchObject({ ok: true, protocol: version });
      }
    });

    it("agrees to no TLS 1.2 suite outside Mozilla's intermediate list (CBC, SHA-1, RSA key exchange, 3DES, NULL …)", async () => {
      const accepted: string[] = [];
      const weakOffered: string[] = [];
      for (const suite of tls12Suites()) {
        const answer = await handshake(tlsPort, { version: "TLSv1.2", ciphers: suite, ca });
        if (answer.ok) accepted.push(answer.cipher);
        if (!INTERMEDIATE_TLS12.has(suite)) weakOffered.push(suite);
      }
      expect(accepted.length).toBeGreaterThan(0);
      for (const cipher of accepted) expect(INTERMEDIATE_TLS12.has(cipher), cipher).toBe(true);
      // The control: suites nginx refused are ones this client does negotiate with a server that allows them.
      expect(weakOffered).toContain("ECDHE-ECDSA-AES128-SHA");
      expect(await handshake(permissivePort, { version: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-SHA" })).toMatchObject({
        ok: true,
        cipher: "ECDHE-ECDSA-AES128-SHA",
      });
    });

    it("names no version in Server, on Gatehouse's answers and on nginx's own", async () => {
      const health = await viaTls("/api/health");
      expect(health.headers.server).toBe("nginx");
      // nginx answers this itself (client_max_body_size), with its own error page.
      const tooLarge = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port: tlsPort, servername: "localhost", ca }, () => {
          socket.write(
            "POST /api/v1/contacts HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n",
          );
        });
        let text = "";
        socket.setEncoding("utf8");
        socket.on("data", (chunk) => {
          text += chunk;
        });
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
      expect(tooLarge).toMatch(/^HTTP\/1\.1 413/);
      expect(tooLarge).toMatch(/\r\nServer: nginx\r\n/i);
      expect(tooLarge).not.toMatch(/nginx\/\d/);
    });

    it("redirects plain http on the site's port 80 to https", async () => {
      const res = await call(`http://127.0.0.1:${httpPort}/contacts?tab=1`, { headers: { host: "localhost" } });
      expect(res.status).toBe(308);
      expect(res.headers.location).toBe("https://localhost/contacts?tab=1");
      expect(res.headers.server).toBe("nginx");
    });
  });

  it("writes only JSON lines, even for a refused sign-in, and audits a sign-out with its IP and request id", async () => {
    const refused = await signInTwoSteps("not the password at all");
    expect(refused.first.status).toBe(303);
    expect(refused.first.headers.location ?? "").toMatch(/error=CredentialsSignin/);
    expect(refused.second).toBeNull();

    const ok = await signInTwoSteps(ADMIN.password);
    const session = (ok.second?.headers["set-cookie"] ?? []).find((c) => c.startsWith("__Host-gatehouse.session="));
    expect(session).toBeDefined();
    const csrf = await viaTls("/api/auth/csrf", { headers: { cookie: cookiePair(session as string) } });
    const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
    const requestId = "req_tls_signout_0000000001";
    const signOut = await viaTls("/api/auth/signout", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: [cookiePair(session as string), ...(csrf.headers["set-cookie"] ?? []).map(cookiePair)].join("; "),
        origin: httpsOrigin,
        "x-request-id": requestId,
      },
      body: new URLSearchParams({ csrfToken }).toString(),
    });
    expect(signOut.status).toBe(303);
    const db = new Database(path.join(dir, "data", "gatehouse.db"), { readonly: true });
    try {
      const row = db
        .prepare("select ip, request_id as requestId from audit_log where action = 'session.logout'")
        .get() as { ip: string | null; requestId: string } | undefined;
      // nginx connects from 127.0.0.1 (trusted) and appends the client's address, 127.0.0.1 too.
      expect(row).toEqual({ ip: "127.0.0.1", requestId });
    } finally {
      db.close();
    }

    // Everything the server wrote (supervisor, workers, Next.js, NextAuth): one JSON object a line.
    await new Promise((r) => setTimeout(r, 300));
    const lines = appLog.split("\n").filter((line) => line.trim() !== "");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      expect(line, "no stack frame").not.toMatch(/\bat\s+\S+\s+\(|\n\s+at\s/);
      expect(line, "no path of this machine").not.toContain(ROOT);
    }
  });
});
