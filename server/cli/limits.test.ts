import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { attemptSignIn } from "../auth/sign-in";
import { systemClock } from "../clock";
import { loadOrCreateSecrets } from "../config/secrets";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { createUser } from "../services/users";
import { createTestRuntime } from "../testing/harness";
import { type ProcessRun, runProcess } from "../testing/run-process";

/**
 * `gatehouse limits …` as an operator runs it: the real CLI in a child
 * process on a data folder that this test also opens, so a lockout made here
 * (embedded store, same SQLite file) is the one the CLI clears.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const PASSWORD = "correct horse battery staple";
const SLOW = 90_000;

let dataDir: string;
let runtime: ReturnType<typeof createTestRuntime>;
let tokenId: string;

function gatehouse(args: string[]): Promise<ProcessRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" };
  for (const key of [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "APP_URL",
    "AUTH_SECRET",
    "REDIS_URL",
    "UPSTASH_REDIS_REST_URL",
  ]) {
    delete env[key];
  }
  return runProcess(TSX, ["server/cli/index.ts", ...args], { cwd: ROOT, env });
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-limits-cli-"));
  // The data folder a first start leaves behind (secrets, migrated database), so that the
  // commands run in parallel below do not race each other to create it.
  loadOrCreateSecrets(dataDir);
  const base = createTestRuntime();
  runtime = { ...base, db: openDatabase(path.join(dataDir, "gatehouse.db")), clock: systemClock as typeof base.clock };
  const svc = {
    db: runtime.db,
    clock: runtime.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "t" },
  };
  const user = await createUser(svc, { email: "mia@example.com", role: "member", password: PASSWORD });
  tokenId = (await createToken(svc, user.id, { name: "ci", scopes: ["contacts:read"] })).id;
});

afterAll(() => {
  sqliteOf(runtime.db).close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("gatehouse limits", () => {
  it(
    "override sets a per-user and a per-token limit, and list shows them with the policies",
    async () => {
      const [byEmail, byToken] = await Promise.all([
        gatehouse([
          "limits",
          "override",
          "--email",
          "mia@example.com",
          "--limit",
          "1000",
          "--window",
          "1m",
          "--expires-in",
          "1d",
        ]),
        gatehouse(["limits", "override", "--token", tokenId, "--limit", "5", "--window", "10s", "--json"]),
      ]);
      expect(byEmail).toMatchObject({ code: 0, stderr: "" });
      expect(byEmail.stdout).toMatch(/^user mia@example\.com may now make 1000 requests per 1m until \d{4}-/);
      expect(byToken.code).toBe(0);
      expect(JSON.parse(byToken.stdout).override).toMatchObject({
        limit: 5,
        windowSeconds: 10,
        subject: { type: "token" },
      });

      const [list, text] = await Promise.all([gatehouse(["limits", "list", "--json"]), gatehouse(["limits", "list"])]);
      expect(list.code).toBe(0);
      const doc = JSON.parse(list.stdout);
      expect(doc.store).toMatchObject({ kind: "embedded", ok: true });
      expect(doc.policies.map((p: { name: string }) => p.name)).toEqual([
        "api",
        "anon",
        "oauth",
        "sensitive",
        "signin-account",
        "signin-ip",
      ]);
      expect(doc.overrides).toHaveLength(2);
      expect(text.stdout).toContain("RATE_LIMIT_API");
      expect(text.stdout).toContain("mia@example.com");
    },
    SLOW,
  );

  it(
    "unlock clears a sign-in lockout made by the server's code on the same data folder",
    async () => {
      const client = { ip: "198.51.100.9", userAgent: null, requestId: "r" };
      for (let i = 0; i < 5; i++)
        await attemptSignIn(runtime, { email: "mia@example.com", password: "wrong one" }, client);
      expect(await attemptSignIn(runtime, { email: "mia@example.com", password: PASSWORD }, client)).toMatchObject({
        reason: "locked",
      });
      const run = await gatehouse(["limits", "unlock", "--email", "mia@example.com"]);
      expect(run).toMatchObject({ code: 0, stderr: "" });
      expect(run.stdout).toContain("Cleared the sign-in lockout of mia@example.com");
      expect(await attemptSignIn(runtime, { email: "mia@example.com", password: PASSWORD }, client)).toMatchObject({
        ok: true,
      });
    },
    SLOW,
  );

  it(
    "refuses bad command lines (exit 64) and unknown users (exit 1), in one line, changing nothing",
    async () => {
      const runs = await Promise.all([
        gatehouse([
          "limits",
          "override",
          "--email",
          "mia@example.com",
          "--token",
          tokenId,
          "--limit",
          "5",
          "--window",
          "1m",
        ]),
        gatehouse(["limits", "override", "--email", "mia@example.com", "--limit", "5", "--window", "90x"]),
        gatehouse(["limits", "override", "--email", "nobody@example.com", "--limit", "5", "--window", "1m"]),
      ]);
      expect(runs.map((r) => r.code)).toEqual([64, 64, 1]);
      expect(runs[0]?.stderr).toContain("give exactly one of --token and --email");
      expect(runs[1]?.stderr).toContain("--window");
      expect(runs[2]?.stderr).toContain("No user with this email");
      for (const r of runs) expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    },
    SLOW,
  );
});
