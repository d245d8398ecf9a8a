import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";

const include = ["{server,db,components,scripts}/**/*.test.ts"];

/**
 * With TEST_DATABASE_URL (scripts/with-test-database.mjs; `npm run test:postgres`) the suite runs
 * against PostgreSQL: every test runtime (server/testing/harness.ts) gets a schema of its own there.
 * Left out are the files that start processes on a data folder of their own (those run on SQLite
 * whatever the harness opens), and the files that reach what only the embedded store has (the SQLite
 * connection, a database file) without saying, through ON_POSTGRES, which of their tests are SQLite's.
 */
const STARTS_PROCESSES = /spawn\(|runProcess|runCli\(|node:child_process|\.integration\.test\.ts/;
const REACHES_SQLITE = /sqliteOf\(|openSqlite\(|openDatabase\(|EmbeddedStore|\.\$client/;

function sqliteOnlyFiles(): string[] {
  const found: string[] = [];
  for (const dir of ["server", "db", "components", "scripts"]) {
    for (const file of fs.readdirSync(dir, { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".test.ts")) continue;
      const relative = path.join(dir, file);
      if (relative.startsWith(path.join("db", "postgres"))) continue;
      const text = fs.readFileSync(relative, "utf8");
      if (
        STARTS_PROCESSES.test(relative) ||
        STARTS_PROCESSES.test(text) ||
        (REACHES_SQLITE.test(text) && !text.includes("ON_POSTGRES"))
      ) {
        found.push(relative);
      }
    }
  }
  return found;
}

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include,
    exclude: process.env.TEST_DATABASE_URL ? ["**/node_modules/**", ...sqliteOnlyFiles()] : ["**/node_modules/**"],
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
