#!/usr/bin/env node
/**
 * Builds Gatehouse's server (server/serve/main.ts: the supervisor, the
 * workers and the HTTP front of the machine endpoints) into ES modules,
 * `<NEXT_DIST_DIR>/gatehouse/serve.mjs` and its chunks, that scripts/server.mjs loads in
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
  entryPoints: { serve: "server/serve/main.ts" },
  outdir: path.join(distDir, "gatehouse"),
  outExtension: { ".js": ".mjs" },
  // Each process loads what it runs: the supervisor neither the pipeline nor the database code.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  tsconfig: "tsconfig.json",
  sourcemap: true,
  logLevel: "warning",
});
