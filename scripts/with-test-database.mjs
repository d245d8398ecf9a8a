#!/usr/bin/env node
// Runs a command against a fresh PostgreSQL database, made for this run and
// dropped after it (also when the command fails or is interrupted):
//
//   node scripts/with-test-database.mjs npx vitest run
//
// The command gets TEST_DATABASE_URL, which the test harness reads to run the
// suite against PostgreSQL instead of in-memory SQLite. The server is
// POSTGRES_TEST_URL (default postgres://postgres@127.0.0.1:5432/test: the
// database named there is only used to create and drop the fresh one).
// Without a server that answers, it says so loudly and exits 0 — or 1 under
// REQUIRE_SERVICES=1 (CI), so a missing PostgreSQL never passes silently.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";

const admin = process.env.POSTGRES_TEST_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const command = process.argv.slice(2);
if (command.length === 0) {
  console.error("usage: node scripts/with-test-database.mjs <command> [args…]");
  process.exit(2);
}

const name = `gatehouse_test_${process.pid}_${randomBytes(4).toString("hex")}`;

async function onServer(statement) {
  const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

try {
  await onServer(`create database "${name}"`);
} catch (error) {
  const reason = `no PostgreSQL to make a test database on (${error.message})`;
  if (process.env.REQUIRE_SERVICES === "1") {
    console.error(`with-test-database: ${reason}, and REQUIRE_SERVICES=1 makes that a failure`);
    process.exit(1);
  }
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPED: the suite on PostgreSQL\n!! ${reason}. Set POSTGRES_TEST_URL.\n${bar}\n`);
  process.exit(0);
}

const url = new URL(admin);
url.pathname = `/${name}`;
console.log(`with-test-database: ${name}`);
const child = spawn(command[0], command.slice(1), {
  stdio: "inherit",
  env: { ...process.env, TEST_DATABASE_URL: url.toString(), POSTGRES_TEST_URL: url.toString() },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
const code = await new Promise((resolve) =>
  child.on("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))),
);
try {
  await onServer(`drop database if exists "${name}" with (force)`);
} catch (error) {
  console.error(`with-test-database: could not drop ${name}: ${error.message}`);
}
process.exit(code);
