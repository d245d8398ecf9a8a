#!/usr/bin/env node
/**
 * Gatehouse's HTTP server: Gatehouse's own front for the machine endpoints
 * (/api/v1, /api/trpc, the OAuth endpoints, probes, metrics, the OpenAPI
 * document) and Next.js for the pages, in one node:http server per worker
 * process, one worker per core (WEB_CONCURRENCY). See server/serve/.
 *
 * Why a server of our own and not `next start`: the machine endpoints do not
 * pay for Next.js's request path; and Next.js does not give route handlers
 * the socket's address and passes a client-sent X-Forwarded-For/-Proto
 * through unchanged, so the app could not tell a trusted proxy from a client
 * lying about its IP or scheme. Here every request first loses any
 * `x-gatehouse-peer*` headers a client sent, then gets the real socket
 * address and TLS state, stamped with a secret made at start-up that no
 * client can know (server/security/client-ip.ts).
 *
 *   node scripts/server.mjs          production (builds first if there is no build)
 *   node scripts/server.mjs --dev    development with hot reload of the pages (one process;
 *                                    server/ changes need a restart)
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");
const distDir = process.env.NEXT_DIST_DIR ?? ".next";
process.env.NODE_ENV = dev ? "development" : "production";

const bundle = path.join(root, distDir, "gatehouse", "serve.mjs");
if (!dev && !(existsSync(path.join(root, distDir, "BUILD_ID")) && existsSync(bundle))) {
  // A log line like every other the server writes (server/observability/log-line.ts); the build's own
  // output goes to stderr, so stdout stays one JSON object per line.
  const line = { level: "info", time: new Date().toISOString(), service: "gatehouse", pid: process.pid };
  process.stdout.write(
    `${JSON.stringify({ ...line, msg: "gatehouse: no production build found, building first (npm run build)" })}\n`,
  );
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", process.stderr, "inherit"] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

let serveModule;
if (dev) {
  // The same server code, compiled on the fly (tsx is a development dependency).
  const { tsImport } = await import("tsx/esm/api");
  serveModule = await tsImport(pathToFileURL(path.join(root, "server/serve/main.ts")).href, import.meta.url);
} else {
  serveModule = await import(pathToFileURL(bundle).href);
}
await serveModule.serve({ dev, root });
