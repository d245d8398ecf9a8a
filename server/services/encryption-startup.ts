import { getLogger } from "../logger";
import type { Runtime } from "../runtime";
import { SYSTEM_ACTOR } from "./audit";
import { sealUnsealedRows } from "./encryption-keys";
import { assertKeyringFits } from "./key-check";

/**
 * Start-up step for sealed data (server/startup.ts): refuses to start when
 * the keys do not fit the database (KeyringMismatchError, one clear line: a
 * different key under a recorded id, values under an id the ring lacks, an
 * unrecorded key that does not open its values; see key-check.ts), records
 * the fingerprints of new keys, and seals rows written before encryption
 * existed. Costs one scan of the sealed columns (an aggregate query; about
 * 50 ms per 100,000 contacts) and a few trial decryptions per key.
 */
export async function prepareSealedData(runtime: Pick<Runtime, "db" | "clock" | "keyring">): Promise<void> {
  const check = await assertKeyringFits(runtime.db, runtime.keyring, runtime.clock);
  for (const key of check.keys.filter((k) => k.status === "tampered")) {
    getLogger().error(
      { alert: "sealed_values_tampered", keyId: key.id, sampled: key.sampled, failed: key.failed },
      "some stored values fail authentication: they were altered after they were sealed",
    );
  }
  const sealed = await sealUnsealedRows({
    db: runtime.db,
    clock: runtime.clock,
    keyring: runtime.keyring,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "startup" },
  });
  if (sealed > 0) getLogger().info({ rows: sealed }, "sealed contacts written before encryption existed");
}
