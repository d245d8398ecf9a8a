import type { Context } from "../context";
import { actorOf } from "../services/audit";
import type { ServiceContext } from "../services/context";

/** The service view of a procedure's context: who acts, from where, on which database. */
export function serviceContext(ctx: Context): ServiceContext {
  return { db: ctx.db, clock: ctx.clock, actor: actorOf(ctx.principal), client: ctx.client, keyring: ctx.keyring };
}
