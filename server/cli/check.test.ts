import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import type { PostureReport } from "../posture/types";
import { type ProcessRun, runProcess } from "../testing/run-process";

/**
 * `gatehouse check` and `gatehouse audit head` as an operator runs them: the
 * real CLI in a child process over a real data folder, with real files whose
 * modes are set with chmod, and a real database tampered with through SQLite.
 * Exit codes: 0 with warnings allowed, 1 on any fail.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const SLOW = 90_000;
const roots: string[] = [];

/** A fresh folder holding the data folder and, beside it (another "disk"), the audit head file. */
function workspace() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-check-"));
  roots.push(root);
  return { root, dataDir: path.join(root, "data"), headFile: path.join(root, "anchor", "audit-head.json") };
}

/** A deployment that passes: https behind a trusted proxy, the head recorded elsewhere. */
function healthyEnv(ws: ReturnType<typeof workspace>): Record<string, string> {
  return { APP_URL: "https://gatehouse.example.com", TRUSTED_PROXIES: "10.0.0.5", AUDIT_HEAD_FILE: ws.headFile };
}

function gatehouse(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<ProcessRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", ...env };
  // A developer's own settings must not leak into the run.
  for (const key of [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "APP_URL",
    "AUTH_SECRET",
    "ENCRYPTION_KEYS",
    "TRUSTED_PROXIES",
    "AUDIT_HEAD_FILE",
    "REDIS_URL",
    "AUDIT_RETENTION_DAYS",
  ])
    if (!(key in env)) delete childEnv[key];
  return runProcess(TSX, ["server/cli/index.ts", ...args], { cwd: ROOT, env: childEnv });
}

function reportOf(run: ProcessRun): PostureReport {
  return JSON.parse(run.stdout) as PostureReport;
}

const statusOf = (report: PostureReport, id: string) => report.results.find((r) => r.id === id)?.status;

/** Makes the folder a deployment that has been running: a database, a backup, the head recorded. */
async function prepared(ws: ReturnType<typeof workspace>, env: Record<string, string>) {
  const backup = await gatehouse(ws.dataDir, ["backup", "--out", path.join(ws.root, "backup-1")], env);
  expect(backup.code, backup.stderr).toBe(0);
  const head = await gatehouse(ws.dataDir, ["audit", "head"], env);
  expect(head.code, head.stderr).toBe(0);
  return head;
}

afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

describe("gatehouse check", () => {
  it(
    "passes a healthy deployment with exit code 0, as a table or as JSON",
    async () => {
      const ws = workspace();
      const env = healthyEnv(ws);
      const head = await prepared(ws, env);
      expect(head.stdout).toMatch(new RegExp(`Recorded audit head seq \\d+, hash [0-9a-f]{64} in ${ws.headFile}`));
      expect(fs.statSync(ws.headFile).mode & 0o777).toBe(0o600);

      const [json, text] = await Promise.all([
        gatehouse(ws.dataDir, ["check", "--json"], env),
        gatehouse(ws.dataDir, ["check"], env),
      ]);
      expect(json.code, json.stderr).toBe(0);
      const report = reportOf(json);
      expect(report.results.filter((r) => r.status !== "pass").map((r) => `${r.id}: ${r.summary}`)).toEqual([]);
      expect(report.overall).toBe("pass");
      expect(statusOf(report, "operations.backups")).toBe("pass");
      expect(report.results.find((r) => r.id === "operations.backups")?.details.join()).toContain("backup-1");

      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^Transport\nSTATUS\s+RULE\s+FOUND\nPASS\s+transport\.https/);
      expect(text.stdout).toMatch(/13 passed, 0 warnings, 0 failed\.\n$/);
      expect(text.stderr).toBe("");
    },
    SLOW,
  );

  it(
    "warns but exits 0 on a developer's folder: no APP_URL, no backup, no recorded head",
    async () => {
      const ws = workspace();
      const run = await gatehouse(ws.dataDir, ["check"]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/WARN\s+transport\.https\s+APP_URL is not set/);
      expect(run.stdout).toMatch(/WARN\s+operations\.backups/);
      expect(run.stdout).toMatch(/WARN\s+operations\.audit-head\s+AUDIT_HEAD_FILE is not set/);
      // The rules that did not pass come with their fix.
      expect(run.stdout).toMatch(/WARN operations\.backups: .*\n\s+Why: .*\n\s+Fix: Run npm run gatehouse -- backup/);
      expect(run.stdout).toMatch(/0 failed\.\n$/);
    },
    SLOW,
  );

  it(
    "fails (exit 1) on loose modes set with chmod: a world-writable data folder, a readable stray file",
    async () => {
      const ws = workspace();
      const env = healthyEnv(ws);
      await prepared(ws, env);
      fs.writeFileSync(path.join(ws.dataDir, "export.csv"), "leaked", { mode: 0o644 });
      fs.chmodSync(path.join(ws.dataDir, "export.csv"), 0o644);
      fs.chmodSync(ws.dataDir, 0o755);
      const readable = await gatehouse(ws.dataDir, ["check", "--json"], env);
      expect(readable.code).toBe(1);
      const report = reportOf(readable);
      const folder = report.results.find((r) => r.id === "secrets.data-folder");
      expect(folder?.status).toBe("fail");
      expect(folder?.details).toEqual(["export.csv has mode 644"]);

      fs.rmSync(path.join(ws.dataDir, "export.csv"));
      fs.chmodSync(ws.dataDir, 0o777);
      const writable = await gatehouse(ws.dataDir, ["check"], env);
      expect(writable.code).toBe(1);
      expect(writable.stdout).toMatch(/FAIL\s+secrets\.data-folder\s+.* has mode 777: other users can add/);
      expect(writable.stdout).toMatch(/1 failed \(exit code 1\)\.\n$/);

      fs.chmodSync(ws.dataDir, 0o711);
      const enterable = await gatehouse(ws.dataDir, ["check", "--json"], env);
      expect(enterable.code, "a warning alone keeps exit code 0").toBe(0);
      expect(statusOf(reportOf(enterable), "secrets.data-folder")).toBe("warn");
      fs.chmodSync(ws.dataDir, 0o700);
    },
    SLOW,
  );

  it(
    "judges secrets.json by its mode: a loose one left behind while the environment holds the keys fails",
    async () => {
      const ws = workspace();
      const env = {
        ...healthyEnv(ws),
        AUTH_SECRET: randomBytes(32).toString("base64url"),
        ENCRYPTION_KEYS: `*k1:${randomBytes(32).toString("base64url")}`,
      };
      await prepared(ws, env);
      const secrets = path.join(ws.dataDir, "secrets.json");
      expect(fs.existsSync(secrets)).toBe(false);
      const clean = await gatehouse(ws.dataDir, ["check", "--json"], env);
      expect(clean.code, clean.stderr).toBe(0);
      expect(reportOf(clean).results.find((r) => r.id === "secrets.source")?.summary).toMatch(
        /AUTH_SECRET, encryption keys from ENCRYPTION_KEYS/,
      );
      // Neither secret is ever printed.
      expect(clean.stdout).not.toContain(env.AUTH_SECRET);
      expect(clean.stdout).not.toContain(env.ENCRYPTION_KEYS.slice(4));

      fs.writeFileSync(secrets, "{}", { mode: 0o644 });
      fs.chmodSync(secrets, 0o644);
      const loose = await gatehouse(ws.dataDir, ["check", "--json"], {
        ...env,
        ADMIN_EMAIL: "first@example.com",
        ADMIN_PASSWORD: "left-over-bootstrap-pass",
      });
      expect(loose.code, loose.stderr).toBe(1);
      expect(reportOf(loose).results.find((r) => r.id === "secrets.source")).toMatchObject({
        status: "fail",
        summary: `${secrets} has mode 644: other users can read the secrets in it.`,
      });
      expect(loose.stdout).not.toContain("left-over-bootstrap-pass");
    },
    SLOW,
  );

  it(
    "with the keys in a loose secrets.json, refuses to open it at all: one line naming the chmod",
    async () => {
      const ws = workspace();
      await gatehouse(ws.dataDir, ["check"]);
      fs.chmodSync(path.join(ws.dataDir, "secrets.json"), 0o640);
      const run = await gatehouse(ws.dataDir, ["check"]);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toBe("");
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(/chmod 600/);
    },
    SLOW,
  );

  it(
    "fails on http APP_URL, a wildcard trusted proxy and a short audit retention, naming each",
    async () => {
      const ws = workspace();
      const run = await gatehouse(ws.dataDir, ["check", "--json"], {
        APP_URL: "http://gatehouse.example.com",
        TRUSTED_PROXIES: "0.0.0.0/0",
        AUDIT_RETENTION_DAYS: "7",
      });
      expect(run.code).toBe(1);
      const report = reportOf(run);
      expect(statusOf(report, "transport.https")).toBe("fail");
      expect(statusOf(report, "transport.trusted-proxies")).toBe("fail");
      expect(statusOf(report, "operations.audit-retention")).toBe("fail");
      expect(report.counts.fail).toBe(3);
    },
    SLOW,
  );

  it(
    "catches a rewritten audit log by the head recorded outside the database, and a missing head file",
    async () => {
      const ws = workspace();
      const env = healthyEnv(ws);
      await prepared(ws, env);
      const recorded = JSON.parse(fs.readFileSync(ws.headFile, "utf8")) as { seq: number; hash: string };

      // Someone with write access to the database "recomputes" the chain: the entry's hash changes.
      const sqlite = new Database(path.join(ws.dataDir, "gatehouse.db"));
      sqlite.prepare("update audit_log set hash = ? where seq = ?").run("f".repeat(64), recorded.seq);
      sqlite.close();
      const rewritten = await gatehouse(ws.dataDir, ["check", "--json"], env);
      expect(rewritten.code).toBe(1);
      const head = reportOf(rewritten).results.find((r) => r.id === "operations.audit-head");
      expect(head?.status).toBe("fail");
      expect(head?.summary).toMatch(new RegExp(`entry ${recorded.seq} no longer has the hash recorded`));

      fs.writeFileSync(ws.headFile, "not json");
      const garbage = await gatehouse(ws.dataDir, ["check"], env);
      expect(garbage.code).toBe(1);
      expect(garbage.stdout).toMatch(
        /FAIL\s+operations\.audit-head\s+.*cannot be read as an audit head record: not JSON/,
      );

      fs.rmSync(ws.headFile);
      const missing = await gatehouse(ws.dataDir, ["check"], env);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toMatch(/FAIL\s+operations\.audit-head\s+AUDIT_HEAD_FILE is set but .* does not exist/);
    },
    SLOW,
  );
});

describe("gatehouse audit head", () => {
  it(
    "prints the head with --out -, and refuses without a target or on an empty log, in one line",
    async () => {
      const ws = workspace();
      const [empty] = await Promise.all([gatehouse(ws.dataDir, ["audit", "head", "--out=-"])]);
      // A fresh folder's log is empty until something is audited.
      expect(empty.code).not.toBe(0);
      expect(empty.stderr).toMatch(/^gatehouse: audit head: the audit log has no entries yet/);

      await gatehouse(ws.dataDir, ["backup", "--out", path.join(ws.root, "b")]);
      const [printed, noTarget] = await Promise.all([
        gatehouse(ws.dataDir, ["audit", "head", "--out=-"]),
        gatehouse(ws.dataDir, ["audit", "head"]),
      ]);
      expect(printed.code, printed.stderr).toBe(0);
      expect(JSON.parse(printed.stdout)).toMatchObject({
        format: "gatehouse-audit-head",
        version: 1,
        seq: expect.any(Number),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(noTarget.code).not.toBe(0);
      expect(noTarget.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(noTarget.stderr).toMatch(/--out: give a file .* or set AUDIT_HEAD_FILE/);
    },
    SLOW,
  );
});
