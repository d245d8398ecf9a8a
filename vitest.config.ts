import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["{server,db,components,scripts}/**/*.test.ts"],
    environment: "node",
    // Each file gets its own process: module-level singletons (config, runtime) never leak between files.
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 30_000,
    env: { LOG_LEVEL: "silent" },
    // next-auth imports "next/server" without an extension, which Node's ESM loader refuses; let Vite
    // resolve it (only tests that load the real NextAuth route need this, e.g. http/sign-in-throttle.test.ts).
    server: { deps: { inline: ["next-auth"] } },
  },
});
