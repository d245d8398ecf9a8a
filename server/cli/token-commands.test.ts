import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { checkToken } from "../services/tokens";

/** `token …` and `user revoke-all`, run as an operator would, through the real CLI process. */

const ROOT = path.resolve(import.meta.dirname, "../..");
let dataDir: string;

function gatehouse(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" };
  for (const key of ["ADMIN_EMAIL", "ADMIN_PASSWORD", "APP_URL", "AUTH_SECRET"]) delete env[key];
  const run = spawnSync(process.execPath, ["--import", "tsx", "server/cli/index.ts", ...args], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("gatehouse token / user revoke-all", () => {
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-cli-token-"));
    expect(
      gatehouse("user", "create", "--email", "ops@example.com", "--password", "operator passphrase", "--role", "member")
        .code,
    ).toBe(0);
  }, 60_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("creates a working token, lists it without the secret, and revokes it", async () => {
    const created = gatehouse(
      "--json",
      "token",
      "create",
      "--email",
      "ops@example.com",
      "--name",
      "ci",
      "--scopes",
      "contacts:read,contacts:write",
      "--expires-in",
      "30d",
    );
    expect(created.code, created.stderr).toBe(0);
    const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
    expect(id).toMatch(/^tok_/);
    expect(token).toMatch(/^gth_/);

    const db = openDatabase(path.join(dataDir, "gatehouse.db"));
    const clock = { now: () => new Date() };
    expect((await checkToken(db, clock, token, null)).ok).toBe(true);

    const listed = gatehouse("--json", "token", "list", "--email", "ops@example.com");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(token);

    const revoked = gatehouse("token", "revoke", id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await checkToken(db, clock, token, null)).ok).toBe(false);
    sqliteOf(db).close();
  }, 60_000);

  it("refuses scopes beyond the owner's role and unknown scopes, with one line and no token", () => {
    const beyond = gatehouse("token", "create", "--email", "ops@example.com", "--name", "x", "--scopes", "admin");
    expect(beyond.code).not.toBe(0);
    expect(beyond.stderr.trim().split("\n")).toHaveLength(1);
    expect(beyond.stdout).not.toMatch(/gth_/);
    const unknown = gatehouse(
      "token",
      "create",
      "--email",
      "ops@example.com",
      "--name",
      "x",
      "--scopes",
      "contacts:everything",
    );
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain("--scopes");
  }, 60_000);

  it("user revoke-all revokes every token of the user", async () => {
    const a = JSON.parse(
      gatehouse("--json", "token", "create", "--email", "ops@example.com", "--name", "a", "--scopes", "contacts:read")
        .stdout,
    );
    const b = JSON.parse(
      gatehouse("--json", "token", "create", "--email", "ops@example.com", "--name", "b", "--scopes", "contacts:read")
        .stdout,
    );
    const result = gatehouse("--json", "user", "revoke-all", "--email", "ops@example.com");
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).tokensRevoked).toBe(2);
    const db = openDatabase(path.join(dataDir, "gatehouse.db"));
    const clock = { now: () => new Date() };
    expect((await checkToken(db, clock, a.token, null)).ok).toBe(false);
    expect((await checkToken(db, clock, b.token, null)).ok).toBe(false);
    sqliteOf(db).close();
  }, 60_000);
});
