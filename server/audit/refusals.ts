import type { Context } from "../context";
import type { AppError } from "../errors";
import { actorOf } from "../services/audit";
import { recordAggregated } from "./aggregate";

/**
 * Authorization failures into the audit log, aggregated (server/audit/aggregate.ts)
 * so that a credential-stuffing or id-enumeration run cannot flood it:
 *
 * - 401 `access.unauthenticated`: no credential, or one that is not live;
 * - 403 `access.forbidden`: a missing scope or role, a password change due,
 *   a cross-site request;
 * - 404 `access.not_found`: a signed-in caller asked for a record that is not
 *   theirs (or not there: by design the two look the same, see DESIGN.md).
 *
 * Called from the tRPC error mapping (server/trpc.ts), so both doors and every
 * procedure are covered, and from the HTTP routes outside tRPC.
 */
const ACTIONS = {
  UNAUTHORIZED: "access.unauthenticated",
  FORBIDDEN: "access.forbidden",
  NOT_FOUND: "access.not_found",
} as const;

const STATUS = { UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404 } as const;

export async function noteRefusal(
  ctx: Pick<Context, "db" | "clock" | "principal" | "client">,
  where: string,
  error: AppError,
): Promise<void> {
  if (!(error.code in ACTIONS)) return;
  const code = error.code as keyof typeof ACTIONS;
  // A 404 is only an authorization event when someone signed in was refused a record.
  if (code === "NOT_FOUND" && !ctx.principal) return;
  await recordAggregated(ctx.db, ctx.clock, {
    action: ACTIONS[code],
    actor: actorOf(ctx.principal),
    client: ctx.client,
    group: { status: STATUS[code], reason: error.reason ?? null, procedure: where },
  });
}
