#!/usr/bin/env node
/**
 * Gatehouse's HTTP server: Next.js behind a plain node:http server.
 *
 * Why not `next start`: Next.js does not give route handlers the socket's
 * address and passes a client-sent X-Forwarded-For/-Proto through unchanged,
 * so the app could not tell a trusted proxy from a client lying about its IP
 * or scheme. Here every request first loses any `x-gatehouse-peer*` headers a
 * client sent, then gets the real socket address and TLS state, stamped with
 * a secret made at start-up that no client can know (see
 * server/security/client-ip.ts).
 *
 *   node scripts/server.mjs          production (builds first if there is no build)
 *   node scripts/server.mjs --dev    development with hot reload
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");

const portText = process.env.PORT ?? "3000";
const port = Number(portText);
if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
  process.stderr.write(`gatehouse: invalid configuration: PORT: must be an integer between 1 and 65535\n`);
  process.exit(1);
}
const host = process.env.HOST ?? "0.0.0.0";

const distDir = process.env.NEXT_DIST_DIR ?? ".next";
if (!dev && !existsSync(path.join(root, distDir, "BUILD_ID"))) {
  process.stdout.write("gatehouse: no production build found, building first (npm run build)\n");
  const build = spawnSync(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], {
    cwd: root,
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const stamp = randomBytes(32).toString("base64url");
process.env.GATEHOUSE_PEER_STAMP = stamp;
process.env.NODE_ENV = dev ? "development" : "production";

const { default: next } = await import("next");
const app = next({ dev, dir: root, hostname: host === "0.0.0.0" ? "localhost" : host, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  for (const name of ["x-gatehouse-peer", "x-gatehouse-peer-tls", "x-gatehouse-peer-stamp"]) delete req.headers[name];
  req.headers["x-gatehouse-peer"] = req.socket.remoteAddress ?? "";
  req.headers["x-gatehouse-peer-tls"] = "encrypted" in req.socket && req.socket.encrypted ? "1" : "0";
  req.headers["x-gatehouse-peer-stamp"] = stamp;
  // Node keeps only the first of several Authorization headers; join them so
  // the app sees the ambiguity and refuses it (400 invalid_request).
  const authorization = req.headersDistinct.authorization;
  if (authorization && authorization.length > 1) req.headers.authorization = authorization.join(", ");
  handle(req, res);
});
// Bounded header and request times: a slow client cannot hold a connection forever.
server.headersTimeout = 20_000;
server.requestTimeout = 60_000;
server.keepAliveTimeout = 5_000;
server.maxHeadersCount = 100;

server.listen(port, host, () => {
  process.stdout.write(`gatehouse: listening on http://${host}:${port} (${dev ? "development" : "production"})\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5_000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
