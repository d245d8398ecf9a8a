import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { verifyAuditChain } from "./verify";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-chain-mp-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Worker {
  ready: Promise<void>;
  done: Promise<{ written: number; refused: number }>;
}

function appendFrom(file: string, count: number, name: string): Worker {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "node_modules/tsx/dist/cli.mjs"),
      path.join(import.meta.dirname, "testing/append-worker.ts"),
      file,
      String(count),
      name,
    ],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: "silent" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on("data", (chunk) => {
    out += chunk;
    if (out.startsWith("ready\n")) markReady();
  });
  child.stderr.on("data", (chunk) => {
    err += chunk;
  });
  const done = new Promise<{ written: number; refused: number }>((resolve, reject) => {
    child.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out.slice("ready\n".length))) : reject(new Error(err)),
    );
  });
  return { ready, done };
}

/**
 * Two processes append to one database file at the same time, with DEFERRED
 * and IMMEDIATE transactions that read before they write (as services do).
 * SQLite may refuse a deferred transaction whose snapshot went stale
 * (SQLITE_BUSY_SNAPSHOT; the worker retries it), but it never lets two
 * entries chain to the same head: the chain comes out whole.
 */
describe("audit chain under concurrent writers", () => {
  it("never forks when two processes write at once", async () => {
    const file = path.join(dir, "gatehouse.db");
    sqliteOf(openDatabase(file)).close(); // migrations once, before the race
    const workers = [appendFrom(file, 100, "a"), appendFrom(file, 100, "b")];
    await Promise.all(workers.map((w) => w.ready));
    fs.writeFileSync(`${file}.go`, "");
    const [a, b] = await Promise.all(workers.map((w) => w.done));
    expect((a?.written ?? 0) + (b?.written ?? 0)).toBe(200);

    const db = openDatabase(file);
    const report = await verifyAuditChain(db);
    sqliteOf(db).close();
    expect(report).toMatchObject({ ok: true, checked: 200, broken: null });
  }, 60_000);
});
