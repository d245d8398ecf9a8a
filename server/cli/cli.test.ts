import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../auth/password";
import { type ProcessRun, runProcess } from "../testing/run-process";

/**
 * Runs the real CLI as a child process against a fresh data folder, as an
 * operator would. Each spawn costs about a second (tsx), so independent runs
 * go in parallel and the steps that build on each other share one folder.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const PASSWORD = "Operator-Chosen-Secret-0001";
const NEW_PASSWORD = "Second-Operator-Secret-0002";
const SLOW = 60_000;

let dataDir: string;
const runs: ProcessRun[] = [];

function gatehouse(args: string[], env: Record<string, string> = {}, stdin = ""): Promise<ProcessRun> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    ...env,
  };
  // A developer's own settings must not leak into the run.
  for (const key of ["ADMIN_EMAIL", "ADMIN_PASSWORD", "APP_URL", "AUTH_SECRET"])
    if (!(key in env)) delete childEnv[key];
  return runProcess(TSX, ["server/cli/index.ts", ...args], { cwd: ROOT, env: childEnv, stdin }).then((run) => {
    runs.push(run);
    return run;
  });
}

/** A failure is exactly one line on stderr, starting with the command, and no stack trace. */
function expectOneLineFailure(run: ProcessRun, prefix: string) {
  expect(run.code).not.toBe(0);
  expect(run.stdout).toBe("");
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]?.startsWith(prefix)).toBe(true);
  expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  return lines[0] as string;
}

function passwordHashOf(email: string): string | null {
  const db = new Database(path.join(dataDir, "gatehouse.db"), { readonly: true });
  try {
    const row = db.prepare("select password_hash from users where email = ?").get(email) as
      | { password_hash: string }
      | undefined;
    return row?.password_hash ?? null;
  } finally {
    db.close();
  }
}

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-cli-"));
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("gatehouse CLI", () => {
  it(
    "creates a user, and rejects bad flags and bad configuration without touching anything",
    async () => {
      // Runs that must fail before opening anything get their own folder, which must stay empty.
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-cli-scratch-"));
      const [created, badFlags, unknownFlag, help, badConfig] = await Promise.all([
        gatehouse([
          "user",
          "create",
          "--email",
          "Ada@Example.com",
          "--password",
          PASSWORD,
          "--role",
          "admin",
          "--name",
          "Ada",
        ]),
        gatehouse(["user", "create", "--email", "x@example.com", "--password", "short", "--role", "owner"], {
          DATA_DIR: scratch,
        }),
        gatehouse(["user", "create", `--pasword=${PASSWORD}`], { DATA_DIR: scratch }),
        gatehouse(["--help"]),
        gatehouse(["user", "list"], { DATA_DIR: scratch, APP_URL: "ftp://example.com" }),
      ]);
      const leftInScratch = fs.readdirSync(scratch);
      fs.rmSync(scratch, { recursive: true, force: true });
      expect(leftInScratch).toEqual([]);

      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^Created user ada@example\.com \(usr_\w+\) with role admin\.$/m);

      // Every bad flag is named, in one line, and the value given is not repeated.
      const problem = expectOneLineFailure(badFlags, "gatehouse: user create: ");
      expect(badFlags.code).toBe(64);
      expect(problem).toContain("--password: must be at least 12 characters");
      expect(problem).toContain("--role: must be one of admin, member");
      expect(expectOneLineFailure(unknownFlag, "gatehouse: user create: ")).toBe(
        "gatehouse: user create: unknown flag --pasword",
      );

      expect(help.code).toBe(0);
      for (const command of ["user create", "user list", "user disable", "user enable", "user set-password", "help"]) {
        expect(help.stdout).toContain(`  ${command}`);
      }

      expect(badConfig.code).toBe(2);
      expect(expectOneLineFailure(badConfig, "gatehouse: invalid configuration: ")).toContain("APP_URL");
    },
    SLOW,
  );

  it(
    "refuses a duplicate email, disables a user, and sets a password without forcing a change",
    async () => {
      const [duplicate, bob] = await Promise.all([
        gatehouse(["user", "create", "--email", "ADA@example.com", "--password", PASSWORD, "--role", "member"]),
        // `--password -` reads it from stdin, keeping it off the command line.
        gatehouse(
          ["user", "create", "--email", "bob@example.com", "--password", "-", "--role", "member", "--json"],
          {},
          `${PASSWORD}\n`,
        ),
      ]);
      expect(expectOneLineFailure(duplicate, "gatehouse: user create: ")).toBe(
        "gatehouse: user create: A user with this email already exists",
      );
      expect(duplicate.code).toBe(1);
      expect(JSON.parse(bob.stdout).user).toMatchObject({ email: "bob@example.com", role: "member" });
      expect(await verifyPassword(passwordHashOf("bob@example.com"), PASSWORD)).toBe(true);

      const disabled = await gatehouse(["user", "disable", "--email", "bob@example.com"]);
      expect(disabled.code).toBe(0);

      const [reset, list] = await Promise.all([
        gatehouse(["user", "set-password", "--email", "bob@example.com", "--password", NEW_PASSWORD, "--json"]),
        gatehouse(["--json", "user", "list"]),
      ]);
      expect(reset.code).toBe(0);
      expect(JSON.parse(reset.stdout).user).toMatchObject({ email: "bob@example.com", mustChangePassword: false });
      expect(await verifyPassword(passwordHashOf("bob@example.com"), NEW_PASSWORD)).toBe(true);
      const listed = JSON.parse(list.stdout);
      expect(listed.total).toBe(2);
      expect(listed.users).toMatchObject([
        { email: "ada@example.com", name: "Ada", role: "admin", disabled: false },
        { email: "bob@example.com", name: null, role: "member", disabled: true },
      ]);
    },
    SLOW,
  );

  it("audits every change as actor cli, and never shows or stores a password", () => {
    const db = new Database(path.join(dataDir, "gatehouse.db"), { readonly: true });
    const rows = db.prepare("select action, actor_kind, outcome from audit_log order by seq").all() as {
      action: string;
      actor_kind: string;
      outcome: string;
    }[];
    db.close();
    for (const action of ["user.create", "user.disable", "user.password_reset"]) {
      expect(rows.filter((r) => r.action === action && r.actor_kind === "cli" && r.outcome === "success")).not.toEqual(
        [],
      );
    }
    expect(rows.every((r) => r.actor_kind === "cli")).toBe(true);

    expect(runs.length).toBe(10);
    for (const run of runs) {
      for (const secret of [PASSWORD, NEW_PASSWORD]) {
        expect(run.stdout).not.toContain(secret);
        expect(run.stderr).not.toContain(secret);
      }
    }
    for (const file of ["gatehouse.db", "gatehouse.db-wal"]) {
      const full = path.join(dataDir, file);
      // The WAL is folded into the database when the last connection closes, so it may be gone.
      if (file.endsWith("-wal") && !fs.existsSync(full)) continue;
      const bytes = fs.readFileSync(full);
      for (const secret of [PASSWORD, NEW_PASSWORD]) expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
  });
});
