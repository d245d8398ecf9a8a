import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { requestIdFrom } from "../../context";
import { newId } from "../../ids";
import { getLogger } from "../../logger";
import { METRICS } from "../../observability/metrics";
import { countRequest } from "../../observability/traffic";
import type { Runtime } from "../../runtime";
import { normalizeIp, PEER_HEADER, PEER_STAMP_HEADER, PEER_TLS_HEADER } from "../../security/client-ip";
import { applyApiHeaders, withApiHeaders } from "../api-headers";
import { problem, problemResponse } from "../problem";
import { UNMATCHED } from "../route-label";
import { serveMachineEndpoint } from "./dispatch";
import { isServedMethod, type MachineEndpoint, machineEndpointOf, rawPathOf, SERVED_METHODS } from "./endpoints";
import { type FrontRefusal, refuseRequest } from "./refusal";
import { hostDefect, targetDefect } from "./request-target";

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

const ENDPOINT = Symbol("gatehouse.endpoint");
type Tagged = IncomingMessage & { [ENDPOINT]?: MachineEndpoint };

const ALLOW = SERVED_METHODS.join(", ");

/**
 * The node:http request listener of a Gatehouse worker: the one place where
 * a request enters.
 *
 * 1. The request's own facts are fixed once, in its headers, before anything
 *    reads them: any `x-gatehouse-peer*` header a client sent is dropped and
 *    the socket's address and TLS state are stamped with this server's secret
 *    (server/security/client-ip.ts); the request id is the caller's
 *    well-formed `X-Request-Id` or a new one; several `Authorization`
 *    headers are joined so the doors see the ambiguity and refuse it.
 * 2. Methods nothing here serves (TRACE, CONNECT, WebDAV, inventions), a
 *    request target that is too long, not a path, or badly escaped, and a
 *    missing or malformed Host are refused with problem+json — logged,
 *    counted and rate limited (refusal.ts) — whatever the path.
 * 3. Machine endpoints (endpoints.ts) go to the request pipeline over
 *    standard Request/Response, converted by @hono/node-server; everything
 *    else goes to Next.js unchanged.
 */
export function createRequestListener(options: {
  runtime: () => Runtime;
  next: NodeHandler;
  stamp: string;
}): NodeHandler {
  const { runtime, next, stamp } = options;
  const machine = getRequestListener(
    (request, env) => serveMachineEndpoint(request, runtime(), (env.incoming as Tagged)[ENDPOINT] as MachineEndpoint),
    {
      // The adapter's lightweight Request/Response become the process's globals (see server/serve/worker.ts).
      overrideGlobalObjects: true,
      // Only a request the adapter cannot turn into a Request gets here (the front checked the target and Host first).
      errorHandler: (error) => {
        const requestId = newId("request");
        getLogger().error({ requestId, err: error }, "request conversion failed");
        return withApiHeaders(
          problemResponse(problem(400, "The request could not be read", { reason: "malformed_request", requestId })),
          requestId,
        );
      },
    },
  );

  return (req, res) => {
    stampFacts(req, stamp);
    const refusal = refusalOf(req);
    if (refusal) {
      void answer(res, refuseRequest({ method: safeMethod(req.method), headers: headersOf(req) }, runtime(), refusal));
      return;
    }
    // An HTTP/1.0 request without Host: it is addressed to us, so it is read as if it named our origin.
    if (req.headers.host === undefined) addHeader(req, "host", runtime().config.appUrl.host);
    const endpoint = machineEndpointOf(rawPathOf(req.url ?? "/"));
    if (endpoint) {
      (req as Tagged)[ENDPOINT] = endpoint;
      void machine(req, res);
      return;
    }
    next(req, res);
  };
}

function refusalOf(req: IncomingMessage): FrontRefusal | null {
  const method = req.method ?? "";
  if (!isServedMethod(method)) {
    // 405 for a standard method we refuse (TRACE; CONNECT never gets here, see answerConnect); 501 for the rest.
    // Methods Node's parser does not know at all (TRACK, FOO) never get here either: answerUnparsable says 501.
    const known = method === "TRACE" || method === "CONNECT";
    return {
      status: known ? 405 : 501,
      reason: "method_not_allowed",
      detail: `${known ? method : "This method"} is not served here; use ${ALLOW}`,
      headers: { allow: ALLOW },
    };
  }
  const target = targetDefect(req.url ?? "");
  if (target) return target;
  const hosts: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).toLowerCase() === "host") hosts.push(req.rawHeaders[i + 1] as string);
  }
  // HTTP/1.0 has no Host requirement (RFC 9112 §3.2), and load balancers' health checks often send none.
  if (hosts.length === 0 && req.httpVersion === "1.0") return null;
  return hostDefect(hosts);
}

/** The request's headers, rebuilt from the sanitized raw list (stampFacts), as a standard Headers object. */
function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
    } catch {
      // A header the fetch API refuses (bad name or value): irrelevant to a refusal.
    }
  }
  return headers;
}

function addHeader(req: IncomingMessage, name: string, value: string): void {
  req.rawHeaders.push(name, value);
  (req as unknown as AddHeaderLine)._addHeaderLine.call(req, name, value, req.headers as Record<string, unknown>);
}

type AddHeaderLine = { _addHeaderLine(name: string, value: string, into: Record<string, unknown>): void };

function stampFacts(req: IncomingMessage, stamp: string): void {
  const raw = req.rawHeaders;
  const clean: string[] = [];
  let requestId: string | null = null;
  const authorizations: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (lower.startsWith("x-gatehouse-peer")) continue;
    if (lower === "x-request-id") {
      requestId ??= value;
      continue;
    }
    if (lower === "authorization") {
      authorizations.push(value);
      continue;
    }
    clean.push(name, value);
  }
  // Node keeps only the first of several Authorization headers; joined, the doors see the ambiguity (400).
  if (authorizations.length > 0) clean.push("authorization", authorizations.join(", "));
  const id = requestIdFrom(requestId);
  clean.push(
    "x-request-id",
    id,
    PEER_HEADER,
    req.socket.remoteAddress ?? "",
    PEER_TLS_HEADER,
    "encrypted" in req.socket && (req.socket as { encrypted?: boolean }).encrypted ? "1" : "0",
    PEER_STAMP_HEADER,
    stamp,
  );
  req.rawHeaders = clean;
  // req.headers as Node would have built it from the cleaned list (its own lazy build counts the original entries only).
  const headers: Record<string, string | string[]> = {};
  const add = (req as unknown as AddHeaderLine)._addHeaderLine;
  for (let i = 0; i < clean.length; i += 2) add.call(req, clean[i] as string, clean[i + 1] as string, headers);
  req.headers = headers as IncomingMessage["headers"];
}

/** A method name that the fetch API's Headers/Request machinery and a log line can hold. */
function safeMethod(method: string | undefined): string {
  return method && /^[A-Z][A-Z0-9_-]{0,19}$/.test(method) ? method : "INVALID";
}

async function answer(res: ServerResponse, response: Promise<Response>): Promise<void> {
  try {
    const r = await response;
    const headers: Record<string, string> = {};
    r.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = Buffer.from(await r.arrayBuffer());
    headers["content-length"] = String(body.byteLength);
    res.writeHead(r.status, headers);
    res.end(res.req.method === "HEAD" ? undefined : body);
  } catch (error) {
    getLogger().error({ err: error }, "could not answer a refused request");
    res.destroy();
  }
}

/**
 * A request Node's HTTP parser could not read (malformed request line or
 * header, headers too large, an unknown method): answered on the socket with
 * a problem+json and the API header set, logged and counted, then closed.
 */
export function answerUnparsable(error: NodeJS.ErrnoException, socket: Socket): void {
  const code = error.code ?? "";
  if (!socket.writable || code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  writeRawProblem(
    socket,
    code === "HPE_HEADER_OVERFLOW"
      ? { status: 431, reason: "headers_too_large", detail: "The request headers are too large" }
      : code === "HPE_INVALID_METHOD"
        ? {
            status: 501,
            reason: "method_not_allowed",
            detail: `This method is not served here; use ${ALLOW}`,
            headers: { allow: ALLOW },
          }
        : code === "ERR_HTTP_REQUEST_TIMEOUT" || code === "HPE_HEADERS_TIMEOUT"
          ? { status: 408, reason: "request_timeout", detail: "The request took too long to arrive" }
          : { status: 400, reason: "malformed_request", detail: "The request could not be parsed as HTTP/1.1" },
    code || "parse",
  );
}

/** CONNECT never reaches a request listener (Node hands over the socket): refused here, as TRACE is. */
export function answerConnect(_req: IncomingMessage, socket: Socket): void {
  writeRawProblem(
    socket,
    {
      status: 405,
      reason: "method_not_allowed",
      detail: `CONNECT is not served here; use ${ALLOW}`,
      headers: { allow: ALLOW },
    },
    "connect",
  );
}

function writeRawProblem(socket: Socket, refusal: FrontRefusal, cause: string): void {
  const requestId = newId("request");
  const ip = normalizeIp(socket.remoteAddress);
  const headers = new Headers(refusal.headers);
  applyApiHeaders(headers, requestId);
  headers.set("content-type", "application/problem+json");
  headers.set("connection", "close");
  const body = JSON.stringify(problem(refusal.status, refusal.detail, { reason: refusal.reason, requestId }));
  headers.set("content-length", String(Buffer.byteLength(body)));
  let head = `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status] ?? "Bad Request"}\r\n`;
  headers.forEach((value, name) => {
    head += `${name}: ${value}\r\n`;
  });
  socket.end(`${head}\r\n${body}`);
  try {
    METRICS.requests.inc(["front", UNMATCHED, String(refusal.status)]);
    countRequest({ at: new Date(), status: refusal.status, principalId: null, ip });
    getLogger().info(
      { requestId, door: "front", method: null, route: UNMATCHED, status: refusal.status, cause, ip },
      "request",
    );
  } catch {
    // Observability never fails an answer.
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
};
