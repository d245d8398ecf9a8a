import type { Db } from "@/db";
import { systemClock } from "../clock";
import type { Config } from "../config";
import { loadOrCreateSecrets } from "../config/secrets";
import { acceptReloadedKeys } from "../services/key-check";
import { fileKeyring, type Keyring, staticKeyring } from "./keyring";

/**
 * The keyring a server or CLI process uses: ENCRYPTION_KEYS when it is set
 * (the ring is then fixed for the life of the process), otherwise the ring in
 * DATA_DIR/secrets.json, generated on first use (never over sealed data:
 * config/secrets.ts) and followed as `gatehouse keys rotate` changes it.
 * With the database at hand, a ring read again from the file is taken only
 * when its keys' fingerprints match the ones the database recorded for their
 * ids (key-check.ts): a secrets.json replaced under a running server is
 * refused, and the server goes on with the keys it has.
 */
export function openKeyring(config: Config, db?: Db): Keyring {
  if (config.encryptionKeys) return staticKeyring(config.encryptionKeys, "env");
  return fileKeyring(
    config.dataDir,
    loadOrCreateSecrets(config.dataDir).encryption,
    db ? { accept: (keys) => acceptReloadedKeys(db, keys, systemClock) } : {},
  );
}
