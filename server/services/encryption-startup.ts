import { getLogger } from "../logger";
import type { Runtime } from "../runtime";
import { SYSTEM_ACTOR } from "./audit";
import { sealUnsealedRows } from "./encryption-keys";
import { assertStoredKeysKnown } from "./key-check";

/**
 * Start-up step for sealed data (server/startup.ts): refuses to start when a
 * stored value names a key the ring does not hold (UnknownKeyError, one clear
 * line), and seals rows written before encryption existed. Costs one scan of
 * the sealed columns (an aggregate query; about 50 ms per 100,000 contacts).
 */
export function prepareSealedData(runtime: Pick<Runtime, "db" | "clock" | "keyring">): void {
  assertStoredKeysKnown(runtime.db, runtime.keyring);
  const sealed = sealUnsealedRows({
    db: runtime.db,
    clock: runtime.clock,
    keyring: runtime.keyring,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "startup" },
  });
  if (sealed > 0) getLogger().info({ rows: sealed }, "sealed contacts written before encryption existed");
}
