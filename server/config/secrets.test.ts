import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "./index";
import { loadOrCreateSecrets, SECRETS_FILE } from "./secrets";

describe("loadOrCreateSecrets", () => {
  let root: string;
  let dataDir: string;
  let file: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-secrets-"));
    dataDir = path.join(root, "data");
    file = path.join(dataDir, SECRETS_FILE);
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("creates the data folder and a 0600 secrets file with a strong random secret on first call", () => {
    const secrets = loadOrCreateSecrets(dataDir);
    expect(secrets.version).toBe(1);
    expect(secrets.authSecret.length).toBeGreaterThanOrEqual(43); // 32 random bytes in base64url
    expect(secrets.authSecret).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dataDir).mode & 0o077).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(secrets);
  });

  it("returns the same secret on every later call", () => {
    const first = loadOrCreateSecrets(dataDir);
    const second = loadOrCreateSecrets(dataDir);
    expect(second).toEqual(first);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it("gives two data folders two different secrets", () => {
    const other = path.join(root, "other");
    expect(loadOrCreateSecrets(dataDir).authSecret).not.toBe(loadOrCreateSecrets(other).authSecret);
  });

  it("refuses a file other users can read, saying how to fix it, without printing the secret", () => {
    const { authSecret } = loadOrCreateSecrets(dataDir);
    fs.chmodSync(file, 0o644);
    let message = "";
    expect(() => {
      try {
        loadOrCreateSecrets(dataDir);
      } catch (error) {
        message = (error as Error).message;
        throw error;
      }
    }).toThrow(/readable by other users/);
    expect(message).toContain(file);
    expect(message).toContain("644");
    expect(message).toContain(`chmod 600 ${file}`);
    expect(message).not.toContain(authSecret);
    // The file is left alone: fixing the mode is the operator's decision.
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
  });

  it("refuses a file with the wrong shape", () => {
    fs.mkdirSync(dataDir, { recursive: true });
    for (const content of [
      JSON.stringify({ version: 2, authSecret: "x".repeat(40) }),
      JSON.stringify({ version: 1, authSecret: "too-short" }),
      JSON.stringify({ version: 1 }),
      "[]",
    ]) {
      fs.writeFileSync(file, content, { mode: 0o600 });
      expect(() => loadOrCreateSecrets(dataDir), content).toThrow(`${file} is not a valid Gatehouse secrets file`);
      fs.rmSync(file);
    }
  });

  it("refuses a corrupt (not JSON) file with the same clear error, naming the file and not echoing its content", () => {
    fs.mkdirSync(dataDir, { recursive: true });
    for (const content of [
      '{"version":1,"authSecret":"half-written-secret-value-abcdefghijklmnop', // cut off mid-write
      '{"version":1,"authSecret":s3cr3t-value-unquoted}', // hand-edited
    ]) {
      fs.writeFileSync(file, content, { mode: 0o600 });
      let error: unknown;
      try {
        loadOrCreateSecrets(dataDir);
      } catch (caught) {
        error = caught;
      }
      expect(error, content).toBeInstanceOf(Error);
      expect((error as Error).message, content).toBe(`${file} is not a valid Gatehouse secrets file`);
      expect((error as Error).message).not.toContain("half-written-secret-value");
      expect((error as Error).message).not.toContain("s3cr3t");
      fs.rmSync(file);
    }
  });
});

describe("loadConfig and the secrets file", () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-config-"));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("uses a given AUTH_SECRET and creates no secrets file", () => {
    const dataDir = path.join(root, "data");
    const secret = "given-secret-given-secret-given-secret";
    const config = loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: secret });
    expect(config.authSecret).toBe(secret);
    expect(fs.existsSync(path.join(dataDir, SECRETS_FILE))).toBe(false);
  });

  it("generates the secret into DATA_DIR when none is given, and reuses it", () => {
    const dataDir = path.join(root, "data");
    const first = loadConfig({ DATA_DIR: dataDir });
    const stored = JSON.parse(fs.readFileSync(path.join(dataDir, SECRETS_FILE), "utf8"));
    expect(first.authSecret).toBe(stored.authSecret);
    expect(loadConfig({ DATA_DIR: dataDir }).authSecret).toBe(first.authSecret);
  });

  it("derives the rest of the configuration from the environment", () => {
    const dataDir = path.join(root, "data");
    const config = loadConfig({
      DATA_DIR: dataDir,
      AUTH_SECRET: "given-secret-given-secret-given-secret",
      APP_URL: "https://api.example.com",
      TRUSTED_PROXIES: " 10.0.0.0/8, ,::1 ",
      ADMIN_EMAIL: "root@example.com",
      ADMIN_PASSWORD: "a long enough password",
    });
    expect(config.secure).toBe(true);
    expect(config.appUrl.origin).toBe("https://api.example.com");
    expect(config.databaseFile).toBe(path.join(dataDir, "gatehouse.db"));
    expect(config.trustedProxies).toEqual(["10.0.0.0/8", "::1"]);
    expect(config.admin).toEqual({ email: "root@example.com", password: "a long enough password" });
    expect(config.session).toEqual({ idleMs: 30 * 60_000, absoluteMs: 8 * 3_600_000 });

    const local = loadConfig({
      DATA_DIR: dataDir,
      AUTH_SECRET: "given-secret-given-secret-given-secret",
      PORT: "4000",
    });
    expect(local.appUrl.origin).toBe("http://localhost:4000");
    expect(local.secure).toBe(false);
    expect(local.admin).toBeNull();
  });
});
