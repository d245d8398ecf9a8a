import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Db, openDatabase, sqliteOf } from "@/db";
import { auditLog, encryptionKeys } from "@/db/schema";
import { flushAggregated } from "../audit/aggregate";
import { fixedClock } from "../clock";
import { loadConfig } from "../config";
import { loadOrCreateSecrets, SECRETS_FILE, updateSecrets } from "../config/secrets";
import { newKeySetEntry } from "../crypto/key-set";
import { fileKeyring, type Keyring, staticKeyring } from "../crypto/keyring";
import { decodeRootKey, deriveKey, generateRootKey, keyFingerprint } from "../crypto/keys";
import { openKeyring } from "../crypto/open-keyring";
import { KeyringMismatchError } from "../crypto/sealed-data";
import { handleRest } from "../http/rest-handler";
import { rotateSigningKey } from "../oauth/signing-keys";
import { createTestbed, tokenRequest } from "../oauth/testing/testbed";
import { METRICS, resetMetrics } from "../observability/metrics";
import type { Runtime } from "../runtime";
import { callerFor, seedUser } from "../testing/harness";
import { type ProcessRun, runProcess } from "../testing/run-process";
import { TRPCError } from "../trpc";
import { SYSTEM_ACTOR } from "./audit";
import { encryptionStatus, rotateKey } from "./encryption-keys";
import { prepareSealedData } from "./encryption-startup";
import { acceptReloadedKeys } from "./key-check";
import { createToken } from "./tokens";

/**
 * Issue 13, item 1: lost or replaced secrets never make or take a key under
 * an id the database knows; the start-up refuses with one line; `keys list`
 * checks each key against stored values; a value that fails authentication
 * at run time is logged, audited, counted and named in the answer.
 */

const logLines = vi.hoisted(() => [] as string[]);
vi.mock("../logger", async () => {
  const { default: pino } = await import("pino");
  const { Writable: W } = await import("node:stream");
  const sink = new W({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "trace" }, sink);
  return { getLogger: () => logger };
});

const clock = fixedClock(Date.UTC(2026, 0, 15, 12, 0, 0));
const client = { ip: null, userAgent: null, requestId: "test" };
let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-keys-"));
  logLines.length = 0;
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** A data folder as a first start leaves it: secrets.json with k1, the database, the start-up check passed. */
async function firstStart(): Promise<{ db: Db; keyring: Keyring; runtime: Runtime }> {
  const config = loadConfig({ DATA_DIR: dataDir });
  const db = openDatabase(config.databaseFile);
  const keyring = openKeyring(config, db);
  const runtime: Runtime = { config, db, clock, trustedProxies: [], keyring };
  await prepareSealedData(runtime);
  return { db, keyring, runtime };
}

async function withContacts(runtime: Runtime, n: number) {
  const alice = await seedUser(runtime, "alice@example.com");
  const api = callerFor(runtime, alice.principal);
  const made = [];
  for (let i = 0; i < n; i++) made.push(await api.contacts.create({ name: `C${i}`, email: `c${i}@example.com` }));
  return { alice, api, made };
}

function otherKeyUnder(id: string): Keyring {
  return staticKeyring({ activeKeyId: id, keys: [newKeySetEntry(id, new Date())] }, "env");
}

describe("key fingerprints", () => {
  it("name a key without revealing it: fixed length, stable, different for different keys, unlike any derived key", () => {
    const text = generateRootKey();
    const root = decodeRootKey(text) as Buffer;
    const fp = keyFingerprint(root);
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(keyFingerprint(Buffer.from(root))).toBe(fp);
    expect(keyFingerprint(decodeRootKey(generateRootKey()) as Buffer)).not.toBe(fp);
    for (const secret of [
      root,
      deriveKey(root, "encryption"),
      deriveKey(root, "blindIndex"),
      deriveKey(root, "tokenHmac"),
    ]) {
      expect(secret.toString("hex")).not.toContain(fp.slice(0, 8));
      expect(secret.toString("base64url")).not.toContain(fp.slice(0, 8));
    }
    expect(text).not.toContain(fp.slice(0, 8));
  });

  it("are recorded per key id at the first start and shown by keys list", async () => {
    const { db, keyring } = await firstStart();
    const [k1] = keyring.describe();
    expect(await db.select().from(encryptionKeys).all()).toEqual([
      expect.objectContaining({ keyId: "k1", fingerprint: k1?.fingerprint }),
    ]);
    const status = await encryptionStatus({ db, clock, keyring });
    expect(status.keys).toEqual([
      expect.objectContaining({
        id: "k1",
        fingerprint: k1?.fingerprint,
        recordedFingerprint: k1?.fingerprint,
        check: "unused",
      }),
    ]);
    expect(status.problems).toEqual([]);
  });
});

describe("lost secrets.json", () => {
  it("is never regenerated over sealed data: the start refuses naming the key ids, and writes nothing", async () => {
    const { db, runtime } = await firstStart();
    await withContacts(runtime, 3);
    sqliteOf(db).close();
    fs.rmSync(path.join(dataDir, SECRETS_FILE));

    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dataDir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeyringMismatchError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(/secrets\.json is missing/);
    expect(message).toMatch(/k1 \(fingerprint [0-9a-f]{16}, 3 values\)/); // 3 emails
    expect(message).toMatch(/Put back the secrets\.json of this database/);
    expect(fs.existsSync(path.join(dataDir, SECRETS_FILE))).toBe(false);
    // Also when only the keyring opens it (AUTH_SECRET given): nothing is generated either.
    expect(() => openKeyring(loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: "s".repeat(40) }))).toThrow(
      KeyringMismatchError,
    );
    expect(fs.existsSync(path.join(dataDir, SECRETS_FILE))).toBe(false);
  });

  it("is refused when the database holds only a sealed signing key, or only the record of a key", async () => {
    const { db, keyring } = await firstStart();
    await rotateSigningKey(db, { clock, keyring, actor: SYSTEM_ACTOR, client, force: true });
    sqliteOf(db).close();
    fs.rmSync(path.join(dataDir, SECRETS_FILE));
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(/k1 \(fingerprint [0-9a-f]{16}, 1 value\)/);

    // No sealed value at all, only the record of a key once used: the id is still that key's.
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-keys-"));
    try {
      const config = loadConfig({ DATA_DIR: other });
      const db2 = openDatabase(config.databaseFile);
      await prepareSealedData({ db: db2, clock, keyring: openKeyring(config, db2) });
      sqliteOf(db2).close();
      fs.rmSync(path.join(other, SECRETS_FILE));
      expect(() => loadConfig({ DATA_DIR: other })).toThrow(/k1 \(fingerprint [0-9a-f]{16}, 0 values\)/);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it("is generated on a fresh data folder, and with ENCRYPTION_KEYS only the session secret is", () => {
    expect(loadOrCreateSecrets(dataDir).encryption.activeKeyId).toBe("k1");
    const envOnly = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-keys-"));
    try {
      loadConfig({ DATA_DIR: envOnly, ENCRYPTION_KEYS: `*main:${generateRootKey()}` });
      const stored = JSON.parse(fs.readFileSync(path.join(envOnly, SECRETS_FILE), "utf8"));
      expect(Object.keys(stored).sort()).toEqual(["authSecret", "version"]);
    } finally {
      fs.rmSync(envOnly, { recursive: true, force: true });
    }
  });
});

describe("another key under a known id", () => {
  it("is refused at start-up (ENCRYPTION_KEYS or secrets.json), naming the id, both fingerprints and the fix; nothing is written", async () => {
    const { db, runtime, keyring } = await firstStart();
    await withContacts(runtime, 2);
    const before = sqliteOf(db).prepare("select count(*) as n from audit_log").get();
    const stranger = otherKeyUnder("k1");
    let error: unknown;
    try {
      await prepareSealedData({ ...runtime, keyring: stranger });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeyringMismatchError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toContain(`key k1 in ENCRYPTION_KEYS (fingerprint ${stranger.describe()[0]?.fingerprint})`);
    expect(message).toContain(`recorded for k1 (fingerprint ${keyring.describe()[0]?.fingerprint})`);
    expect(message).toMatch(/cannot open the 2 values sealed under it/);
    expect(message).toMatch(/Put back the original key\(s\) k1/);
    expect(sqliteOf(db).prepare("select count(*) as n from audit_log").get()).toEqual(before);
    expect(await db.select().from(encryptionKeys).all()).toHaveLength(1);

    // The same file-based: secrets.json replaced by one with another k1.
    updateSecrets(dataDir, (s) => ({
      ...s,
      encryption: { activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date())] },
    }));
    const reopened = openKeyring(runtime.config, db);
    await expect(prepareSealedData({ ...runtime, keyring: reopened })).rejects.toThrow(
      /key k1 in DATA_DIR\/secrets\.json \(fingerprint [0-9a-f]{16}\) is not the key this database recorded/,
    );
  });

  it("is refused even when no sealed value exists yet (the recorded fingerprint alone decides)", async () => {
    const { runtime } = await firstStart();
    await expect(prepareSealedData({ ...runtime, keyring: otherKeyUnder("k1") })).rejects.toThrow(
      /is not the key this database recorded for k1/,
    );
  });

  it("is refused on a database older than the record when the key does not open its values; the right key is recorded", async () => {
    const { db, runtime, keyring } = await firstStart();
    await withContacts(runtime, 2);
    await db.delete(encryptionKeys).run(); // as before the record existed
    await expect(prepareSealedData({ ...runtime, keyring: otherKeyUnder("k1") })).rejects.toThrow(
      /does not open the 2 values sealed under k1: it is not their key/,
    );
    expect(await db.select().from(encryptionKeys).all()).toHaveLength(0);
    await prepareSealedData(runtime);
    expect(await db.select().from(encryptionKeys).all()).toEqual([
      expect.objectContaining({ keyId: "k1", fingerprint: keyring.describe()[0]?.fingerprint }),
    ]);
  });

  it("is refused for a signing key alone: a sealed signing key under an unrecorded key that does not open it", async () => {
    const { db, runtime, keyring } = await firstStart();
    await rotateSigningKey(db, { clock, keyring, actor: SYSTEM_ACTOR, client, force: true });
    await db.delete(encryptionKeys).run();
    await expect(prepareSealedData({ ...runtime, keyring: otherKeyUnder("k1") })).rejects.toThrow(
      /does not open the 1 value sealed under k1/,
    );
  });

  it("is not taken by a running server when secrets.json is replaced under it: it keeps the keys it has", async () => {
    const { db, runtime } = await firstStart();
    const { api, made } = await withContacts(runtime, 1);
    const ring = fileKeyring(dataDir, loadOrCreateSecrets(dataDir).encryption, {
      accept: (keys) => acceptReloadedKeys(db, keys, clock),
    });
    const original = ring.active().fingerprint;
    updateSecrets(dataDir, (s) => ({
      ...s,
      encryption: { activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date())] },
    }));
    ring.reload();
    expect(ring.active().fingerprint).toBe(original);
    const alerts = logLines.map((l) => JSON.parse(l)).filter((l) => l.alert === "keyring_reload_failed");
    expect(alerts).toHaveLength(1);
    expect(alerts[0].err.message).toMatch(/key k1 \(fingerprint [0-9a-f]{16}\) is not the key recorded for k1/);
    // Said once for this version of the file, not on every look.
    ring.reload();
    expect(logLines.map((l) => JSON.parse(l)).filter((l) => l.alert === "keyring_reload_failed")).toHaveLength(1);
    // The runtime's own ring (openKeyring with the database) refuses it the same way, and values still open.
    runtime.keyring.reload();
    expect(runtime.keyring.active().fingerprint).toBe(original);
    expect(await api.contacts.get({ id: made[0]?.id as string })).toEqual(made[0]);
  });

  it("never gets a recorded id from rotation, even after that key left the ring", async () => {
    const { db, runtime } = await firstStart();
    // k2 was used on this database once (e.g. an ENCRYPTION_KEYS rollout later undone).
    await db
      .insert(encryptionKeys)
      .values({ keyId: "k2", fingerprint: "0123456789abcdef", createdAt: new Date() })
      .run();
    const svc = { db, clock, keyring: runtime.keyring, actor: SYSTEM_ACTOR, client };
    await expect(rotateKey(svc, { dataDir, envKeys: null, keyId: "k2" })).rejects.toThrow(/k2 was used before/);
    expect(await rotateKey(svc, { dataDir, envKeys: null })).toMatchObject({ keyId: "k3", applied: true });
    expect((await db.select().from(encryptionKeys).where(eq(encryptionKeys.keyId, "k3")).get())?.fingerprint).toBe(
      runtime.keyring.get("k3")?.fingerprint,
    );
  });
});

describe("keys list", () => {
  it("checks each key against stored values: replaced, missing and tampered are problems, exit 1", async () => {
    const { db, runtime } = await firstStart();
    const { made } = await withContacts(runtime, 2);
    const stored = (
      sqliteOf(db).prepare("select email from contacts where id = ?").get(made[0]?.id) as { email: string }
    ).email;
    const body = stored.split(".")[3] as string;
    sqliteOf(db)
      .prepare("update contacts set email = ? where id = ?")
      .run(`${stored.slice(0, -body.length)}${body[0] === "A" ? "B" : "A"}${body.slice(1)}`, made[0]?.id);
    let status = await encryptionStatus({ db, clock, keyring: runtime.keyring });
    expect(status.keys[0]).toMatchObject({ id: "k1", check: "tampered", failed: 1 });
    expect(status.problems).toEqual([
      expect.stringMatching(/1 of \d+ sampled values under key k1 fail authentication/),
    ]);

    status = await encryptionStatus({ db, clock, keyring: otherKeyUnder("k1") });
    expect(status.keys[0]).toMatchObject({ check: "replaced" });
    expect(status.problems[0]).toMatch(/is not the key this database recorded for k1/);

    status = await encryptionStatus({ db, clock, keyring: otherKeyUnder("k9") });
    expect(status.problems.join(" ")).toMatch(/not in the keyring: k1 \(2 values, fingerprint [0-9a-f]{16}\)/);
  });

  it("on the command line: the table shows fingerprints and the check, and a replaced key exits 1 (other commands exit 2)", async () => {
    const { db, runtime } = await firstStart();
    await withContacts(runtime, 1);
    sqliteOf(db).close();
    updateSecrets(dataDir, (s) => ({
      ...s,
      encryption: { activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date())] },
    }));
    const list = await cli(["keys", "list"]);
    expect(list.code).toBe(1);
    expect(list.stdout).toMatch(/FINGERPRINT/);
    expect(list.stdout).toMatch(/REPLACED/);
    expect(list.stdout).toMatch(/! key k1 in DATA_DIR\/secrets\.json .* is not the key this database recorded/);
    const rotate = await cli(["keys", "rotate"]);
    expect(rotate.code).toBe(2);
    expect(rotate.stderr.trim().split("\n")).toHaveLength(1);
    expect(rotate.stderr).toMatch(/^gatehouse: the encryption keys do not fit the database: key k1/);
    const start = await node([
      "--import",
      "tsx",
      "-e",
      "import('./server/startup.ts').then((m) => m.prepareGatehouse())",
    ]);
    expect(start.code).toBe(1);
    expect(start.stderr.trim().split("\n")).toHaveLength(1);
    // One JSON log line (production logs are JSON), fatal, naming the problem, the id and what to do.
    const line = JSON.parse(start.stderr);
    expect(line.level).toBe("fatal");
    expect(line.msg).toMatch(
      /^gatehouse: cannot start: the encryption keys do not fit the database: key k1 in DATA_DIR\/secrets\.json .*Put back the original key\(s\) k1/,
    );
  }, 60_000);
});

describe("a value that fails authentication at run time", () => {
  it("is logged, audited, counted and named in the answer on both doors (never a bare 500)", async () => {
    resetMetrics();
    const { db, runtime } = await firstStart();
    const { alice, api, made } = await withContacts(runtime, 3);
    const target = made[1]?.id as string;
    const stored = (
      sqliteOf(db).prepare("select notes, email from contacts where id = ?").get(target) as {
        email: string;
      }
    ).email;
    const body = stored.split(".")[3] as string;
    const tampered = `${stored.slice(0, -body.length)}${body.slice(0, 10)}${body[10] === "A" ? "B" : "A"}${body.slice(11)}`;
    sqliteOf(db).prepare("update contacts set email = ? where id = ?").run(tampered, target);

    // tRPC: the list and the record, with the reason.
    for (const call of [() => api.contacts.list({}), () => api.contacts.get({ id: target })]) {
      let error: unknown;
      try {
        await call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("INTERNAL_SERVER_ERROR");
      expect((error as TRPCError).message).toMatch(/failed authentication/);
      expect((error as TRPCError & { cause: { reason: string } }).cause.reason).toBe(
        "sealed_value_failed_authentication",
      );
    }
    // REST: problem+json naming the reason; nothing of the value.
    const { token } = await createToken({ db, clock, actor: SYSTEM_ACTOR, client }, alice.user.id, {
      name: "t",
      scopes: ["contacts:read"],
    });
    for (const url of ["http://localhost:3000/api/v1/contacts", `http://localhost:3000/api/v1/contacts/${target}`]) {
      const response = await handleRest(new Request(url, { headers: { authorization: `Bearer ${token}` } }), runtime);
      expect(response.status).toBe(500);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({
        type: "urn:gatehouse:problem:sealed_value_failed_authentication",
        status: 500,
        detail: expect.stringMatching(/failed authentication/),
      });
      expect(text).not.toContain(body.slice(5, 25));
    }
    // A relabelled key id: named as a missing key.
    sqliteOf(db)
      .prepare("update contacts set email = ? where id = ?")
      .run(tampered.replace("v1.k1.", "v1.k8."), target);
    const missing = await handleRest(
      new Request(`http://localhost:3000/api/v1/contacts/${target}`, { headers: { authorization: `Bearer ${token}` } }),
      runtime,
    );
    expect(await missing.json()).toMatchObject({ type: "urn:gatehouse:problem:sealed_value_key_missing" });

    // The log line, the metric, the audit entry (aggregated per caller and row).
    const alerts = logLines.map((l) => JSON.parse(l)).filter((l) => l.alert === "decryption_failed");
    expect(alerts.length).toBeGreaterThanOrEqual(5);
    expect(alerts[0]).toMatchObject({
      table: "contacts",
      column: "email",
      rowId: target,
      reason: "authentication_failed",
    });
    expect(METRICS.sealedValueFailures.value(["contacts", "authentication_failed"])).toBe(4);
    expect(METRICS.sealedValueFailures.value(["contacts", "unknown_key"])).toBe(1);
    await flushAggregated(db);
    const entries = await db.select().from(auditLog).where(eq(auditLog.action, "encryption.value_rejected")).all();
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(entries[0]).toMatchObject({ targetType: "contacts", targetId: target, outcome: "failure" });
    expect(JSON.stringify(entries)).toMatch(/authentication_failed/);
    expect(JSON.stringify(entries)).not.toContain(body.slice(5, 25));
  });
});

function cli(args: string[]) {
  return node(["--import", "tsx", "server/cli/index.ts", ...args]);
}

function node(args: string[]): Promise<ProcessRun> {
  return runProcess(process.execPath, args, {
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: "silent", NODE_ENV: "production" },
  });
}

describe("a signing key that fails authentication", () => {
  it("is logged and counted, and the token endpoint names the reason instead of a bare server_error", async () => {
    resetMetrics();
    const bed = createTestbed();
    const app = await bed.registerClient({
      grantTypes: ["client_credentials"],
      redirectUris: [],
      scopes: ["contacts:read"],
    });
    const { kid } = await rotateSigningKey(bed.rt.db, {
      clock: bed.rt.clock,
      keyring: bed.rt.keyring,
      actor: SYSTEM_ACTOR,
      client,
      force: true,
    });
    const stored = (
      sqliteOf(bed.rt.db).prepare("select private_jwk from oauth_signing_keys where kid = ?").get(kid) as {
        private_jwk: string;
      }
    ).private_jwk;
    const body = stored.split(".")[3] as string;
    sqliteOf(bed.rt.db)
      .prepare("update oauth_signing_keys set private_jwk = ? where kid = ?")
      .run(`${stored.slice(0, -body.length)}${body[0] === "A" ? "B" : "A"}${body.slice(1)}`, kid);
    const res = await tokenRequest(bed, app, { grant_type: "client_credentials" });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({
      error: "server_error",
      error_description: expect.stringMatching(/sealed_value_failed_authentication/),
    });
    expect(JSON.stringify(res.body)).not.toContain(body.slice(5, 25));
    expect(METRICS.sealedValueFailures.value(["oauth_signing_keys", "authentication_failed"])).toBe(1);
    const alert = logLines.map((l) => JSON.parse(l)).find((l) => l.alert === "decryption_failed");
    expect(alert).toMatchObject({ table: "oauth_signing_keys", column: "private_jwk", rowId: kid });
    await flushAggregated(bed.rt.db);
    expect(
      await bed.rt.db.select().from(auditLog).where(eq(auditLog.action, "encryption.value_rejected")).all(),
    ).toEqual([expect.objectContaining({ targetType: "oauth_signing_keys", targetId: kid, outcome: "failure" })]);
  });
});
