import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sqliteOf } from "@/db";
import { ACCOUNT_EMAIL_PATTERN, accountEmail } from "../auth/account-email";
import { parseEnv } from "../config/env";
import { callerFor, createTestRuntime, failureOf, seedUser } from "../testing/harness";
import { type ProcessRun, runProcess } from "../testing/run-process";
import { readFlags, validateFlags } from "./args";
import "./commands";
import { findCommand } from "./registry";

/**
 * The command line and the dashboard validate with the same schemas: every
 * hostile or unusual value gets the same verdict from `gatehouse user create`
 * (its flags, parsed as the CLI parses them) as from the admin.users.create
 * procedure the dashboard calls — and likewise for token names, OAuth client
 * names and rate-limit notes. And the addresses Gatehouse itself gives
 * accounts (admin@localhost, the first admin's default) are valid on every
 * door, so that account can be recovered from the command line.
 */

const PASSWORD = "Schema-Parity-Passphrase-4417";

/** Whether the CLI accepts these flags of a command: its own parsing (readFlags) and validation (validateFlags). */
function cliAccepts(words: string[], args: string[]): boolean {
  const found = findCommand(words);
  if (!found) throw new Error(`no command ${words.join(" ")}`);
  try {
    validateFlags(found.command.flags, readFlags(found.command.flags, args).raw);
    return true;
  } catch {
    return false;
  }
}

const HOSTILE_TEXT: Array<[string, string]> = [
  ["a line feed", "Ada\nLovelace"],
  ["a carriage return", "Ada\rSet-Cookie: x=1"],
  ["CRLF", "Ada\r\nX-Injected: 1"],
  ["a tab", "Ada\tLovelace"],
  ["NUL", "Ada\u0000"],
  ["DEL", "Ada\u007F"],
  ["a C1 control (NEL)", "Ada\u0085Lovelace"],
  ["a right-to-left override", "Ada\u202Egpj.exe"],
  ["a bidi isolate", "Ada\u2066x\u2069"],
  ["ESC (terminal escape)", "Ada\u001b[31m"],
];

describe("user create: the CLI refuses and accepts exactly what the dashboard does", () => {
  let rt: ReturnType<typeof createTestRuntime>;
  let admin: Awaited<ReturnType<typeof seedUser>>;
  let n = 0;
  beforeAll(async () => {
    rt = createTestRuntime();
    admin = await seedUser(rt, "root@example.com", "admin", PASSWORD);
  });
  afterAll(() => sqliteOf(rt.db).close());

  /** The procedure's verdict on the input: anything but a 400 got past its schema (a taken email is a 409). */
  const dashboardAccepts = async (input: { email: string; name?: string }) =>
    !(
      await failureOf(
        callerFor(rt, admin.principal).admin.users.create({ ...input, role: "member", password: PASSWORD }),
      )
    ).startsWith("BAD_REQUEST");
  const cliCreateAccepts = (input: { email: string; name?: string }) =>
    cliAccepts(
      ["user", "create"],
      [
        "--email",
        input.email,
        "--password",
        PASSWORD,
        "--role",
        "member",
        ...(input.name === undefined ? [] : [`--name=${input.name}`]),
      ],
    );

  for (const [what, name] of [
    ...HOSTILE_TEXT,
    ["over-long (201 characters)", "a".repeat(201)],
    ["at the limit (200 characters)", "a".repeat(200)],
    ["an ordinary name", "Ada Lovelace"],
    ["accents, decomposed (NFC-normalised)", "Ade\u0301le"],
    ["spaces around it", "  Grace Hopper  "],
  ] as const) {
    it(`--name with ${what}`, async () => {
      const email = `name${++n}@example.com`;
      const cli = cliCreateAccepts({ email, name });
      expect(cli, "CLI and dashboard agree").toBe(await dashboardAccepts({ email, name }));
      if (HOSTILE_TEXT.some(([, v]) => v === name) || name.length > 200) expect(cli).toBe(false);
    });
  }

  for (const [what, email, valid] of [
    ["the first admin's default", "admin@localhost", true],
    ["it in capitals", "ADMIN@LOCALHOST", true],
    ["a service account's domain", "ocl_x@clients.invalid", true],
    ["spaces around it", "  ops@localhost  ", true],
    ["mixed case", "Ops.Team@Example.COM", true],
    ["a plus tag", "ops+cli@example.com", true],
    ["another dotless host", "ops@intranet", false],
    ["no domain", "ops@", false],
    ["no @", "ops.example.com", false],
    ["a line feed", "ops@example.com\nBcc: x@evil.example", false],
    ["a carriage return", "ops@local\rhost", false],
    ["a space inside", "ops team@example.com", false],
    ["a quote", '"ops"@example.com', false],
    ["a NUL", "ops\u0000@example.com", false],
    ["a leading dot", ".ops@example.com", false],
    ["two dots", "ops..team@example.com", false],
    ["an IP literal", "ops@[127.0.0.1]", false],
    ["non-ASCII", "öps@example.com", false],
    ["over-long (255 characters)", `${"a".repeat(243)}@example.com`, false],
  ] as const) {
    it(`--email with ${what}`, async () => {
      const cli = cliCreateAccepts({ email });
      expect(cli, "CLI and dashboard agree").toBe(await dashboardAccepts({ email }));
      expect(cli).toBe(valid);
      expect(accountEmail.safeParse(email).success).toBe(valid);
    });
  }
});

describe("other commands parse with their procedures' schemas", () => {
  for (const [what, value] of [...HOSTILE_TEXT, ["over-long (101 characters)", "t".repeat(101)]] as const) {
    it(`refuses a name or note with ${what} on every command that takes one`, () => {
      const flag = `--name=${value}`;
      expect(cliAccepts(["token", "create"], ["--email", "admin@localhost", flag, "--scopes", "contacts:read"])).toBe(
        false,
      );
      expect(
        cliAccepts(
          ["oauth-client", "create"],
          [flag, "--type", "confidential", "--grants", "client_credentials", "--scopes", "contacts:read"],
        ),
      ).toBe(false);
      expect(cliAccepts(["oauth-client", "update"], ["ocl_00000000000000000000", flag])).toBe(false);
    });
  }

  it("accepts the first admin's address on every command that names a user by email", () => {
    for (const email of ["admin@localhost", "Admin@LocalHost"]) {
      expect(cliAccepts(["user", "set-password"], ["--email", email, "--password", PASSWORD])).toBe(true);
      expect(cliAccepts(["user", "disable"], ["--email", email])).toBe(true);
      expect(cliAccepts(["user", "revoke-all"], ["--email", email])).toBe(true);
      expect(cliAccepts(["limits", "unlock"], ["--email", email])).toBe(true);
      expect(cliAccepts(["limits", "override"], ["--email", email, "--limit", "10", "--window", "1m"])).toBe(true);
      expect(cliAccepts(["token", "create"], ["--email", email, "--name", "ops", "--scopes", "contacts:read"])).toBe(
        true,
      );
      expect(cliAccepts(["token", "list"], ["--email", email])).toBe(true);
    }
    expect(cliAccepts(["limits", "unlock"], ["--email", "admin@localhost\nx"])).toBe(false);
  });

  it("takes the same ADMIN_EMAIL as the dashboard takes (admin@localhost too), and refuses what it refuses", () => {
    const env = { DATA_DIR: "/tmp/x", APP_URL: "http://localhost:3000" };
    expect(parseEnv({ ...env, ADMIN_EMAIL: "admin@localhost", ADMIN_PASSWORD: PASSWORD }).ADMIN_EMAIL).toBe(
      "admin@localhost",
    );
    expect(() => parseEnv({ ...env, ADMIN_EMAIL: "admin@localhost\r\nx", ADMIN_PASSWORD: PASSWORD })).toThrow(
      /ADMIN_EMAIL/,
    );
  });

  it("keeps the address pattern free of anything that could end a header line or a log line", () => {
    expect(ACCOUNT_EMAIL_PATTERN.flags).not.toContain("m");
    for (const c of ["\r", "\n", "\u0000", " ", "\t", "\u2028"]) {
      expect(accountEmail.safeParse(`a${c}b@localhost`).success, JSON.stringify(c)).toBe(false);
    }
  });
});

describe("recovering the default first admin from the command line", () => {
  const ROOT = path.resolve(import.meta.dirname, "../..");
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-cli-recover-"));
    vi.resetModules();
    vi.stubEnv("DATA_DIR", dataDir);
    vi.stubEnv("ADMIN_EMAIL", "");
    vi.stubEnv("ADMIN_PASSWORD", "");
    vi.stubEnv("APP_URL", "http://localhost:3000");
    vi.stubEnv("REDIS_URL", "");
    vi.stubEnv("UPSTASH_REDIS_REST_URL", "");
    vi.stubEnv("UPSTASH_REDIS_REST_TOKEN", "");
    // What a first server start does: no ADMIN_EMAIL, so the first admin is admin@localhost.
    const { getRuntime } = await import("../runtime");
    const { bootstrapAdmin } = await import("../services/users");
    const runtime = getRuntime();
    const result = await bootstrapAdmin(runtime.db, runtime.clock, runtime.config.admin);
    expect(result).toMatchObject({ created: true, email: "admin@localhost" });
    sqliteOf(runtime.db).close();
  }, 60_000);
  afterAll(() => {
    vi.unstubAllEnvs();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function gatehouse(args: string[], stdin = ""): Promise<ProcessRun> {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" };
    for (const key of ["ADMIN_EMAIL", "ADMIN_PASSWORD", "AUTH_SECRET", "REDIS_URL", "UPSTASH_REDIS_REST_URL"])
      delete env[key];
    return runProcess(process.execPath, ["--import", "tsx", "server/cli/index.ts", ...args], { cwd: ROOT, env, stdin });
  }

  it("sets its password, clears its lockout and gives it a token, naming it admin@localhost", async () => {
    const [password, unlock, token] = await Promise.all([
      gatehouse(["user", "set-password", "--email", "admin@localhost", "--password", "-"], `${PASSWORD}\n`),
      gatehouse(["limits", "unlock", "--email", "admin@localhost"]),
      gatehouse([
        "--json",
        "token",
        "create",
        "--email",
        "ADMIN@localhost",
        "--name",
        "recovery",
        "--scopes",
        "contacts:read",
      ]),
    ]);
    expect(password.code, password.stderr).toBe(0);
    expect(password.stdout).toContain("admin@localhost");
    expect(unlock.code, unlock.stderr).toBe(0);
    expect(token.code, token.stderr).toBe(0);
    expect(JSON.parse(token.stdout)).toMatchObject({ token: expect.stringMatching(/^gth_/) });
  }, 60_000);
});
