import { and, desc, eq, gte, inArray } from "drizzle-orm";
import { decode } from "next-auth/jwt";
import { auditLog } from "@/db/schema";
import type { Runtime } from "../runtime";
import { sessionStanding } from "../services/sessions";
import { readCookie, sessionCookieName } from "./session-cookie";

/**
 * Why someone is on the sign-in page, as one line of fixed text. The
 * `reason` query parameter is only a hint that picks a line from this table
 * (never echoed); when the browser still holds the cookie of a session that
 * is gone, the server says why itself (signInReasonFromCookie), which a
 * stranger without that cookie cannot ask for.
 */
export const SIGN_IN_REASONS = {
  expired: "Your session expired. Sign in again to continue.",
  ended: "Your session was ended by an administrator. Sign in again to continue.",
  ended_elsewhere: "Your session was ended from another of your sessions. Sign in again to continue.",
  signed_out: "You have signed out.",
  password_changed: "Your password was changed, which ended this session. Sign in with the new password.",
} as const;

export type SignInReason = keyof typeof SIGN_IN_REASONS;

export function isSignInReason(value: unknown): value is SignInReason {
  return typeof value === "string" && Object.hasOwn(SIGN_IN_REASONS, value);
}

/** The URL's hint, if it names a line of the table; anything else says nothing. */
export function signInReasonHint(value: unknown): SignInReason | null {
  const raw = Array.isArray(value) ? value[0] : value;
  return isSignInReason(raw) ? raw : null;
}

/** The audited actions that end a user's sessions, each read as the reason a session of theirs is gone. */
const ENDING_ACTIONS = [
  "session.end",
  "session.end_all",
  "session.end_others",
  "user.disable",
  "user.password_reset",
  "user.password_change",
  "user.revoke_all",
] as const;

/**
 * For the holder of a session cookie whose session is no longer alive: why.
 * A row past its idle or absolute limit: expired. A row that is gone: the
 * newest audited action since the session began that ended the user's
 * sessions says who did it (the user from elsewhere, an administrator, a
 * password change); none means it was removed as expired. Null: no cookie,
 * one that does not decode, or a live session.
 */
export async function signInReasonFromCookie(
  headers: Headers,
  runtime: Pick<Runtime, "config" | "db" | "clock">,
): Promise<SignInReason | null> {
  const { config, db, clock } = runtime;
  const name = sessionCookieName(config.secure);
  const raw = readCookie(headers.get("cookie"), name);
  if (!raw || raw.length > 4096) return null;
  let sid: string;
  let sub: string | null;
  let issuedAt: number;
  try {
    const payload = await decode({ token: raw, secret: config.authSecret, salt: name });
    if (typeof payload?.sid !== "string") return null;
    sid = payload.sid;
    sub = typeof payload.sub === "string" ? payload.sub : null;
    issuedAt = typeof payload.iat === "number" ? payload.iat * 1000 : 0;
  } catch {
    return null;
  }
  const standing = await sessionStanding(db, clock, config.session, sid);
  if (standing === "active") return null;
  if (standing === "expired" || !sub) return "expired";
  const event = (
    await db
      .select({ action: auditLog.action, actorId: auditLog.actorId, detail: auditLog.detail })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.targetType, "user"),
          eq(auditLog.targetId, sub),
          inArray(auditLog.action, [...ENDING_ACTIONS]),
          eq(auditLog.outcome, "success"),
          gte(auditLog.at, new Date(issuedAt - 1000)),
        ),
      )
      .orderBy(desc(auditLog.seq))
      .limit(20)
      .all()
  )
    // One session ended by id names that id: another session's end says nothing about this one.
    .find((e) => e.action !== "session.end" || e.detail?.sessionId === sid);
  if (!event) return "expired";
  if (event.action === "user.password_change" || event.action === "user.password_reset") return "password_changed";
  return event.actorId === sub ? "ended_elsewhere" : "ended";
}
