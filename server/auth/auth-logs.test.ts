import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { NextRequest } from "next/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger, setLogger } from "../logger";
import { PEER_HEADER, PEER_STAMP_ENV, PEER_STAMP_HEADER, PEER_TLS_HEADER } from "../security/client-ip";

/**
 * What the real NextAuth route (app/api/auth/[...nextauth]/route.ts) writes
 * and records, in-process:
 * - a refused sign-in (wrong password, unknown email, bad CSRF token) writes
 *   only JSON lines to the application log: nothing on the console (Auth.js's
 *   default logger prints an error there over many lines, with its stack and
 *   absolute paths), no stack frame, no path of this machine;
 * - sign-out's `session.logout` audit entry names the client IP (through the
 *   peer stamp, as the front sets it) and the request's id, like any other entry.
 */

const ORIGIN = "http://localhost:3000";
const PASSWORD = "correct horse battery staple";
const STAMP = "auth-logs-test-stamp";
const ROOT = path.resolve(import.meta.dirname, "../..");
let dataDir: string;
let POST: (req: NextRequest) => Promise<Response>;
let GET: (req: NextRequest) => Promise<Response>;

/** Headers the front stamps on every request: the socket's address, vouched for by the server's secret. */
const fromPeer = (ip: string) => ({ [PEER_HEADER]: ip, [PEER_TLS_HEADER]: "0", [PEER_STAMP_HEADER]: STAMP });

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-auth-logs-"));
  vi.stubEnv("DATA_DIR", dataDir);
  vi.stubEnv("APP_URL", ORIGIN);
  vi.stubEnv("AUTH_SECRET", "test-secret-test-secret-test-secret-0123456789");
  vi.stubEnv("ADMIN_EMAIL", "");
  vi.stubEnv("ADMIN_PASSWORD", "");
  vi.stubEnv("REDIS_URL", "");
  vi.stubEnv("UPSTASH_REDIS_REST_URL", "");
  vi.stubEnv("UPSTASH_REDIS_REST_TOKEN", "");
  vi.stubEnv(PEER_STAMP_ENV, STAMP);
  const route = await import("@/app/api/auth/[...nextauth]/route");
  POST = route.POST;
  GET = route.GET as unknown as typeof GET;
  const { getRuntime } = await import("../runtime");
  const { createUser } = await import("../services/users");
  const { SYSTEM_ACTOR } = await import("../services/audit");
  const runtime = getRuntime();
  await createUser(
    {
      db: runtime.db,
      clock: runtime.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "seed" },
    },
    { email: "carol@example.com", role: "member", password: PASSWORD },
  );
});

afterAll(() => {
  vi.unstubAllEnvs();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Everything written while a test runs: the application log's lines, and any console or stdio output. */
let logLines: string[];
let stray: string[];
beforeEach(() => {
  logLines = [];
  stray = [];
  let partial = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      partial += String(chunk);
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      logLines.push(...parts);
      done();
    },
  });
  setLogger(createLogger({ level: "debug", destination: sink }));
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      stray.push(`console.${method}: ${args.map(String).join(" ")}`);
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  setLogger(undefined);
});

async function csrf(): Promise<{ csrfToken: string; cookie: string }> {
  const res = await GET(new NextRequest(`${ORIGIN}/api/auth/csrf`));
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { csrfToken, cookie: (res.headers.getSetCookie?.() ?? []).map((c) => c.split(";")[0]).join("; ") };
}

async function signIn(email: string, password: string, opts: { badCsrf?: boolean } = {}) {
  const { csrfToken, cookie } = await csrf();
  return POST(
    new NextRequest(`${ORIGIN}/api/auth/callback/credentials`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-auth-return-redirect": "1",
        origin: ORIGIN,
        cookie,
        ...fromPeer("198.51.100.20"),
      },
      body: new URLSearchParams({
        email,
        password,
        csrfToken: opts.badCsrf ? `${csrfToken.slice(0, -4)}0000` : csrfToken,
        callbackUrl: `${ORIGIN}/contacts`,
      }),
    }),
  );
}

function expectOnlyJsonLines() {
  expect(stray, "nothing reaches the console").toEqual([]);
  for (const line of logLines) {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(typeof parsed.msg, line).toBe("string");
    expect(line, "no stack frame").not.toMatch(/\bat\s+\S+\s+\(|\bat\s+(file:|\/)/);
    expect(line, "no path of this machine").not.toContain(ROOT);
    expect(line).not.toContain(os.tmpdir());
  }
}

describe("log lines of the NextAuth route", () => {
  it("writes one JSON line per refused sign-in and nothing else, whatever the refusal", async () => {
    for (const [email, password, opts] of [
      ["carol@example.com", "a wrong password here", {}],
      ["nobody@example.com", PASSWORD, {}],
      ["carol@example.com", PASSWORD, { badCsrf: true }],
    ] as const) {
      logLines = [];
      const res = await signIn(email, password, opts);
      expect(res.status, `${email}`).toBeLessThan(500);
      expect(JSON.stringify(await res.json())).toMatch(/error=/);
      expectOnlyJsonLines();
      const auth = logLines.map((l) => JSON.parse(l)).filter((l) => l.auth);
      expect(auth, logLines.join("\n")).toHaveLength(1);
      expect(auth[0].auth.type).toMatch(/^(CredentialsSignin|MissingCSRF)$/);
      expect(auth[0].level).toBe("info");
    }
  });

  it("answers its JSON with the charset named", async () => {
    for (const p of ["/api/auth/csrf", "/api/auth/session", "/api/auth/providers"]) {
      const res = await GET(new NextRequest(`${ORIGIN}${p}`));
      expect(res.headers.get("content-type"), p).toBe("application/json; charset=utf-8");
    }
    const refused = await signIn("carol@example.com", "a wrong password here");
    expect(refused.headers.get("content-type")).toBe("application/json; charset=utf-8");
  });
});

describe("session.logout", () => {
  it("records the client IP, user agent and request id of the sign-out request", async () => {
    const ok = await signIn("carol@example.com", PASSWORD);
    expect(JSON.stringify(await ok.json())).not.toMatch(/error=/);
    const session = (ok.headers.getSetCookie?.() ?? []).find((c) => c.startsWith("gatehouse.session="));
    expect(session).toBeDefined();
    const { csrfToken, cookie } = await csrf();
    const requestId = "req_signout0000000000001";
    const res = await POST(
      new NextRequest(`${ORIGIN}/api/auth/signout`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-auth-return-redirect": "1",
          origin: ORIGIN,
          cookie: `${cookie}; ${(session as string).split(";")[0]}`,
          "user-agent": "auth-logs-test",
          "x-request-id": requestId,
          ...fromPeer("203.0.113.44"),
        },
        body: new URLSearchParams({ csrfToken, callbackUrl: `${ORIGIN}/signin` }),
      }),
    );
    expect(res.status).toBeLessThan(400);
    expectOnlyJsonLines();

    const { getRuntime } = await import("../runtime");
    const { auditLog } = await import("@/db/schema");
    const { eq } = await import("drizzle-orm");
    const rows = await getRuntime().db.select().from(auditLog).where(eq(auditLog.action, "session.logout")).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ip: "203.0.113.44", userAgent: "auth-logs-test", requestId });
  });
});
