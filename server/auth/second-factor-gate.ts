import type { Executor } from "@/db";
import type { Role } from "@/db/schema";
import { type Config, DEFAULT_SECOND_FACTORS } from "../config";
import { hasSecondFactor } from "../services/second-factors";

/**
 * ADMIN_2FA=required (the default): an admin without a confirmed second
 * factor may only enrol one. Checked when a session becomes a principal, so
 * the answer is as fresh as the request (enrolling counts on the next one).
 * Members are never held to it; they may enrol of their own accord.
 */
export async function mustEnrolSecondFactor(
  db: Executor,
  config: Pick<Config, "secondFactors">,
  user: { id: string; role: Role },
): Promise<boolean> {
  const policy = config.secondFactors ?? DEFAULT_SECOND_FACTORS;
  return user.role === "admin" && policy.admin === "required" && !(await hasSecondFactor(db, user.id));
}

/** Where an admin without a factor is sent to enrol one (the account page's second-factor section). */
export const ENROL_PAGE = "/account#second-factors";
