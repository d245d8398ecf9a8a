import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { NodeHandler } from "../http/front/listener";
import { getLogger } from "../logger";

export interface PagesOptions {
  dev: boolean;
  /** The project folder (Next.js's `dir`). */
  root: string;
  hostname: string;
  port: number;
}

export interface Pages {
  /** Answers a page request, loading Next.js first if this worker has not yet. */
  handle: NodeHandler;
  /** Loads Next.js now (development: before listening, for hot reload). */
  load(): Promise<void>;
  /** Hot reload's websocket (development). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/**
 * Next.js, for everything that is not a machine endpoint: the pages, NextAuth,
 * the consent page, static assets. A worker loads it on its first such
 * request, not at start: it is most of a worker's memory (about 150 MB) and
 * start-up time, and a worker that only ever answers the API never needs it.
 * Requests that arrive while it loads wait for it; if it fails to load they
 * get a 503 and the next request tries again.
 *
 * It must be loaded after the HTTP front is created (worker.ts): the front's
 * adapter replaces the global Request and Response, and Next.js's own
 * classes must extend the globals its instanceof checks name.
 */
export function createPages(options: PagesOptions): Pages {
  let handler: NodeHandler | null = null;
  let upgrader: ((req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>) | null = null;
  let loading: Promise<void> | null = null;

  const load = (): Promise<void> => {
    loading ??= (async () => {
      const started = performance.now();
      const { default: next } = await import("next");
      const app = next({ dev: options.dev, dir: options.root, hostname: options.hostname, port: options.port });
      await app.prepare();
      handler = app.getRequestHandler() as NodeHandler;
      upgrader = app.getUpgradeHandler() as typeof upgrader;
      getLogger().info({ ms: Math.round(performance.now() - started) }, "pages ready (Next.js loaded)");
    })().catch((error) => {
      loading = null;
      throw error;
    });
    return loading;
  };

  const unavailable = (res: ServerResponse) => {
    if (res.headersSent) return;
    res.writeHead(503, {
      "content-type": "text/plain; charset=utf-8",
      "retry-after": "5",
      "cache-control": "no-store",
    });
    res.end("The pages are starting; retry in a few seconds.\n");
  };

  return {
    load,
    handle(req, res) {
      if (handler) {
        handler(req, res);
        return;
      }
      load().then(
        () => (handler as NodeHandler)(req, res),
        (error) => {
          getLogger().error({ err: error }, "could not load the pages (Next.js)");
          unavailable(res);
        },
      );
    },
    upgrade(req, socket, head) {
      if (upgrader) void upgrader(req, socket, head);
      else socket.destroy();
    },
  };
}
