import fs from "node:fs";
import path from "node:path";
import { readSecretsFile, SECRETS_FILE } from "../config/secrets";
import { getLogger } from "../logger";
import type { KeySet } from "./key-set";
import { type DataKey, dataKeyFrom, decodeRootKey } from "./keys";

/** Where a keyring's keys live: the ENCRYPTION_KEYS variable, the data folder, or a test. */
export type KeyringSource = "env" | "file" | "memory";

export interface KeyInfo {
  id: string;
  /** keyFingerprint of the key (server/crypto/keys.ts): names it without revealing it. */
  fingerprint: string;
  active: boolean;
  createdAt: string | null;
}

/**
 * The keys this process can seal and open values with. `active()` is the key
 * new values are sealed under; `get(id)` finds the key a stored value names
 * (undefined when the ring does not hold it: the caller fails closed).
 */
export interface Keyring {
  readonly source: KeyringSource;
  active(): DataKey;
  get(id: string): DataKey | undefined;
  /** Every key, active first: blind-index lookups try each while a re-encryption is under way. */
  all(): DataKey[];
  describe(): KeyInfo[];
  /** Re-reads the keys now where they can change (the data folder); a no-op for a fixed ring. */
  reload(): void;
}

class Snapshot {
  readonly byId: Map<string, DataKey>;
  constructor(readonly set: KeySet) {
    this.byId = new Map(
      set.keys.map((entry) => {
        const root = decodeRootKey(entry.key);
        if (!root) throw new Error(`encryption key ${entry.id} is not 32 bytes of base64url`);
        return [entry.id, dataKeyFrom(entry.id, root)];
      }),
    );
    if (!this.byId.has(set.activeKeyId))
      throw new Error(`the active encryption key ${set.activeKeyId} is not in the ring`);
  }
  active(): DataKey {
    return this.byId.get(this.set.activeKeyId) as DataKey;
  }
  all(): DataKey[] {
    const active = this.active();
    return [active, ...[...this.byId.values()].filter((k) => k !== active)];
  }
  describe(): KeyInfo[] {
    return this.set.keys
      .map((k) => ({
        id: k.id,
        fingerprint: (this.byId.get(k.id) as DataKey).fingerprint,
        active: k.id === this.set.activeKeyId,
        createdAt: k.createdAt,
      }))
      .sort((a, b) => Number(b.active) - Number(a.active));
  }
}

/** A fixed ring: from ENCRYPTION_KEYS (changed by restarting with a new value) or built by a test. */
export function staticKeyring(set: KeySet, source: "env" | "memory"): Keyring {
  const snapshot = new Snapshot(set);
  return {
    source,
    active: () => snapshot.active(),
    get: (id) => snapshot.byId.get(id),
    all: () => snapshot.all(),
    describe: () => snapshot.describe(),
    reload: () => undefined,
  };
}

export interface FileKeyringOptions {
  /**
   * Judges a ring read again from the file before it is used: throws to
   * refuse it (server/crypto/open-keyring.ts checks the keys' fingerprints
   * against the ones the database recorded, so a secrets.json replaced
   * under a running server is never used to seal or open anything).
   */
  accept?: (keys: readonly DataKey[]) => void;
}

/** How often a running server looks at secrets.json for a rotation made by `gatehouse keys rotate`. */
export const KEYRING_RECHECK_MS = 1_000;

/**
 * The ring kept in DATA_DIR/secrets.json. `gatehouse keys rotate` edits that
 * file while servers run; each server notices within KEYRING_RECHECK_MS (a
 * stat, not a read, unless the file changed) so that it seals new values with
 * the new key, and re-reads at once when it meets a key id it does not hold.
 * A file that turns unreadable, or holds a key `accept` refuses (another key
 * under an id the database knows), keeps the last good ring and logs one
 * alert per version of the file: the keys already loaded are still right
 * for the data.
 */
export function fileKeyring(dataDir: string, initial: KeySet, options: FileKeyringOptions = {}): Keyring {
  const file = path.join(dataDir, SECRETS_FILE);
  let snapshot = new Snapshot(initial);
  let signature = signatureOf(file);
  let refused: string | null = null;
  let checkedAt = Date.now();
  let missingCheckedAt = 0;

  function refresh(mode: "periodic" | "missing-key" | "now"): void {
    const now = Date.now();
    if (mode === "periodic" && now - checkedAt < KEYRING_RECHECK_MS) return;
    if (mode === "missing-key") {
      // For an unknown key id, at most ten looks a second: a tampered row
      // must not turn every request into a file read.
      if (now - missingCheckedAt < 100) return;
      missingCheckedAt = now;
    }
    checkedAt = now;
    const current = signatureOf(file);
    if (current === signature || current === refused) return;
    try {
      const stored = readSecretsFile(file);
      if (!stored.encryption) throw new Error("no encryption keys");
      const next = new Snapshot(stored.encryption);
      options.accept?.(next.all());
      snapshot = next;
      signature = current;
      refused = null;
    } catch (error) {
      // Said once per version of the file, not once a second; a busy database is tried again.
      if (!String((error as { code?: unknown }).code ?? "").startsWith("SQLITE_BUSY")) refused = current;
      getLogger().error(
        { alert: "keyring_reload_failed", file, err: { message: (error as Error).message } },
        "cannot reload the encryption keys; keeping the ones loaded",
      );
    }
  }

  return {
    source: "file",
    active() {
      refresh("periodic");
      return snapshot.active();
    },
    get(id) {
      refresh("periodic");
      const found = snapshot.byId.get(id);
      if (found) return found;
      refresh("missing-key");
      return snapshot.byId.get(id);
    },
    all() {
      refresh("periodic");
      return snapshot.all();
    },
    describe() {
      refresh("periodic");
      return snapshot.describe();
    },
    reload() {
      refresh("now");
    },
  };
}

function signatureOf(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return "missing";
  }
}
