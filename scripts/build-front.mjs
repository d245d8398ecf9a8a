#!/usr/bin/env node
/**
 * Builds Gatehouse's server (server/serve/main.ts: the supervisor, the
 * workers and the HTTP front of the machine endpoints) into one ES module,
 * `<NEXT_DIST_DIR>/gatehouse/serve.mjs`, that scripts/server.mjs loads in
 * production. Next.js builds the pages; this builds the part that serves
 * without it. Packages stay external (resolved from node_modules at run
 * time, native ones included); only the project's own TypeScript is bundled.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const distDir = process.env.NEXT_DIST_DIR ?? ".next";

await build({
  absWorkingDir: root,
  entryPoints: ["server/serve/main.ts"],
  outfile: path.join(distDir, "gatehouse", "serve.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  tsconfig: "tsconfig.json",
  sourcemap: true,
  logLevel: "warning",
});
