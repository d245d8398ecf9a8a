import { updateSecrets } from "../config/secrets";
import { formatEncryptionKeys, type KeySet, newKeySetEntry } from "../crypto/key-set";
import { KEYRING_RECHECK_MS, type KeyringSource } from "../crypto/keyring";
import { decodeRootKey, KEY_ID_PATTERN, keyFingerprint, nextKeyId } from "../crypto/keys";
import { keyUsage, pendingRows, SEALED_TABLES } from "../crypto/sealed-tables";
import { AppError } from "../errors";
import { recordAudit } from "./audit";
import { requireKeyring } from "./contact-codec";
import type { ServiceContext } from "./context";
import { checkKeyring, type KeyCheckStatus, printableKeyId, recordedKeys, recordNewKeys } from "./key-check";
import { latestJob, type ReencryptionJobSummary, toJobSummary } from "./reencryption";

/**
 * The encryption keyring as operators see it: which keys exist, which is
 * active, how many stored values each still protects, how far the last
 * re-encryption got; and the operations on it (rotate, remove), audited.
 * Key material never leaves this module except in the one place an operator
 * asks for it: the new ENCRYPTION_KEYS value when the keys live in the
 * environment (this process cannot change its own environment).
 */

export interface KeyStatus {
  id: string;
  /** Names the key without revealing it (server/crypto/keys.ts keyFingerprint). */
  fingerprint: string;
  /** The fingerprint the database recorded for this id (null: not recorded yet). */
  recordedFingerprint: string | null;
  active: boolean;
  createdAt: string | null;
  /** Stored values sealed under this key. */
  values: number;
  /** The key checked against stored values: a sample of them opened (server/services/key-check.ts). */
  check: KeyCheckStatus;
  sampled: number;
  failed: number;
}

export interface EncryptionStatus {
  source: KeyringSource;
  keys: KeyStatus[];
  /** Values under key ids the ring does not hold: unreadable until the key is restored. */
  unknownKeys: Array<{ id: string; values: number }>;
  /** Values written before encryption existed and not yet sealed (sealed at start-up). */
  unsealedValues: number;
  /** Rows with some value not under the active key: what `keys reencrypt` would do. */
  rowsToReencrypt: number;
  job: (ReencryptionJobSummary & { stalled: boolean }) | null;
  /** What is wrong between the keys and the stored values, one sentence each; empty when all is well. */
  problems: string[];
}

/** A running job that has not moved for this long has most likely lost its process. */
export const STALLED_AFTER_MS = 60_000;

export async function encryptionStatus(
  svc: Pick<ServiceContext, "db" | "clock" | "keyring">,
): Promise<EncryptionStatus> {
  const keyring = requireKeyring(svc);
  const usage = await keyUsage(svc.db);
  const known = keyring.describe();
  const job = await latestJob(svc.db);
  const check = await checkKeyring(svc.db, keyring);
  return {
    source: keyring.source,
    keys: known.map((k) => {
      const c = check.keys.find((x) => x.id === k.id);
      return {
        ...k,
        values: usage.get(k.id) ?? 0,
        recordedFingerprint: c?.recordedFingerprint ?? null,
        check: c?.status ?? "unused",
        sampled: c?.sampled ?? 0,
        failed: c?.failed ?? 0,
      };
    }),
    unknownKeys: [...usage.entries()]
      .filter(([id]) => id !== "" && !known.some((k) => k.id === id))
      .map(([id, values]) => ({ id: printableKeyId(id), values })),
    unsealedValues: usage.get("") ?? 0,
    rowsToReencrypt: await pendingRows(svc.db, keyring.active().id, "stale"),
    job: job
      ? {
          ...toJobSummary(job),
          stalled: job.status === "running" && svc.clock.now().getTime() - job.updatedAt.getTime() > STALLED_AFTER_MS,
        }
      : null,
    problems: check.problems,
  };
}

/**
 * Seals rows written before encryption existed (start-up, once): each batch
 * in its own transaction, audited with the count. Idempotent: a row is
 * sealed once and then no longer pending.
 */
export async function sealUnsealedRows(svc: ServiceContext, batchSize = 500): Promise<number> {
  const keyring = requireKeyring(svc);
  if ((await pendingRows(svc.db, keyring.active().id, "unsealed")) === 0) return 0;
  let sealed = 0;
  for (const table of SEALED_TABLES) {
    for (;;) {
      const { count } = await svc.db.transaction(
        (tx) => table.resealBatch(tx, keyring, { afterId: null, limit: batchSize, scope: "unsealed" }),
        { behavior: "immediate" },
      );
      sealed += count;
      if (count < batchSize) break;
    }
  }
  await svc.db.transaction(async (tx) =>
    recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "encryption.seal_unsealed",
      target: { type: "encryption_key", id: keyring.active().id },
      client: svc.client,
      detail: { rows: sealed },
    }),
  );
  return sealed;
}

export type RotationResult =
  | { source: "file" | "memory"; keyId: string; previousKeyId: string; applied: true }
  /** Keys from the environment: the operator applies the new value and restarts. */
  | { source: "env"; keyId: string; previousKeyId: string; applied: false; encryptionKeys: string };

/**
 * Adds a new key and makes it active. With the keys in the data folder the
 * file is changed (atomically, under its lock) and every server follows
 * within a second; with ENCRYPTION_KEYS the new value is returned for the
 * operator to roll out. Audited as `encryption.rotate`, ids only.
 */
export async function rotateKey(
  svc: ServiceContext,
  opts: { dataDir: string; envKeys: KeySet | null; keyId?: string },
): Promise<RotationResult> {
  const keyring = requireKeyring(svc);
  const previousKeyId = keyring.active().id;
  const { keyId, entry, fingerprint } = await newKeyFor(svc, opts.keyId);

  if (keyring.source === "env") {
    if (!opts.envKeys) throw new Error("the keyring comes from ENCRYPTION_KEYS but the configuration has none");
    const next: KeySet = { activeKeyId: keyId, keys: [entry, ...opts.envKeys.keys] };
    await audit(svc, "encryption.rotate", keyId, { previousKeyId, source: "env", applied: false, fingerprint });
    return { source: "env", keyId, previousKeyId, applied: false, encryptionKeys: formatEncryptionKeys(next) };
  }
  if (keyring.source !== "file") throw new AppError("CONFLICT", "this keyring cannot be changed", "keyring_fixed");
  await svc.db.transaction(async (tx) => {
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "encryption.rotate",
      target: { type: "encryption_key", id: keyId },
      client: svc.client,
      detail: { previousKeyId, source: "file", applied: true, fingerprint },
    });
    // Recorded before the file names it: a server reloading the file finds the fingerprint already known.
    await recordNewKeys(tx, [{ id: keyId, fingerprint }], svc.clock);
    // Inside the transaction: if the file cannot be written, the audit entry rolls back with it.
    updateSecrets(opts.dataDir, (current) => {
      if (!current.encryption) throw new Error("the secrets file has no encryption keys");
      if (current.encryption.keys.some((k) => k.id === keyId)) throw new AppError("CONFLICT", `key ${keyId} exists`);
      return { ...current, encryption: { activeKeyId: keyId, keys: [...current.encryption.keys, entry] } };
    });
  });
  keyring.reload();
  return { source: "file", keyId, previousKeyId, applied: true };
}

/** A fresh key under a new id (the next k<n>, or the one asked for); ids are never reused. */
async function newKeyFor(svc: ServiceContext, wanted: string | undefined) {
  const keyring = requireKeyring(svc);
  const existing = keyring.describe().map((k) => k.id);
  // An id the database ever recorded stays that key's, even after the key was removed.
  const used = [...new Set([...existing, ...(await recordedKeys(svc.db)).keys()])];
  const keyId = wanted ?? nextKeyId(used);
  if (!KEY_ID_PATTERN.test(keyId))
    throw new AppError("BAD_REQUEST", "the key id must be 1 to 32 letters, digits, _ or -");
  if (existing.includes(keyId)) throw new AppError("CONFLICT", `the keyring already has a key ${keyId}`, "key_exists");
  if (used.includes(keyId)) {
    throw new AppError(
      "CONFLICT",
      `key id ${keyId} was used before for another key; ids are never reused`,
      "key_exists",
    );
  }
  const entry = newKeySetEntry(keyId, svc.clock.now());
  const fingerprint = keyFingerprint(decodeRootKey(entry.key) as Buffer);
  return { keyId, entry, fingerprint };
}

/** How long a staged key waits in the file before it becomes active: past every server's next look at the file. */
export const STAGE_WAIT_MS = KEYRING_RECHECK_MS + 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Rotation from inside a running server (POST /api/v1/admin/encryption/rotate),
 * in two steps so that no process seals with a key another cannot open yet:
 *
 * 1. the new key is added to secrets.json, not active (its fingerprint
 *    recorded first, so every server's reload accepts it);
 * 2. after STAGE_WAIT_MS — longer than KEYRING_RECHECK_MS, the most a running
 *    server (a worker of this one, or another process on the data folder)
 *    uses its ring without looking at the file — the key is made active.
 *
 * Any process that seals with the new key does so after step 2, and by then
 * every process that uses its ring has re-read the file since step 1: it
 * holds the key. Audited as `encryption.rotate` when the key becomes active.
 * Keys from ENCRYPTION_KEYS cannot be changed by the server: 409, with the
 * reason; the new value is never sent over the API.
 */
export async function rotateKeyStaged(
  svc: ServiceContext,
  opts: { dataDir: string; keyId?: string; waitMs?: number },
): Promise<{ keyId: string; previousKeyId: string; fingerprint: string }> {
  const keyring = requireKeyring(svc);
  if (keyring.source === "env") {
    throw new AppError(
      "CONFLICT",
      "The encryption keys come from ENCRYPTION_KEYS: rotate them where they are kept (generate the new value with `gatehouse keys rotate`, set it on every server, restart), then start re-encryption",
      "keys_in_environment",
    );
  }
  if (keyring.source !== "file") throw new AppError("CONFLICT", "this keyring cannot be changed", "keyring_fixed");
  const previousKeyId = keyring.active().id;
  const { keyId, entry, fingerprint } = await newKeyFor(svc, opts.keyId);
  await svc.db.transaction(async (tx) => {
    await recordNewKeys(tx, [{ id: keyId, fingerprint }], svc.clock);
    updateSecrets(opts.dataDir, (current) => {
      if (!current.encryption) throw new Error("the secrets file has no encryption keys");
      if (current.encryption.keys.some((k) => k.id === keyId)) {
        throw new AppError("CONFLICT", `the keyring already has a key ${keyId}`, "key_exists");
      }
      return { ...current, encryption: { ...current.encryption, keys: [...current.encryption.keys, entry] } };
    });
  });
  keyring.reload();
  await sleep(opts.waitMs ?? STAGE_WAIT_MS);
  await svc.db.transaction(async (tx) => {
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "encryption.rotate",
      target: { type: "encryption_key", id: keyId },
      client: svc.client,
      detail: { previousKeyId, source: "file", applied: true, staged: true, fingerprint },
    });
    updateSecrets(opts.dataDir, (current) => {
      if (!current.encryption?.keys.some((k) => k.id === keyId)) {
        throw new AppError("CONFLICT", `key ${keyId} left the keyring before it became active`, "rotation_raced");
      }
      if (current.encryption.activeKeyId !== previousKeyId) {
        throw new AppError(
          "CONFLICT",
          `another rotation made key ${current.encryption.activeKeyId} active meanwhile; ${keyId} stays inactive`,
          "rotation_raced",
        );
      }
      return { ...current, encryption: { ...current.encryption, activeKeyId: keyId } };
    });
  });
  keyring.reload();
  return { keyId, previousKeyId, fingerprint };
}

/** After a rotation, how long before the old key may go: every running server must have switched (KEYRING_RECHECK_MS). */
export const REMOVE_GRACE_MS = 10_000;

export type RemovalResult =
  | { source: "file"; keyId: string; applied: true }
  | { source: "env"; keyId: string; applied: false; encryptionKeys: string };

/**
 * Removes a key from the ring, only when nothing depends on it: not the
 * active key, no stored value under it, and (data folder) the active key old
 * enough that no server still seals with this one. Audited.
 */
export async function removeKey(
  svc: ServiceContext,
  opts: { dataDir: string; envKeys: KeySet | null; keyId: string },
): Promise<RemovalResult> {
  const keyring = requireKeyring(svc);
  const keys = keyring.describe();
  const key = keys.find((k) => k.id === opts.keyId);
  if (!key) throw new AppError("NOT_FOUND", `no key ${opts.keyId} in the keyring`, "key_not_found");
  if (key.active) {
    throw new AppError("CONFLICT", `key ${key.id} is the active key; rotate first`, "key_active");
  }
  const inUse = (await keyUsage(svc.db)).get(key.id) ?? 0;
  if (inUse > 0) {
    throw new AppError(
      "CONFLICT",
      `key ${key.id} still protects ${inUse} value${inUse === 1 ? "" : "s"}; run: gatehouse keys reencrypt`,
      "key_in_use",
    );
  }
  if (keyring.source === "env") {
    if (!opts.envKeys) throw new Error("the keyring comes from ENCRYPTION_KEYS but the configuration has none");
    const next: KeySet = { ...opts.envKeys, keys: opts.envKeys.keys.filter((k) => k.id !== key.id) };
    await audit(svc, "encryption.key_remove", key.id, { source: "env", applied: false });
    return { source: "env", keyId: key.id, applied: false, encryptionKeys: formatEncryptionKeys(next) };
  }
  if (keyring.source !== "file") throw new AppError("CONFLICT", "this keyring cannot be changed", "keyring_fixed");
  const active = keys.find((k) => k.active);
  const activeSince = active?.createdAt ? Date.parse(active.createdAt) : 0;
  if (svc.clock.now().getTime() - activeSince < REMOVE_GRACE_MS) {
    throw new AppError(
      "CONFLICT",
      `key ${active?.id} became active only moments ago; wait ${REMOVE_GRACE_MS / 1000} seconds so every server has switched to it`,
      "rotation_too_recent",
    );
  }
  await svc.db.transaction(async (tx) => {
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "encryption.key_remove",
      target: { type: "encryption_key", id: key.id },
      client: svc.client,
      detail: { source: "file", applied: true },
    });
    updateSecrets(opts.dataDir, (current) => {
      if (!current.encryption) throw new Error("the secrets file has no encryption keys");
      if (current.encryption.activeKeyId === key.id) throw new AppError("CONFLICT", `key ${key.id} is active`);
      return {
        ...current,
        encryption: { ...current.encryption, keys: current.encryption.keys.filter((k) => k.id !== key.id) },
      };
    });
  });
  keyring.reload();
  return { source: "file", keyId: key.id, applied: true };
}

async function audit(
  svc: ServiceContext,
  action: `encryption.${string}`,
  keyId: string,
  detail: Record<string, unknown>,
) {
  await svc.db.transaction(async (tx) =>
    recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action,
      target: { type: "encryption_key", id: keyId },
      client: svc.client,
      detail,
    }),
  );
}
