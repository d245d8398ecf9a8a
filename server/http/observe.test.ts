import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger, setLogger } from "../logger";
import { METRICS, resetMetrics } from "../observability/metrics";
import { flushTraffic, resetTraffic } from "../observability/traffic";
import { topKeys, trafficSeries } from "../observability/traffic-report";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { handleRest } from "./rest-handler";
import { handleTrpc } from "./trpc-handler";

/**
 * The request log, metrics and Overview counters written by the two doors
 * (server/http/observe.ts): one JSON line per request with the request id
 * we answered with, and nothing a client controls can break a line.
 */
const STAMP = "observe-test-stamp";
process.env.GATEHOUSE_PEER_STAMP = STAMP;
const lines: string[] = [];
setLogger(createLogger({ level: "info", destination: { write: (line: string) => lines.push(line) } }));
afterAll(() => setLogger(undefined));

let rt: TestRuntime;
beforeEach(() => {
  rt = createTestRuntime();
  lines.length = 0;
  resetMetrics();
  resetTraffic();
});

/** A request as scripts/server.mjs hands it on: stamped with the socket's address. */
function request(path: string, init: RequestInit & { headers?: Record<string, string> } = {}, peer = "198.51.100.7") {
  return new Request(`http://localhost:3000${path}`, {
    ...init,
    headers: { "x-gatehouse-peer": peer, "x-gatehouse-peer-stamp": STAMP, ...init.headers },
  });
}

function requestLines() {
  return lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
}

describe("request log", () => {
  it("writes one JSON line per request: id, method, route, status, duration, principal, IP", async () => {
    const res = await handleRest(request("/api/v1/contacts", { headers: { "x-request-id": "caller-id-12345" } }), rt);
    expect(res.status).toBe(401);
    expect(res.headers.get("x-request-id")).toBe("caller-id-12345");
    const [line, ...more] = requestLines();
    expect(more).toHaveLength(0);
    expect(line).toMatchObject({
      level: "info",
      service: "gatehouse",
      requestId: "caller-id-12345",
      door: "rest",
      method: "GET",
      route: "GET /contacts",
      status: 401,
      principal: null,
      ip: "198.51.100.7",
    });
    expect(typeof line.durationMs).toBe("number");
    expect(typeof line.time).toBe("string");
  });

  it("replaces a malformed X-Request-Id with its own and returns that", async () => {
    const res = await handleRest(request("/api/v1/contacts", { headers: { "x-request-id": "bad id {}" } }), rt);
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^req_[0-9a-z]{20}$/);
    expect(requestLines()[0]?.requestId).toBe(id);
  });

  it("names the principal (token id) and the route template, never the raw path", async () => {
    const owner = await seedUser(rt, "ada@example.com");
    const svc = {
      db: rt.db,
      clock: rt.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "s" },
    };
    const { token, id } = await createToken(svc, owner.user.id, { name: "t", scopes: ["contacts:read"] });
    const res = await handleRest(
      request("/api/v1/contacts/con_0123456789abcdefghij", { headers: { authorization: `Bearer ${token}` } }),
      rt,
    );
    expect(res.status).toBe(404);
    const line = requestLines()[0];
    expect(line).toMatchObject({ route: "GET /contacts/{id}", status: 404, principal: id });
    expect(JSON.stringify(lines)).not.toContain("con_0123456789abcdefghij");
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it("labels tRPC procedures, batches, and unknown names (closed set)", async () => {
    await handleTrpc(request("/api/trpc/contacts.list?input=%7B%7D"), rt);
    await handleTrpc(request("/api/trpc/contacts.list,account.me?batch=1&input=%7B%7D"), rt);
    await handleTrpc(request("/api/trpc/made.up%0A%7B%22forged%22%3Atrue%7D"), rt);
    expect(requestLines().map((l) => [l.door, l.route, l.procedures])).toEqual([
      ["trpc", "contacts.list", undefined],
      ["trpc", "batch", ["contacts.list", "account.me"]],
      ["trpc", "unmatched", undefined],
    ]);
  });

  it("cannot be forged: values with newlines and quotes stay inside their JSON string", () => {
    const log = createLogger({ level: "info", destination: { write: (line: string) => lines.push(line) } });
    lines.length = 0;
    const evil = 'Mallory\n{"level":"error","msg":"forged"}\r\n';
    log.info({ userName: evil }, `user ${evil} signed in`);
    expect(lines).toHaveLength(1);
    const text = lines[0] as string;
    expect(text.trimEnd().split("\n")).toHaveLength(1);
    const parsed = JSON.parse(text);
    expect(parsed.userName).toBe(evil);
    expect(parsed.msg).toBe(`user ${evil} signed in`);
  });

  it("redacts secrets in log objects and messages through the shared redaction", () => {
    const log = createLogger({ level: "info", destination: { write: (line: string) => lines.push(line) } });
    lines.length = 0;
    const token = `gth_${"Q".repeat(49)}`;
    log.info({ password: "hunter2-hunter2", headers: { authorization: `Bearer ${token}` } }, `retrying with ${token}`);
    expect(lines[0]).not.toContain("hunter2");
    expect(lines[0]).not.toContain(token);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ password: "[redacted]", msg: "retrying with [redacted]" });
  });
});

describe("metrics and Overview counters", () => {
  it("counts requests by door, route and status, and feeds the hourly counters", async () => {
    await handleRest(request("/api/v1/contacts"), rt);
    await handleRest(request("/api/v1/contacts"), rt);
    await handleRest(request("/api/v1/nowhere", {}, "192.0.2.44"), rt);
    expect(METRICS.requests.value(["rest", "GET /contacts", "401"])).toBe(2);
    expect(METRICS.requests.value(["rest", "unmatched", "404"])).toBe(1);

    await flushTraffic(rt.db, rt.clock.now());
    const report = await trafficSeries(rt.db, rt.clock.now(), 24);
    expect(report.totals).toMatchObject({ requests: 3, client_errors: 3, server_errors: 0 });
    expect(report.series.requests.at(-1)).toBe(3);
    // 401s are rejections; the 404 is not.
    expect(await topKeys(rt.db, "rejected_ip", new Date(0), 5)).toEqual([{ key: "198.51.100.7", count: 2 }]);
  });
});
