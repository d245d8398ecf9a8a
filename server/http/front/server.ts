import http from "node:http";
import type { Runtime } from "../../runtime";
import { answerConnect, answerUnparsable, createRequestListener, type NodeHandler } from "./listener";

export interface FrontServer {
  server: http.Server;
  /** Set when the server stops: answers in flight then carry `Connection: close`. */
  draining(): void;
}

/**
 * The node:http server of one worker, with everything that keeps a client
 * from holding it or from getting an answer that is not ours: bounded header
 * and request times, a cap on the number of headers, problem+json for what
 * the parser refuses (answerUnparsable) and for CONNECT, and a missing Host
 * answered by the front (request-target.ts) rather than by Node's bare 400.
 */
export function createFrontServer(options: { runtime: () => Runtime; next: NodeHandler; stamp: string }): FrontServer {
  let stopping = false;
  const listener = createRequestListener(options);
  const server = http.createServer({ requireHostHeader: false }, (req, res) => {
    if (stopping) res.setHeader("connection", "close");
    listener(req, res);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  server.on("clientError", answerUnparsable);
  server.on("connect", answerConnect);
  return {
    server,
    draining: () => {
      stopping = true;
    },
  };
}
