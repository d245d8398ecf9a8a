import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { verifyAuditChain } from "../audit/verify";
import { fixedClock } from "../clock";
import { loadConfig } from "../config";
import { DATABASE_FILE, SECRETS_FILE } from "../config/secrets";
import { openKeyring } from "../crypto/open-keyring";
import { rotateSigningKey } from "../oauth/signing-keys";
import type { Runtime } from "../runtime";
import { seedUser } from "../testing/harness";
import { type ProcessRun, runProcess } from "../testing/run-process";
import { SYSTEM_ACTOR } from "./audit";
import { MANIFEST_FILE } from "./backup";
import { createContact, getContact } from "./contacts";
import { prepareSealedData } from "./encryption-startup";

/**
 * Issue 13, item 2: `gatehouse backup` while another process writes as fast
 * as it can through the service layer, then `gatehouse restore` into an
 * empty folder: every write acknowledged before the backup began is there,
 * the copy is one instant of the database (a prefix of the writes, no gaps),
 * every value decrypts with the restored secrets, the audit chain verifies,
 * modes are 0700/0600, and nothing is ever overwritten.
 */

const clock = fixedClock(Date.UTC(2026, 0, 15, 12, 0, 0));
const client = { ip: null, userAgent: null, requestId: "test" };
let root: string;
let dataDir: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-backup-"));
  dataDir = path.join(root, "data");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

async function openFolder(dir: string): Promise<Runtime> {
  const config = loadConfig({ DATA_DIR: dir });
  const db = openDatabase(config.databaseFile);
  const runtime: Runtime = { config, db, clock, trustedProxies: [], keyring: openKeyring(config, db) };
  await prepareSealedData(runtime);
  return runtime;
}

function childEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", DATA_DIR: dir, LOG_LEVEL: "silent", NODE_ENV: "production", ...extra };
}

function cli(args: string[], dir: string): Promise<ProcessRun> {
  return runProcess(process.execPath, ["--import", "tsx", "server/cli/index.ts", ...args], { env: childEnv(dir) });
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

function sha(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

describe("backup and restore", () => {
  it("a backup taken during a write burst restores every acknowledged write, readable, chain intact", async () => {
    const origin = await openFolder(dataDir);
    const alice = await seedUser(origin, "alice@example.com");
    const svc = { db: origin.db, clock, actor: SYSTEM_ACTOR, client, keyring: origin.keyring };
    const early = [];
    for (const i of [0, 1, 2]) {
      early.push(await createContact(svc, alice.user.id, { name: `Early ${i}`, email: `e${i}@example.com` }));
    }
    await rotateSigningKey(origin.db, { clock, keyring: origin.keyring, actor: SYSTEM_ACTOR, client, force: true });
    sqliteOf(origin.db).close();

    // The writer: its own process and connection, like a server.
    const burst: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      ["--import", "tsx", "server/testing/write-burst.ts"],
      { cwd: process.cwd(), env: childEnv(dataDir, { BURST_OWNER: alice.user.id }) },
    );
    const acked: string[] = [];
    let partial = "";
    burst.stdout.on("data", (d) => {
      const lines = (partial + String(d)).split("\n");
      partial = lines.pop() ?? "";
      acked.push(...lines.filter(Boolean));
    });
    let burstErr = "";
    burst.stderr.on("data", (d) => {
      burstErr += d;
    });
    const burstDone = new Promise<number | null>((resolve) => burst.on("exit", resolve));
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 60_000;
      while (acked.length < n) {
        if (Date.now() > deadline) throw new Error(`the writer stalled at ${acked.length}: ${burstErr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitFor(30);

    const backupDir = path.join(root, "backup");
    const ackedBefore = [...acked];
    const backup = await cli(["backup", "--out", backupDir], dataDir);
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/Encryption keys it needs: k1 \([0-9a-f]{16}\)/);
    await waitFor(acked.length + 20); // the writer went on after the backup
    burst.stdin.end();
    expect(await burstDone).toBe(0);

    // What the backup holds, with owner-only modes.
    expect(mode(backupDir)).toBe(0o700);
    expect(fs.readdirSync(backupDir).sort()).toEqual([DATABASE_FILE, MANIFEST_FILE, SECRETS_FILE].sort());
    for (const name of fs.readdirSync(backupDir)) expect(mode(path.join(backupDir, name)), name).toBe(0o600);

    // Restore into a data folder that does not exist yet.
    const restoredDir = path.join(root, "restored");
    const restore = await cli(["restore", "--from", backupDir], restoredDir);
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    expect(mode(restoredDir)).toBe(0o700);
    expect(fs.readdirSync(restoredDir).sort()).toEqual([DATABASE_FILE, SECRETS_FILE].sort());
    for (const name of fs.readdirSync(restoredDir)) expect(mode(path.join(restoredDir, name)), name).toBe(0o600);

    // The restored folder starts (keys fit), and holds one instant of the burst: a prefix, at least every write acknowledged before the backup.
    const restored = await openFolder(restoredDir);
    const rows = sqliteOf(restored.db)
      .prepare("select id, name from contacts where owner_id = ?")
      .all(alice.user.id) as Array<{ id: string; name: string }>;
    const burstIds = new Set(rows.filter((r) => r.name.startsWith("Burst ")).map((r) => r.id));
    expect(burstIds.size).toBeGreaterThanOrEqual(ackedBefore.length);
    expect(burstIds.size).toBeLessThan(acked.length); // taken during the burst, not after it
    expect(new Set(acked.slice(0, burstIds.size))).toEqual(burstIds);
    for (const id of ackedBefore) expect(burstIds.has(id), id).toBe(true);
    const restoredSvc = { db: restored.db, clock, actor: SYSTEM_ACTOR, client, keyring: restored.keyring };
    for (const row of rows)
      expect((await getContact(restoredSvc, alice.user.id, row.id)).email).toMatch(/@example\.com$/);
    for (const contact of early) expect(await getContact(restoredSvc, alice.user.id, contact.id)).toEqual(contact);
    expect((await verifyAuditChain(restored.db)).ok).toBe(true);
    sqliteOf(restored.db).close();
  }, 120_000);

  it("never overwrites: a non-empty backup folder or data folder is refused, and a damaged backup is not restored", async () => {
    const origin = await openFolder(dataDir);
    await seedUser(origin, "alice@example.com");
    sqliteOf(origin.db).close();

    const busy = path.join(root, "busy");
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, "keep.txt"), "mine");
    const refusedBackup = await cli(["backup", "--out", busy], dataDir);
    expect(refusedBackup.code).toBe(1);
    expect(refusedBackup.stderr).toMatch(
      /^gatehouse: backup: the backup folder .* is not empty; nothing was overwritten\n$/,
    );
    expect(fs.readdirSync(busy)).toEqual(["keep.txt"]);

    const backupDir = path.join(root, "backup");
    expect((await cli(["backup", "--out", backupDir], dataDir)).code).toBe(0);

    // Into the live data folder: refused, nothing touched.
    const before = sha(path.join(dataDir, SECRETS_FILE));
    const refusedRestore = await cli(["restore", "--from", backupDir], dataDir);
    expect(refusedRestore.code).toBe(1);
    expect(refusedRestore.stderr).toMatch(
      /^gatehouse: restore: the data folder .* is not empty; restore only into an empty one/,
    );
    expect(sha(path.join(dataDir, SECRETS_FILE))).toBe(before);

    // A damaged copy: refused before anything is written.
    const db = path.join(backupDir, DATABASE_FILE);
    const bytes = fs.readFileSync(db);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    fs.writeFileSync(db, bytes);
    const empty = path.join(root, "empty");
    fs.mkdirSync(empty);
    const damaged = await cli(["restore", "--from", backupDir], empty);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/SHA-256 differs/);
    expect(fs.readdirSync(empty)).toEqual([]);

    // Not a backup at all.
    expect((await cli(["restore", "--from", busy], path.join(root, "other"))).stderr).toMatch(
      /is not a Gatehouse backup/,
    );
  }, 60_000);
});
