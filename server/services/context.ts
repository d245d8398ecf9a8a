import type { Db } from "@/db";
import type { ClientInfo } from "../auth/principal";
import type { Clock } from "../clock";
import type { Keyring } from "../crypto/keyring";
import type { Actor } from "./audit";

/**
 * What every service call needs: the database, the time, and who is acting
 * from where (for the audit entry). No HTTP and no tRPC in here, so the CLI,
 * the dashboard and both API transports call the same functions.
 */
export interface ServiceContext {
  db: Db;
  clock: Clock;
  actor: Actor;
  client: ClientInfo;
  /**
   * Data-encryption keys, for services that touch sealed columns (contacts).
   * Optional so that services without sealed data can be called without one;
   * those that need it refuse to run without it (requireKeyring).
   */
  keyring?: Keyring | null;
}
