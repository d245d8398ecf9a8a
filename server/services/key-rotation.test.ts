import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { like } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditLog } from "@/db/schema";
import { loadOrCreateSecrets, SECRETS_FILE } from "../config/secrets";
import { keyIdOf } from "../crypto/envelope";
import { parseEncryptionKeys } from "../crypto/key-set";
import { fileKeyring, staticKeyring } from "../crypto/keyring";
import { generateRootKey } from "../crypto/keys";
import { AppError } from "../errors";
import { callerFor, createTestRuntime, seedUser, storedRows, type TestRuntime } from "../testing/harness";
import { CLI_ACTOR } from "./audit";
import type { ServiceContext } from "./context";
import { encryptionStatus, REMOVE_GRACE_MS, removeKey, rotateKey } from "./encryption-keys";
import { type ReencryptionProgress, reencryptAll } from "./reencryption";

async function reasonOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof AppError) return error.reason;
    throw error;
  }
  return "no error";
}

describe("key rotation and re-encryption (keys in the data folder)", () => {
  let dataDir: string;
  let rt: TestRuntime;
  let svc: ServiceContext;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-rotate-"));
    const base = createTestRuntime({ dataDir });
    rt = { ...base, keyring: fileKeyring(dataDir, loadOrCreateSecrets(dataDir).encryption) };
    svc = {
      db: rt.db,
      clock: rt.clock,
      keyring: rt.keyring,
      actor: CLI_ACTOR,
      client: { ip: null, userAgent: "test", requestId: "t" },
    };
  });
  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("rotates, keeps old values readable, re-encrypts in batches, and removes the old key only once unused", async () => {
    const alice = await seedUser(rt, "alice@example.com");
    const api = callerFor(rt, alice.principal);
    const made = [];
    for (let i = 0; i < 25; i++) {
      made.push(
        await api.contacts.create({
          name: `C${i}`,
          email: `c${i}@example.com`,
          ...(i % 2 ? { phone: `+4144668${String(1000 + i)}` } : {}),
          ...(i % 3 ? {} : { notes: `note ${i}` }),
        }),
      );
    }
    const valuesPerKey = 25 + 12 + 9; // emails, phones (odd i), notes (i % 3 === 0)
    expect((await encryptionStatus(svc)).keys).toEqual([
      expect.objectContaining({ id: "k1", active: true, values: valuesPerKey }),
    ]);

    const rotated = await rotateKey(svc, { dataDir, envKeys: null });
    expect(rotated).toMatchObject({ source: "file", keyId: "k2", previousKeyId: "k1", applied: true });
    const stored = JSON.parse(fs.readFileSync(path.join(dataDir, SECRETS_FILE), "utf8"));
    expect(stored.encryption.activeKeyId).toBe("k2");
    expect(fs.statSync(path.join(dataDir, SECRETS_FILE)).mode & 0o777).toBe(0o600);

    // Old values still open; new ones go under k2; lookups find rows under either key.
    expect(await api.contacts.get({ id: made[3]?.id as string })).toEqual(made[3]);
    const fresh = await api.contacts.create({ name: "New", email: "new@example.com" });
    expect(
      keyIdOf(
        (await storedRows<{ email: string }>(rt.db, "select email from contacts where id = ?", fresh.id))[0]?.email ??
          "",
      ),
    ).toBe("k2");
    expect((await api.contacts.list({ email: "C7@example.com" })).items.map((c) => c.id)).toEqual([made[7]?.id]);
    expect((await api.contacts.list({ email: "new@example.com" })).items.map((c) => c.id)).toEqual([fresh.id]);

    let status = await encryptionStatus(svc);
    expect(status.keys.map((k) => [k.id, k.active, k.values])).toEqual([
      ["k2", true, 1],
      ["k1", false, valuesPerKey],
    ]);
    expect(status.rowsToReencrypt).toBe(25);
    expect(await reasonOf(() => removeKey(svc, { dataDir, envKeys: null, keyId: "k1" }))).toBe("key_in_use");

    const seen: ReencryptionProgress[] = [];
    const job = await reencryptAll(svc, { batchSize: 7, pauseMs: 0, onProgress: (p) => seen.push(p) });
    expect(job).toMatchObject({ status: "finished", targetKeyId: "k2", total: 25, done: 25 });
    expect(seen.map((p) => p.done)).toEqual([0, 7, 14, 21, 25, 25]);

    status = await encryptionStatus(svc);
    expect(status.keys.map((k) => [k.id, k.values])).toEqual([
      ["k2", valuesPerKey + 1],
      ["k1", 0],
    ]);
    expect(status.rowsToReencrypt).toBe(0);
    expect(status.job).toMatchObject({ status: "finished", stalled: false });
    for (const contact of made) expect(await api.contacts.get({ id: contact.id })).toEqual(contact);
    expect((await api.contacts.list({ email: "c7@EXAMPLE.com" })).items.map((c) => c.id)).toEqual([made[7]?.id]);

    // Running it again has nothing to do.
    expect(await reencryptAll(svc, { batchSize: 7, pauseMs: 0 })).toMatchObject({
      status: "finished",
      total: 0,
      done: 0,
    });

    // Removal: never the active key; not until every server has had time to switch.
    expect(await reasonOf(() => removeKey(svc, { dataDir, envKeys: null, keyId: "k2" }))).toBe("key_active");
    expect(await reasonOf(() => removeKey(svc, { dataDir, envKeys: null, keyId: "k1" }))).toBe("rotation_too_recent");
    rt.clock.advance(REMOVE_GRACE_MS);
    expect(await removeKey(svc, { dataDir, envKeys: null, keyId: "k1" })).toMatchObject({ applied: true, keyId: "k1" });
    expect((await encryptionStatus(svc)).keys.map((k) => k.id)).toEqual(["k2"]);
    expect(
      JSON.parse(fs.readFileSync(path.join(dataDir, SECRETS_FILE), "utf8")).encryption.keys.map(
        (k: { id: string }) => k.id,
      ),
    ).toEqual(["k2"]);
    expect(await reasonOf(() => removeKey(svc, { dataDir, envKeys: null, keyId: "k1" }))).toBe("key_not_found");
    for (const contact of made) expect(await api.contacts.get({ id: contact.id })).toEqual(contact);

    const audit = (await rt.db.select().from(auditLog).where(like(auditLog.action, "encryption.%")).all()).map((e) => [
      e.action,
      e.targetId,
      e.actorKind,
    ]);
    expect(audit).toEqual([
      ["encryption.rotate", "k2", "cli"],
      ["encryption.reencrypt_start", "k2", "cli"],
      ["encryption.reencrypt_finish", "k2", "cli"],
      ["encryption.reencrypt_start", "k2", "cli"],
      ["encryption.reencrypt_finish", "k2", "cli"],
      ["encryption.key_remove", "k1", "cli"],
    ]);
    // Ids and counts only: no key material in the audit log.
    const details = JSON.stringify(await rt.db.select().from(auditLog).all());
    for (const k of stored.encryption.keys) expect(details).not.toContain(k.key);
  });

  it("with ENCRYPTION_KEYS, prints the new value to roll out and changes nothing itself", async () => {
    const k1 = generateRootKey();
    const envKeys = parseEncryptionKeys(`k1:${k1}`);
    const envRing = staticKeyring(envKeys, "env");
    const envSvc = { ...svc, keyring: envRing };
    const result = await rotateKey(envSvc, { dataDir, envKeys });
    if (result.applied) throw new Error("expected an unapplied rotation");
    const next = parseEncryptionKeys(result.encryptionKeys);
    expect(next.activeKeyId).toBe("k2");
    expect(next.keys.find((k) => k.id === "k1")?.key).toBe(k1);
    expect(envRing.active().id).toBe("k1");
    const [entry] = await rt.db.select().from(auditLog).where(like(auditLog.action, "encryption.%")).all();
    expect(entry).toMatchObject({
      action: "encryption.rotate",
      targetId: "k2",
      detail: { source: "env", applied: false, previousKeyId: "k1" },
    });
    expect(JSON.stringify(entry)).not.toContain(k1);
  });
});
