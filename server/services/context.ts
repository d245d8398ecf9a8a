import type { Db } from "@/db";
import type { ClientInfo } from "../auth/principal";
import type { Clock } from "../clock";
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
}
