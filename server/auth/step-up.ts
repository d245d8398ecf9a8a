import { eq } from "drizzle-orm";
import type { Executor } from "@/db";
import { sessions } from "@/db/schema";
import type { Clock } from "../clock";
import { AppError } from "../errors";
import { hasSecondFactor } from "../services/second-factors";
import type { Principal } from "./principal";

/**
 * Step-up: the dangerous actions (raising a role, creating an admin-scoped
 * token, rotating encryption or signing keys, deleting an OAuth client,
 * disabling another admin) want a second-factor check within the last ten
 * minutes — at sign-in, or again through account.stepUp — so a session
 * left open on a desk, or a stolen cookie, cannot do them.
 *
 * Session principals only. A bearer credential (API token, OAuth access
 * token) has no second factor to show; it is a credential an admin made on
 * purpose, with its own scopes, expiry and audit trail, so REST callers and
 * automation are not affected.
 *
 * A session whose user has no second factor at all (possible only with
 * ADMIN_2FA=optional, where the operator chose that) has nothing to step up
 * with and passes; with the default (required) every admin has one.
 */
export const STEP_UP_WINDOW_MS = 10 * 60_000;

export interface StepUpContext {
  db: Executor;
  clock: Clock;
  principal: Principal | null;
}

/** When the session last passed a check, or null. */
export async function lastSecondFactorCheck(db: Executor, sessionId: string): Promise<Date | null> {
  return (
    (await db.select({ at: sessions.secondFactorAt }).from(sessions).where(eq(sessions.id, sessionId)).get())?.at ??
    null
  );
}

export async function stepUpSatisfied(ctx: StepUpContext): Promise<boolean> {
  const principal = ctx.principal;
  if (principal?.kind !== "session") return true;
  const at = await lastSecondFactorCheck(ctx.db, principal.sessionId);
  if (at && ctx.clock.now().getTime() - at.getTime() < STEP_UP_WINDOW_MS) return true;
  return !(await hasSecondFactor(ctx.db, principal.userId));
}

/** Throws 403 `step_up_required` unless the session passed a second-factor check within the window. */
export async function requireStepUp(ctx: StepUpContext): Promise<void> {
  if (await stepUpSatisfied(ctx)) return;
  throw new AppError(
    "FORBIDDEN",
    "Confirm with your second factor first (a check within the last 10 minutes is needed)",
    "step_up_required",
  );
}

/** A token that can administer (scope `admin`) is a step-up action to create, for oneself or for another. */
export async function requireStepUpForScopes(ctx: StepUpContext, scopes: readonly string[]): Promise<void> {
  if (scopes.includes("admin")) await requireStepUp(ctx);
}
