import type { AddressInfo } from "node:net";
import net from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger, setLogger } from "../../logger";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../../ratelimit/config";
import { PEER_STAMP_ENV } from "../../security/client-ip";
import { createTestRuntime, type TestRuntime } from "../../testing/harness";
import { QUOTA_EXCEEDED_TYPE } from "../rate-limit-headers";
import type { NodeHandler } from "./listener";
import { createFrontServer, type FrontServer } from "./server";

/**
 * The HTTP front against malformed requests, over a real socket with RAW
 * bytes (no client library to normalise them): bad and encoded-control
 * percent-escapes, raw control and non-ASCII bytes, backslashes, over-long
 * targets and headers, missing, doubled and malformed Host, TRACE, CONNECT,
 * TRACK, WebDAV and invented methods, absolute-form targets — on every
 * machine endpoint, on NextAuth's /api/auth and on a page path.
 *
 * Each answer must be the designed 4xx/5xx (never a 500), problem+json with
 * the whole API header set, never reach Next.js, write exactly one "request"
 * log line, and — when the request got as far as the request listener (what
 * Node's parser rejects is answered by answerUnparsable, which closes the
 * connection) — be charged against the anonymous rate limit.
 */

const STAMP = "test-stamp";

const MACHINE_PATHS = [
  "/api/v1/contacts",
  "/api/trpc/contacts.list",
  "/oauth/token",
  "/oauth/introspect",
  "/oauth/revoke",
  "/oauth/jwks",
  "/.well-known/oauth-authorization-server",
  "/api/health",
  "/api/ready",
  "/api/metrics",
  "/api/openapi.json",
] as const;
const ALL_PATHS = [...MACHINE_PATHS, "/api/auth/session", "/contacts"] as const;

// ---------------------------------------------------------------- the server under test

let rt: TestRuntime;
let front: FrontServer;
let port: number;
let nextHits = 0;
const logLines: Array<Record<string, unknown>> = [];

const nextStub: NodeHandler = (_req, res) => {
  nextHits++;
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("next");
};

function runtimeWithAnon(limit: number): TestRuntime {
  const runtime = createTestRuntime({
    rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, anon: { limit, windowMs: 60_000 } },
  });
  // One fixed instant, now: every request of a test falls in one window, and Retry-After is computed against now.
  runtime.clock.set(Date.now());
  return runtime;
}

beforeAll(async () => {
  // server/security/client-ip.ts readPeer checks the front's stamp against this variable.
  vi.stubEnv(PEER_STAMP_ENV, STAMP);
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split("\n")) if (line.trim()) logLines.push(JSON.parse(line));
      callback();
    },
  });
  setLogger(createLogger({ level: "info", destination: sink }));
  rt = runtimeWithAnon(1_000_000);
  front = createFrontServer({ runtime: () => rt, next: nextStub, stamp: STAMP });
  await new Promise<void>((resolve) => front.server.listen(0, "127.0.0.1", resolve));
  port = (front.server.address() as AddressInfo).port;
});

afterAll(async () => {
  front?.server.closeAllConnections();
  await new Promise<void>((resolve) => (front ? front.server.close(() => resolve()) : resolve()));
  setLogger(undefined);
  vi.unstubAllEnvs();
});

// ---------------------------------------------------------------- raw HTTP over a socket

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection. */
  closed: boolean;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    if (eol === -1) break;
    const size = Number.parseInt(body.subarray(at, eol).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Sends exactly these bytes and reads one response; the requests carry `Connection: close`, so the server ends it. */
function raw(bytes: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(chunks);
      const split = data.indexOf("\r\n\r\n");
      if (split === -1) {
        reject(error ?? new Error(`no response head (got ${JSON.stringify(data.toString("latin1").slice(0, 200))})`));
        return;
      }
      const [statusLine, ...headerLines] = data.subarray(0, split).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      let body: Buffer = data.subarray(split + 4);
      if (headers["transfer-encoding"]?.includes("chunked")) body = dechunk(body);
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0),
        headers,
        body: body.toString("utf8"),
        closed: !error,
      });
    };
    const timer = setTimeout(() => finish(new Error("no answer within 5 s")), 5_000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    // A reset after the answer arrived still leaves the answer to check.
    socket.on("error", (error) => finish(chunks.length > 0 ? undefined : error));
    socket.write(bytes);
  });
}

let counter = 0;
const freshRequestId = () => `malformed-${process.pid}-${++counter}`;

interface Built {
  bytes: string | Buffer;
  requestId: string;
}

function request(
  method: string,
  target: string | Buffer,
  opts: { host?: string | null | string[]; headers?: string[]; requestId?: string } = {},
): Built {
  const requestId = opts.requestId ?? freshRequestId();
  const hosts = opts.host === null ? [] : Array.isArray(opts.host) ? opts.host : [opts.host ?? "localhost:3000"];
  const head = [
    ...hosts.map((h) => `Host: ${h}`),
    `X-Request-Id: ${requestId}`,
    "Connection: close",
    ...(opts.headers ?? []),
  ].join("\r\n");
  const line = Buffer.concat([Buffer.from(`${method} `), Buffer.from(target), Buffer.from(" HTTP/1.1\r\n")]);
  return { bytes: Buffer.concat([line, Buffer.from(`${head}\r\n\r\n`)]), requestId };
}

// ---------------------------------------------------------------- the defects

interface Defect {
  name: string;
  /** The designed status. */
  status: number;
  /**
   * Who answers: `listener` (the request listener's refusal: logged through
   * observeRequest, rate limited, the caller's X-Request-Id echoed) or `node`
   * (Node's parser refused it, or CONNECT: answered on the socket, logged, not
   * rate limited, the connection closed).
   */
  by: "listener" | "node";
  reason: string;
  build(path: string): Built;
}

/** `path` plus a segment. The front checks the target before it routes, so every door (and Next.js) is behind the same check. */
const sub = (path: string, segment: string) => `${path}/${segment}`;

const DEFECTS: Defect[] = [
  // Percent-escapes that are not escapes, or not UTF-8.
  ...["%zz", "%", "%4", "%4g"].map(
    (bad): Defect => ({
      name: `bad percent-escape ${bad} in the path`,
      status: 400,
      by: "listener",
      reason: "malformed_request_target",
      build: (path) => request("GET", sub(path, `a${bad}`)),
    }),
  ),
  ...["%zz", "%", "%4"].map(
    (bad): Defect => ({
      name: `bad percent-escape ${bad} in the query`,
      status: 400,
      by: "listener",
      reason: "malformed_request_target",
      build: (path) => request("GET", `${path}?q=${bad}`),
    }),
  ),
  ...["%C0%AF", "%FF", "%E2%82"].map(
    (bad): Defect => ({
      name: `non-UTF-8 escape ${bad}`,
      status: 400,
      by: "listener",
      reason: "malformed_request_target",
      build: (path) => request("GET", sub(path, bad)),
    }),
  ),
  // Encoded control characters and backslash: they would mean something else further in.
  ...["%00", "%0a", "%0D%0A", "%7f", "%1b", "%5c", "%5C"].map(
    (bad): Defect => ({
      name: `encoded ${bad}`,
      status: 400,
      by: "listener",
      reason: "malformed_request_target",
      build: (path) => request("GET", sub(path, `x${bad}y`)),
    }),
  ),
  {
    name: "raw backslash in the path",
    status: 400,
    by: "listener",
    reason: "malformed_request_target",
    build: (path) => request("GET", `${path}\\x`),
  },
  {
    name: "raw DEL byte in the path",
    status: 400,
    by: "node",
    reason: "malformed_request",
    build: (path) => request("GET", Buffer.concat([Buffer.from(path), Buffer.from([0x7f])])),
  },
  {
    name: "raw control byte (0x01) in the path",
    status: 400,
    by: "node",
    reason: "malformed_request",
    build: (path) => request("GET", Buffer.concat([Buffer.from(path), Buffer.from([0x01])])),
  },
  {
    name: "raw NUL byte in the path",
    status: 400,
    by: "node",
    reason: "malformed_request",
    build: (path) => request("GET", Buffer.concat([Buffer.from(path), Buffer.from([0x00])])),
  },
  {
    name: "raw non-ASCII bytes (UTF-8 é) in the path",
    status: 400,
    by: "node",
    reason: "malformed_request",
    build: (path) => request("GET", Buffer.concat([Buffer.from(`${path}/`), Buffer.from("é", "utf8")])),
  },
  {
    name: "raw non-ASCII byte 0xff in the query",
    status: 400,
    by: "node",
    reason: "malformed_request",
    build: (path) => request("GET", Buffer.concat([Buffer.from(`${path}?q=`), Buffer.from([0xff])])),
  },
  {
    name: "request target over 8 KiB",
    status: 414,
    by: "listener",
    reason: "uri_too_long",
    build: (path) => request("GET", `${path}?q=${"a".repeat(9 * 1024)}`),
  },
  {
    name: "headers over 16 KiB",
    status: 431,
    by: "node",
    reason: "headers_too_large",
    build: (path) => request("GET", path, { headers: [`X-Filler: ${"b".repeat(17 * 1024)}`] }),
  },
  {
    name: "no Host header",
    status: 400,
    by: "listener",
    reason: "invalid_host",
    build: (path) => request("GET", path, { host: null }),
  },
  {
    name: "two Host headers",
    status: 400,
    by: "listener",
    reason: "invalid_host",
    build: (path) => request("GET", path, { host: ["localhost:3000", "evil.example.com"] }),
  },
  ...["evil.example.com:99999", "a_b.example.com", "user@localhost", "localhost/x", "[::1", "", "-bad.example.com"].map(
    (host): Defect => ({
      name: `malformed Host ${JSON.stringify(host)}`,
      status: 400,
      by: "listener",
      reason: "invalid_host",
      build: (path) => request("GET", path, { host }),
    }),
  ),
  {
    name: "TRACE",
    status: 405,
    by: "listener",
    reason: "method_not_allowed",
    build: (path) => request("TRACE", path),
  },
  {
    name: "CONNECT",
    status: 405,
    by: "node",
    reason: "method_not_allowed",
    build: () => request("CONNECT", "localhost:443"),
  },
  {
    name: "CONNECT with a path",
    status: 405,
    by: "node",
    reason: "method_not_allowed",
    build: (path) => request("CONNECT", path),
  },
  {
    name: "a lower-case method (get)",
    status: 501,
    by: "node",
    reason: "method_not_allowed",
    build: (path) => request("get", path),
  },
  {
    name: "TRACK",
    status: 501,
    by: "node",
    reason: "method_not_allowed",
    build: (path) => request("TRACK", path),
  },
  {
    name: "an invented method (FOO)",
    status: 501,
    by: "node",
    reason: "method_not_allowed",
    build: (path) => request("FOO", path),
  },
  ...["PROPFIND", "MKCOL", "LOCK", "PURGE", "SEARCH"].map(
    (method): Defect => ({
      name: `${method} (a method Node parses, nothing here serves)`,
      status: 501,
      by: "listener",
      reason: "method_not_allowed",
      build: (path) => request(method, path),
    }),
  ),
  {
    name: "absolute-form target",
    status: 400,
    by: "listener",
    reason: "malformed_request_target",
    build: (path) => request("GET", `http://localhost:3000${path}`),
  },
  {
    name: "network-path target (//host/path)",
    status: 400,
    by: "listener",
    reason: "malformed_request_target",
    build: (path) => request("GET", `//evil.example.com${path}`),
  },
  {
    name: "asterisk-form target",
    status: 400,
    by: "listener",
    reason: "malformed_request_target",
    build: () => request("OPTIONS", "*"),
  },
];

const API_HEADERS = {
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

function expectApiHeaders(answer: RawAnswer, what: string) {
  expect(answer.headers["x-request-id"], `${what}: x-request-id`).toMatch(/^[A-Za-z0-9_.:-]{8,64}$/);
  for (const [name, value] of Object.entries(API_HEADERS)) expect(answer.headers[name], `${what}: ${name}`).toBe(value);
  expect(answer.headers["permissions-policy"], `${what}: permissions-policy`).toMatch(/camera=\(\)/);
  expect(answer.headers["x-powered-by"], `${what}: x-powered-by`).toBeUndefined();
}

function expectProblem(answer: RawAnswer, status: number, what: string) {
  expect(answer.headers["content-type"], `${what}: content-type`).toBe("application/problem+json");
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    throw new Error(`${what}: the body is not JSON: ${answer.body.slice(0, 200)}`);
  }
  expect(body, what).toMatchObject({ status });
  for (const field of ["type", "title", "detail"]) expect(typeof body[field], `${what}: ${field}`).toBe("string");
  return body;
}

/** One request, with what the log and Next.js saw of it. */
async function send(built: Built) {
  const linesBefore = logLines.length;
  const nextBefore = nextHits;
  const answer = await raw(built.bytes);
  // The log line is written before the answer leaves; one more turn for anything late (a second line would be a bug).
  await new Promise((resolve) => setImmediate(resolve));
  const lines = logLines.slice(linesBefore).filter((line) => line.msg === "request");
  const errors = logLines.slice(linesBefore).filter((line) => line.level === "error" && line.msg !== "request");
  return { answer, lines, errors, reachedNext: nextHits - nextBefore };
}

// ---------------------------------------------------------------- the tests

describe("malformed requests are refused by the front with problem+json", () => {
  beforeAll(() => {
    rt = runtimeWithAnon(1_000_000);
  });

  for (const defect of DEFECTS) {
    it(`${defect.name} → ${defect.status}, on every path`, async () => {
      for (const path of ALL_PATHS) {
        const built = defect.build(path);
        const what = `${defect.name} on ${path}`;
        const { answer, lines, errors, reachedNext } = await send(built);
        expect(answer.status, `${what}: status (${answer.body.slice(0, 200)})`).toBe(defect.status);
        expect(reachedNext, `${what}: reached Next.js`).toBe(0);
        expectApiHeaders(answer, what);
        const body = expectProblem(answer, defect.status, what);
        expect(body.type, what).toBe(`urn:gatehouse:problem:${defect.reason}`);
        if (defect.status === 405 || defect.status === 501) {
          expect(answer.headers.allow, `${what}: Allow`).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        }
        expect(lines, `${what}: "request" log lines`).toHaveLength(1);
        expect(errors, `${what}: error log lines`).toEqual([]);
        const line = lines[0] as Record<string, unknown>;
        expect(line, what).toMatchObject({
          door: "front",
          status: defect.status,
          requestId: answer.headers["x-request-id"],
        });
        expect(line.pid, what).toBe(process.pid);
        if (defect.by === "listener") {
          // The caller's well-formed id is kept, and the client IP comes from the stamped peer facts.
          expect(answer.headers["x-request-id"], `${what}: echoed X-Request-Id`).toBe(built.requestId);
          expect(line.ip, what).toBe("127.0.0.1");
          expect(line.cause, what).toBeUndefined();
        } else {
          // Node's parser (or CONNECT) never gave a request: answered on the socket, which is then closed.
          expect(answer.closed, `${what}: connection closed`).toBe(true);
          expect(typeof line.cause, what).toBe("string");
        }
        // Only the CONNECT case has no path to vary.
        if (defect.name === "CONNECT" || defect.name === "asterisk-form target") break;
      }
    });
  }

  it("never answers a refused HEAD with a body, and still says what it would have been", async () => {
    const { answer, lines } = await send(request("HEAD", "/api/v1/a%zz"));
    expect(answer.status).toBe(400);
    expect(answer.body).toBe("");
    expect(answer.headers["content-type"]).toBe("application/problem+json");
    expectApiHeaders(answer, "HEAD");
    expect(lines).toHaveLength(1);
  });
});

describe("refused requests are charged against the anonymous rate limit", () => {
  const LIMIT = 5;
  const listenerDefects = DEFECTS.filter((d) => d.by === "listener");

  function expectLimited(answer: RawAnswer, what: string) {
    expect(answer.status, `${what} (${answer.body.slice(0, 200)})`).toBe(429);
    expectApiHeaders(answer, what);
    const body = expectProblem(answer, 429, what);
    expect(body.type, what).toBe(QUOTA_EXCEEDED_TYPE);
    expect(body["violated-policies"], what).toEqual(["anon"]);
    expect(Number(answer.headers["retry-after"]), `${what}: Retry-After`).toBeGreaterThanOrEqual(1);
    expect(answer.headers["ratelimit-policy"], `${what}: RateLimit-Policy`).toBe(`"anon";q=${LIMIT};w=60`);
    expect(answer.headers.ratelimit, `${what}: RateLimit`).toMatch(/^"anon";r=0;t=\d+$/);
  }

  for (const defect of listenerDefects) {
    it(`${defect.name}: the ${LIMIT + 1}th from one IP is a 429 problem`, async () => {
      rt = runtimeWithAnon(LIMIT);
      for (let i = 0; i < LIMIT; i++) {
        const path = ALL_PATHS[i % ALL_PATHS.length] as string;
        const { answer } = await send(defect.build(path));
        expect(answer.status, `${defect.name} #${i + 1} on ${path}`).toBe(defect.status);
        expect(answer.headers["ratelimit-policy"], `#${i + 1}`).toBe(`"anon";q=${LIMIT};w=60`);
        expect(answer.headers.ratelimit, `#${i + 1}`).toMatch(new RegExp(`^"anon";r=${LIMIT - i - 1};t=\\d+$`));
      }
      const { answer, lines, reachedNext } = await send(defect.build(ALL_PATHS[LIMIT] as string));
      expectLimited(answer, `${defect.name} #${LIMIT + 1}`);
      expect(reachedNext).toBe(0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ door: "front", status: 429 });
    });
  }

  it("mixed defects share one quota, and a well-formed anonymous API call after them is limited too", async () => {
    rt = runtimeWithAnon(LIMIT);
    const mixed = listenerDefects.slice(0, LIMIT);
    for (const [i, defect] of mixed.entries()) {
      const { answer } = await send(defect.build(MACHINE_PATHS[i] as string));
      expect(answer.status, defect.name).toBe(defect.status);
    }
    const sixth = await send(request("PROPFIND", "/oauth/token"));
    expectLimited(sixth.answer, "6th, PROPFIND");
    // The same IP's quota is spent for the doors as well (it is the same anonymous policy).
    const rest = await send(request("GET", "/api/v1/contacts"));
    expect(rest.answer.status).toBe(429);
  });

  it("probing for paths on either door spends the quota: unknown REST paths and unknown tRPC procedures", async () => {
    for (const path of ["/api/v1/no-such-thing", "/api/trpc/no.such.procedure", "/api/v1/contacts/x/y/z"]) {
      rt = runtimeWithAnon(LIMIT);
      for (let i = 0; i < LIMIT; i++) {
        const { answer } = await send(request("GET", path));
        expect(answer.status, `${path} #${i + 1}`).toBe(404);
        expect(answer.headers.ratelimit, path).toMatch(new RegExp(`^"anon";r=${LIMIT - 1 - i};`));
      }
      expectLimited((await send(request("GET", path))).answer, `${path} #${LIMIT + 1}`);
    }
  });

  it("what Node's parser rejects is answered without touching the limiter (the connection is closed instead)", async () => {
    rt = runtimeWithAnon(LIMIT);
    for (const defect of DEFECTS.filter((d) => d.by === "node")) {
      for (let i = 0; i < 2; i++) {
        const { answer } = await send(defect.build("/api/v1/contacts"));
        expect(answer.status, defect.name).toBe(defect.status);
        expect(answer.headers["ratelimit-policy"], defect.name).toBeUndefined();
      }
    }
    const { answer } = await send(request("TRACE", "/api/v1/contacts"));
    expect(answer.status).toBe(405);
    expect(answer.headers.ratelimit).toMatch(new RegExp(`^"anon";r=${LIMIT - 1};`));
  });
});

describe("well-formed requests pass the front", () => {
  beforeAll(() => {
    rt = runtimeWithAnon(1_000_000);
  });

  const CASES: Array<{
    method: string;
    path: string;
    status: number;
    door: string;
    body?: string;
    headers?: string[];
  }> = [
    { method: "GET", path: "/api/health", status: 200, door: "probe" },
    { method: "GET", path: "/api/ready", status: 200, door: "probe" },
    { method: "GET", path: "/api/openapi.json", status: 200, door: "openapi" },
    { method: "GET", path: "/oauth/jwks", status: 200, door: "oauth" },
    { method: "GET", path: "/.well-known/oauth-authorization-server", status: 200, door: "oauth" },
    { method: "GET", path: "/api/v1/contacts", status: 401, door: "rest" },
    { method: "GET", path: "/api/v1/contacts?limit=5&q=%C3%A9", status: 401, door: "rest" },
    { method: "GET", path: "/api/trpc/contacts.list?input=%7B%7D", status: 401, door: "trpc" },
    { method: "GET", path: "/api/metrics", status: 401, door: "metrics" },
    {
      method: "POST",
      path: "/oauth/token",
      status: 400,
      door: "oauth",
      body: "grant_type=nonsense",
      headers: ["Content-Type: application/x-www-form-urlencoded"],
    },
    {
      method: "POST",
      path: "/oauth/introspect",
      status: 401,
      door: "oauth",
      body: "token=x",
      headers: ["Content-Type: application/x-www-form-urlencoded"],
    },
    {
      method: "POST",
      path: "/oauth/revoke",
      status: 401,
      door: "oauth",
      body: "token=x",
      headers: ["Content-Type: application/x-www-form-urlencoded"],
    },
    { method: "DELETE", path: "/api/health", status: 405, door: "probe" },
  ];

  for (const c of CASES) {
    it(`${c.method} ${c.path} → ${c.status} from the ${c.door} door`, async () => {
      const body = c.body ?? "";
      const built = request(c.method, c.path, {
        headers: [...(c.headers ?? []), ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : [])],
      });
      const { answer, lines, reachedNext } = await send({
        ...built,
        bytes: Buffer.concat([Buffer.from(built.bytes), Buffer.from(body)]),
      });
      expect(answer.status, answer.body.slice(0, 300)).toBe(c.status);
      expect(reachedNext).toBe(0);
      expectApiHeaders(answer, `${c.method} ${c.path}`);
      expect(answer.headers["x-request-id"]).toBe(built.requestId);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ door: c.door, status: c.status, requestId: built.requestId, ip: "127.0.0.1" });
      if (c.status === 405) expect(answer.headers.allow).toBe("GET, HEAD, OPTIONS");
    });
  }

  it("an HTTP/1.0 request without Host (a load balancer's health check) is served, as if it named our origin", async () => {
    for (const path of ["/api/health", "/api/v1/contacts"]) {
      const requestId = freshRequestId();
      const { answer, lines, reachedNext } = await send({
        bytes: `GET ${path} HTTP/1.0\r\nX-Request-Id: ${requestId}\r\n\r\n`,
        requestId,
      });
      expect(answer.status, answer.body.slice(0, 300)).toBe(path === "/api/health" ? 200 : 401);
      expect(reachedNext).toBe(0);
      expectApiHeaders(answer, `HTTP/1.0 GET ${path}`);
      expect(lines).toHaveLength(1);
    }
    // HTTP/1.1 still needs one.
    const built = request("GET", "/api/health", { host: null });
    expect((await send(built)).answer.status).toBe(400);
  });

  it("PUT /api/v1/contacts → 405 with Allow listing the declared methods", async () => {
    const body = '{"name":"x"}';
    const built = request("PUT", "/api/v1/contacts", {
      headers: ["Content-Type: application/json", `Content-Length: ${body.length}`],
    });
    const { answer, lines, reachedNext } = await send({
      ...built,
      bytes: Buffer.concat([Buffer.from(built.bytes), Buffer.from(body)]),
    });
    expect(answer.status, answer.body.slice(0, 300)).toBe(405);
    expect(reachedNext).toBe(0);
    expectApiHeaders(answer, "PUT /api/v1/contacts");
    expectProblem(answer, 405, "PUT /api/v1/contacts");
    const allow = (answer.headers.allow ?? "").split(/,\s*/).sort();
    expect(allow).toEqual(["GET", "HEAD", "OPTIONS", "POST"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ door: "rest", status: 405 });
  });

  it("pages and NextAuth go to Next.js untouched, on one connection after another", async () => {
    for (const path of [
      "/",
      "/contacts",
      "/api/auth/session",
      "/api/docs",
      "/oauth/authorize?client_id=x",
      "/_next/static/x.js",
    ]) {
      const { answer, lines, reachedNext } = await send(request("GET", path));
      expect(answer.status, path).toBe(200);
      expect(answer.body, path).toBe("next");
      expect(reachedNext, path).toBe(1);
      // Next.js writes its own request log; the front writes none for what it hands over.
      expect(lines, path).toHaveLength(0);
    }
  });

  it("a client's x-gatehouse-peer* headers never reach a door (they cannot forge the client IP)", async () => {
    const { answer, lines } = await send(
      request("GET", "/api/health", {
        headers: ["X-Gatehouse-Peer: 203.0.113.9", `X-Gatehouse-Peer-Stamp: ${STAMP}`, "X-Gatehouse-Peer-Tls: 1"],
      }),
    );
    expect(answer.status).toBe(200);
    expect(lines[0]).toMatchObject({ ip: "127.0.0.1" });
  });
});
