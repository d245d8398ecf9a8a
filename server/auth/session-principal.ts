import type { Runtime } from "../runtime";
import { resolveSession } from "../services/sessions";
import type { Principal } from "./principal";
import { ROLE_SCOPES } from "./scopes";
import { mustEnrolSecondFactor } from "./second-factor-gate";
import { readSessionId } from "./session-cookie";

/** Session cookie -> live session row -> principal; null when any link is missing. */
export async function principalFromSessionCookie(
  headers: Headers,
  runtime: Pick<Runtime, "config" | "db" | "clock">,
): Promise<Principal | null> {
  const { config, db, clock } = runtime;
  const sessionId = await readSessionId(headers, config.authSecret, config.secure);
  const active = await (sessionId ? resolveSession(db, clock, config.session, sessionId) : null);
  if (!active) return null;
  return {
    kind: "session",
    userId: active.user.id,
    email: active.user.email,
    role: active.user.role,
    scopes: ROLE_SCOPES[active.user.role],
    sessionId: active.session.id,
    mustChangePassword: active.user.mustChangePassword,
    mustEnrolSecondFactor: await mustEnrolSecondFactor(db, config, active.user),
  };
}
