import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config";
import { loadOrCreateSecrets, SECRETS_FILE, updateSecrets } from "../config/secrets";
import { seal } from "./envelope";
import { fileKeyring, KEYRING_RECHECK_MS } from "./keyring";
import { generateRootKey } from "./keys";
import { openKeyring } from "./open-keyring";

/**
 * The keyring kept in DATA_DIR/secrets.json: generated on first use, added
 * to a file written before encryption existed without touching what was
 * there, changed atomically, and followed by a running process.
 */

describe("the keyring in the data folder", () => {
  let dataDir: string;
  let file: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-keyring-"));
    file = path.join(dataDir, SECRETS_FILE);
  });
  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("is generated on first start with one active key, mode 0600", () => {
    const secrets = loadOrCreateSecrets(dataDir);
    expect(secrets.encryption.activeKeyId).toBe("k1");
    expect(secrets.encryption.keys).toHaveLength(1);
    expect(secrets.encryption.keys[0]?.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecrets(dataDir)).toEqual(secrets);
  });

  it("is added to an older secrets file, atomically, keeping its secret and fields this version does not know", () => {
    const older = { version: 1, authSecret: "a".repeat(43), futureField: { kept: true } };
    fs.writeFileSync(file, JSON.stringify(older), { mode: 0o600 });
    const upgraded = loadOrCreateSecrets(dataDir);
    expect(upgraded.authSecret).toBe(older.authSecret);
    expect(upgraded.encryption.activeKeyId).toBe("k1");
    const onDisk = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(onDisk).toMatchObject({ ...older, encryption: upgraded.encryption });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dataDir)).toEqual([SECRETS_FILE]); // no temporary or lock file left behind
    expect(loadOrCreateSecrets(dataDir).encryption).toEqual(upgraded.encryption); // generated once
  });

  it("still refuses a file other users can read before touching it", () => {
    fs.writeFileSync(file, JSON.stringify({ version: 1, authSecret: "a".repeat(43) }), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    expect(() => loadOrCreateSecrets(dataDir)).toThrow(/readable by other users/);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).encryption).toBeUndefined();
  });

  it("refuses a file whose keyring is malformed, without quoting it", () => {
    const key = generateRootKey();
    for (const encryption of [
      { activeKeyId: "k2", keys: [{ id: "k1", key, createdAt: null }] },
      { activeKeyId: "k1", keys: [{ id: "k1", key: key.slice(2), createdAt: null }] },
      { activeKeyId: "k1", keys: [] },
    ]) {
      fs.writeFileSync(file, JSON.stringify({ version: 1, authSecret: "a".repeat(43), encryption }), { mode: 0o600 });
      let message = "";
      try {
        loadOrCreateSecrets(dataDir);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(`${file} is not a valid Gatehouse secrets file`);
      fs.rmSync(file);
    }
  });

  it("waits for another writer's lock and breaks a stale one", () => {
    loadOrCreateSecrets(dataDir);
    const lock = `${file}.lock`;
    fs.writeFileSync(lock, "");
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    const changed = updateSecrets(dataDir, (s) => ({ ...s, marker: 1 }));
    expect(changed).toMatchObject({ marker: 1 });
    expect(fs.existsSync(lock)).toBe(false);
  });

  it("is opened from ENCRYPTION_KEYS instead when that is set, leaving the data folder alone", () => {
    const key = generateRootKey();
    const config = loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: "s".repeat(40), ENCRYPTION_KEYS: `*main:${key}` });
    const ring = openKeyring(config);
    expect(ring.source).toBe("env");
    expect(ring.active().id).toBe("main");
    expect(fs.existsSync(file)).toBe(false);
    expect(() => loadConfig({ DATA_DIR: dataDir, ENCRYPTION_KEYS: "k1:short" })).toThrow(
      /ENCRYPTION_KEYS: key k1: must be 32 random bytes/,
    );
  });

  it("is followed by a running process: a rotation written by another process is picked up", async () => {
    const first = loadOrCreateSecrets(dataDir);
    const ring = fileKeyring(dataDir, first.encryption);
    const ref = { table: "contacts", column: "email", rowId: "con_aaaaaaaaaaaaaaaaaaaa" };
    const old = seal(ring, ref, "x");
    // Another process (the CLI) rotates.
    updateSecrets(dataDir, (s) => ({
      ...s,
      encryption: {
        activeKeyId: "k2",
        keys: [
          ...(s.encryption?.keys ?? []),
          { id: "k2", key: generateRootKey(), createdAt: new Date().toISOString() },
        ],
      },
    }));
    // A value under the new key is readable at once (an unknown id forces a re-read) …
    const other = fileKeyring(dataDir, loadOrCreateSecrets(dataDir).encryption);
    expect(ring.get("k2")?.id).toBe("k2");
    expect(other.get("k1")?.encryption.equals(ring.get("k1")?.encryption as Buffer)).toBe(true);
    // … and new values go under it within KEYRING_RECHECK_MS.
    await new Promise((r) => setTimeout(r, KEYRING_RECHECK_MS + 50));
    expect(ring.active().id).toBe("k2");
    expect(seal(ring, ref, "x").startsWith("v1.k2.")).toBe(true);
    expect(old.startsWith("v1.k1.")).toBe(true);
  });
});
