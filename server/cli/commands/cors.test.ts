import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { cliClient } from "../../auth/principal";
import { CLI_ACTOR } from "../../services/audit";
import { listCorsOrigins } from "../../services/cors-origins";
import { createTestRuntime, type TestRuntime } from "../../testing/harness";
import { runProcess } from "../../testing/run-process";
import { readFlags, splitCommandLine, validateFlags } from "../args";
import type { CliContext } from "../context";
import { describeFailure } from "../errors";
import { helpFor } from "../help";
import { findCommand } from "../registry";
import "./index";

/**
 * `gatehouse cors add ORIGIN [--credentials] | remove ORIGIN | list`.
 * Most cases run in-process through the same steps as server/cli/index.ts
 * (words -> flags -> zod -> run -> one-line failure), on an in-memory
 * database; one run spawns the real command line, as an operator would.
 */

const ROOT = path.resolve(import.meta.dirname, "../../..");

let rt: TestRuntime;
let ctx: CliContext;

beforeEach(() => {
  rt = createTestRuntime();
  ctx = { services: async () => ({ db: rt.db, clock: rt.clock, actor: CLI_ACTOR, client: cliClient }) };
});

/** What `npm run gatehouse -- <argv>` would print and exit with. */
async function gatehouse(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { words, rest } = splitCommandLine(argv);
  const found = findCommand(words);
  if (!found || found.used !== words.length) throw new Error(`no command ${words.join(" ")}`);
  try {
    const flags = readFlags(found.command.flags, rest);
    if (flags.help) return { code: 0, stdout: helpFor(found.command.path).text, stderr: "" };
    const result = await found.command.run(ctx, validateFlags(found.command.flags, flags.raw));
    return { code: 0, stdout: flags.json ? JSON.stringify(result.json) : result.text, stderr: "" };
  } catch (error) {
    const { line, code } = describeFailure(error, found.command.path.join(" "));
    return { code, stdout: "", stderr: line };
  }
}

describe("gatehouse cors (in-process)", () => {
  it("adds with --credentials and a note, lists, and removes by any spelling", async () => {
    const added = await gatehouse(["cors", "add", "https://Partner.Example.com", "--credentials", "--note", "portal"]);
    expect(added).toEqual({ code: 0, stdout: "Added https://partner.example.com (with credentials).", stderr: "" });
    const plain = await gatehouse(["cors", "add", "http://localhost:3401"]);
    expect(plain.stdout).toBe("Added http://localhost:3401 (without credentials).");

    const listed = await gatehouse(["cors", "list", "--json"]);
    expect(JSON.parse(listed.stdout)).toEqual({
      origins: [
        expect.objectContaining({ origin: "http://localhost:3401", allowCredentials: false, createdBy: "cli" }),
        expect.objectContaining({ origin: "https://partner.example.com", allowCredentials: true, note: "portal" }),
      ],
    });
    expect((await gatehouse(["cors", "list"])).stdout).toMatch(/^ORIGIN\s+CREDENTIALS\s+NOTE/);

    expect((await gatehouse(["cors", "remove", "HTTPS://PARTNER.EXAMPLE.COM:443"])).stdout).toBe(
      "Removed https://partner.example.com.",
    );
    expect((await listCorsOrigins(rt.db)).map((o) => o.origin)).toEqual(["http://localhost:3401"]);
  });

  it("refuses bad origins in one line saying why, changing nothing", async () => {
    for (const [argv, why, code] of [
      [["cors", "add", "https://partner.example.com/"], /^gatehouse: cors add: .*not even a trailing slash/, 1],
      [["cors", "add", "https://*.example.com"], /Partial wildcards/, 1],
      [["cors", "add", "null"], /sandboxed/, 1],
      [["cors", "add", "*"], /confirm it explicitly/, 1],
      [["cors", "add", "*", "--confirm-wildcard", "--credentials"], /cannot be combined with credentials/, 1],
      [["cors", "add"], /ORIGIN: is required/, 64],
      [["cors", "add", "https://a.example", "https://b.example"], /unexpected argument/, 64],
      [["cors", "add", "--origin", "https://a.example"], /unknown flag/, 64],
      [["cors", "remove", "https://never.example.com"], /not found/, 1],
      [["cors", "remove", "ftp://x"], /Only http and https/, 1],
    ] as const) {
      const run = await gatehouse([...argv]);
      expect(run.code, argv.join(" ")).toBe(code);
      expect(run.stderr, argv.join(" ")).toMatch(why);
      expect(run.stderr.split("\n")).toHaveLength(1);
    }
    expect(await listCorsOrigins(rt.db)).toEqual([]);
  });

  it("adds * only with --confirm-wildcard, and documents the positional ORIGIN in help", async () => {
    expect((await gatehouse(["cors", "add", "*", "--confirm-wildcard"])).stdout).toBe("Added * (without credentials).");
    const help = await gatehouse(["cors", "add", "--help"]);
    expect(help.stdout).toMatch(/Usage: npm run gatehouse -- cors add ORIGIN \[--credentials\]/);
    expect(help.stdout).toMatch(/\n {2}ORIGIN +scheme, host and optional port/);
  });
});

describe("gatehouse cors (the real command line)", () => {
  it("adds an origin with --credentials, audited as cli", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-cors-cli-"));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" };
      for (const key of ["ADMIN_EMAIL", "ADMIN_PASSWORD", "APP_URL", "AUTH_SECRET"]) delete env[key];
      const run = await runProcess(
        path.join(ROOT, "node_modules/.bin/tsx"),
        ["server/cli/index.ts", "cors", "add", "https://partner.example.com", "--credentials"],
        { cwd: ROOT, env },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe("Added https://partner.example.com (with credentials).\n");
      const db = new Database(path.join(dataDir, "gatehouse.db"), { readonly: true });
      try {
        expect(db.prepare("select origin, allow_credentials from cors_origins").all()).toEqual([
          { origin: "https://partner.example.com", allow_credentials: 1 },
        ]);
        expect(db.prepare("select action, actor_kind from audit_log where action like 'cors.%'").all()).toEqual([
          { action: "cors.add", actor_kind: "cli" },
        ]);
      } finally {
        db.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
