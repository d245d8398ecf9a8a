import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { loadOrCreateSecrets } from "../config/secrets";
import { open } from "../crypto/envelope";
import { fileKeyring } from "../crypto/keyring";
import { createTestRuntime, seedUser } from "../testing/harness";
import { CLI_ACTOR } from "./audit";
import { sealEmail, sealOptional } from "./contact-codec";
import { rotateKey } from "./encryption-keys";

/**
 * Re-encryption survives a crash: 10,000 contacts under k1, a rotation to
 * k2, `gatehouse keys reencrypt` run as a real child process and killed with
 * SIGKILL mid-way, then run again: it resumes where the job row says, and
 * every value ends up under k2 and readable. Batches are atomic with the
 * job's progress, so at the moment of the kill the number of rows under k2
 * equals the job's `done` exactly.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const ROWS = 10_000;

const emailOf = (i: number) => `person${i}@crash-test.example`;
const phoneOf = (i: number) => `+4144${String(1_000_000 + i)}`;
const notesOf = (i: number) => `notes for person ${i}`;

let dataDir: string;
let dbFile: string;

function reencrypt(args: string[]): ChildProcess & { output: () => { stdout: string; stderr: string } } {
  // node --import tsx, not the tsx wrapper: the wrapper would run the CLI in a
  // grandchild that a SIGKILL to the wrapper does not reach.
  const child = spawn(process.execPath, ["--import", "tsx", "server/cli/index.ts", "keys", "reencrypt", ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", ENCRYPTION_KEYS: "", AUTH_SECRET: "" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c) => {
    stdout += c;
  });
  child.stderr?.on("data", (c) => {
    stderr += c;
  });
  return Object.assign(child, { output: () => ({ stdout, stderr }) });
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });

function peek<T>(sql: string): T {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare(sql).get() as T;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-crash-"));
  dbFile = path.join(dataDir, "gatehouse.db");
  const db = openDatabase(dbFile);
  const keyring = fileKeyring(dataDir, loadOrCreateSecrets(dataDir).encryption);
  const rt = { ...createTestRuntime({ dataDir }), db, keyring };
  const owner = await seedUser(rt, "owner@crash-test.example");
  const insert = sqliteOf(db).prepare(
    "insert into contacts (id, owner_id, name, email, phone, notes, email_index, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const now = Date.now();
  sqliteOf(db).transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const id = `con_${String(i).padStart(20, "0")}`;
      const { email, emailIndex } = sealEmail(keyring, { id, ownerId: owner.user.id }, emailOf(i));
      const phone = sealOptional(keyring, id, "phone", i % 2 ? phoneOf(i) : null);
      insert.run(
        id,
        owner.user.id,
        `Person ${i}`,
        email,
        phone,
        sealOptional(keyring, id, "notes", notesOf(i)),
        emailIndex,
        now,
        now,
      );
    }
  })();
  const svc = {
    db,
    clock: { now: () => new Date() },
    keyring,
    actor: CLI_ACTOR,
    client: { ip: null, userAgent: null, requestId: "t" },
  };
  expect((await rotateKey(svc, { dataDir, envKeys: null })).keyId).toBe("k2");
  sqliteOf(db).close();
}, 60_000);

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("gatehouse keys reencrypt", () => {
  it("is killed mid-way, resumes, and leaves every one of 10,000 rows under the new key and readable", async () => {
    const first = reencrypt(["--batch-size", "250", "--pause-ms", "25"]);
    const deadline = Date.now() + 40_000;
    let doneAtKill = 0;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`no progress: ${JSON.stringify(first.output())}`);
      if (first.exitCode !== null) throw new Error(`finished before the kill: ${JSON.stringify(first.output())}`);
      const job = fs.existsSync(dbFile)
        ? peek<{ done: number } | undefined>("select done from reencryption_jobs where id = 1")
        : undefined;
      if (job && job.done >= 2_500) {
        first.kill("SIGKILL");
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await exited(first)).signal).toBe("SIGKILL");

    // The crash left a consistent state: the job row and the rows agree, no row is half re-sealed.
    const job = peek<{ status: string; done: number; total: number }>(
      "select status, done, total from reencryption_jobs where id = 1",
    );
    doneAtKill = job.done;
    expect(job.status).toBe("running");
    expect(job.total).toBe(ROWS);
    expect(doneAtKill).toBeGreaterThanOrEqual(2_500);
    expect(doneAtKill).toBeLessThan(ROWS);
    const underK2 = peek<{ n: number }>("select count(*) as n from contacts where email like 'v1.k2.%'").n;
    expect(underK2).toBe(doneAtKill);
    const mixed = peek<{ n: number }>(
      "select count(*) as n from contacts where substr(email, 1, 6) <> substr(notes, 1, 6) or (phone is not null and substr(phone, 1, 6) <> substr(email, 1, 6))",
    ).n;
    expect(mixed).toBe(0);

    const second = reencrypt(["--batch-size", "1000"]);
    const { code } = await exited(second);
    const { stdout, stderr } = second.output();
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`resuming re-encryption #1 at ${doneAtKill}/${ROWS} rows`);
    expect(stderr).toMatch(/\[#{30}\] 100% {2}10000\/10000 rows/);
    expect(stdout).toContain(`Re-encryption #1 finished: ${ROWS} rows now under key k2.`);

    const finished = peek<{ status: string; done: number }>("select status, done from reencryption_jobs where id = 1");
    expect(finished).toEqual({ status: "finished", done: ROWS }); // resumed, not redone: no row counted twice
    expect(peek<{ n: number }>("select count(*) as n from reencryption_jobs").n).toBe(1);
    expect(
      peek<{ n: number }>(
        "select count(*) as n from contacts where email not like 'v1.k2.%' or notes not like 'v1.k2.%' or phone not like 'v1.k2.%'",
      ).n,
    ).toBe(0);

    // Every value opens under the ring as it now is on disk, and is what was stored.
    const keyring = fileKeyring(dataDir, loadOrCreateSecrets(dataDir).encryption);
    const db = new Database(dbFile, { readonly: true });
    const rows = db.prepare("select id, email, phone, notes from contacts order by id").all() as Array<{
      id: string;
      email: string;
      phone: string | null;
      notes: string;
    }>;
    db.close();
    expect(rows).toHaveLength(ROWS);
    rows.forEach((row, i) => {
      expect(open(keyring, { table: "contacts", column: "email", rowId: row.id }, row.email)).toBe(emailOf(i));
      expect(open(keyring, { table: "contacts", column: "notes", rowId: row.id }, row.notes)).toBe(notesOf(i));
      expect(
        row.phone === null ? null : open(keyring, { table: "contacts", column: "phone", rowId: row.id }, row.phone),
      ).toBe(i % 2 ? phoneOf(i) : null);
    });
    const audit = (() => {
      const d = new Database(dbFile, { readonly: true });
      try {
        return d.prepare("select action from audit_log where action like 'encryption.%' order by seq").all() as Array<{
          action: string;
        }>;
      } finally {
        d.close();
      }
    })();
    expect(audit.map((a) => a.action)).toEqual([
      "encryption.rotate",
      "encryption.reencrypt_start",
      "encryption.reencrypt_finish",
    ]);
  }, 90_000);
});
