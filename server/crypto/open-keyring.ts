import type { Config } from "../config";
import { loadOrCreateSecrets } from "../config/secrets";
import { fileKeyring, type Keyring, staticKeyring } from "./keyring";

/**
 * The keyring a server or CLI process uses: ENCRYPTION_KEYS when it is set
 * (the ring is then fixed for the life of the process), otherwise the ring in
 * DATA_DIR/secrets.json, generated on first use and followed as
 * `gatehouse keys rotate` changes it.
 */
export function openKeyring(config: Config): Keyring {
  if (config.encryptionKeys) return staticKeyring(config.encryptionKeys, "env");
  return fileKeyring(config.dataDir, loadOrCreateSecrets(config.dataDir).encryption);
}
