import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessRun, runProcess } from "../testing/run-process";

/**
 * `gatehouse user 2fa reset --email E` as an operator runs it, on a real data
 * folder: the user's factors and recovery codes go, the audit log says the
 * command line did it, another user's stay, and an unknown email is one line.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const SLOW = 60_000;
let dataDir: string;

function env(): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" };
  for (const key of ["ADMIN_EMAIL", "ADMIN_PASSWORD", "APP_URL", "AUTH_SECRET"]) delete childEnv[key];
  return childEnv;
}
const gatehouse = (args: string[]): Promise<ProcessRun> =>
  runProcess(TSX, ["server/cli/index.ts", ...args], { cwd: ROOT, env: env() });
// Enrols a TOTP factor through the services, as the account page would (the e2e specs' tool).
const enrol = (email: string) =>
  runProcess(TSX, ["e2e/second-factor-tool.ts", "enrol", email], { cwd: ROOT, env: env() });

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dataDir, "gatehouse.db"), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-cli-2fa-"));
  for (const email of ["locked-out@example.com", "other@example.com"]) {
    const created = await gatehouse([
      "user",
      "create",
      "--email",
      email,
      "--password",
      "A-long-operator-password-1",
      "--role",
      "admin",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const enrolled = await enrol(email);
    expect(enrolled.code, enrolled.stderr).toBe(0);
  }
}, 4 * SLOW);

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("user 2fa reset", () => {
  it(
    "removes the user's factors and recovery codes, audited as the command line; others keep theirs",
    async () => {
      const run = await gatehouse(["user", "2fa", "reset", "--email", "Locked-Out@example.com", "--json"]);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        user: { email: "locked-out@example.com" },
        factorsRemoved: 1,
        recoveryCodesRemoved: 10,
      });
      const left = query<{ email: string; n: number }>(
        "select u.email, count(f.id) as n from users u left join second_factors f on f.user_id = u.id group by u.email order by u.email",
      );
      expect(left).toEqual([
        { email: "locked-out@example.com", n: 0 },
        { email: "other@example.com", n: 1 },
      ]);
      const entry = query<{ actor_kind: string; outcome: string }>(
        "select actor_kind, outcome from audit_log where action = 'second_factor.reset'",
      );
      expect(entry).toEqual([{ actor_kind: "cli", outcome: "success" }]);
    },
    SLOW,
  );

  it(
    "an unknown email or a missing flag is one line on stderr, exit non-zero, nothing changed",
    async () => {
      const unknown = await gatehouse(["user", "2fa", "reset", "--email", "nobody@example.com"]);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
      expect(unknown.stderr).toMatch(/No user with this email/);
      const missing = await gatehouse(["user", "2fa", "reset"]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/email/);
      expect(query("select id from second_factors")).toHaveLength(1);
    },
    SLOW,
  );
});
