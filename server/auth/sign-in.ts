import { z } from "zod";
import type { Runtime } from "../runtime";
import { recordAudit } from "../services/audit";
import { createSession, endSession } from "../services/sessions";
import { findUserByEmail } from "../services/users";
import { verifyPassword } from "./password";
import type { ClientInfo } from "./principal";

const credentialsSchema = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(256),
});

/**
 * Password sign-in. Unknown email, wrong password and disabled account give
 * the same answer (null) after the same work, so the response tells an
 * attacker nothing about which accounts exist. Success creates the server-side
 * session row the cookie will point to. Both outcomes are audited.
 */
export async function signInWithPassword(
  runtime: Runtime,
  credentials: unknown,
  client: ClientInfo,
): Promise<{ userId: string; sessionId: string } | null> {
  const { db, clock, config } = runtime;
  const parsed = credentialsSchema.safeParse(credentials);
  const email = parsed.success ? parsed.data.email.toLowerCase() : null;
  const user = email ? findUserByEmail(db, email) : undefined;
  const passwordOk = await verifyPassword(user?.passwordHash ?? null, parsed.success ? parsed.data.password : "");

  if (!user || !passwordOk || user.disabledAt) {
    db.transaction((tx) =>
      recordAudit(tx, clock, {
        actor: user ? { kind: "user", id: user.id } : { kind: "anonymous", id: null },
        action: "session.login_failed",
        target: user ? { type: "user", id: user.id } : undefined,
        outcome: "failure",
        client,
        detail: {
          // Only what looks like an email: people do type passwords into the email field.
          email: email && /^[^\s@]{1,64}@[^\s@]{1,190}$/.test(email) ? email : "[not an email]",
          reason: !user ? "unknown_user" : !passwordOk ? "wrong_password" : "disabled",
        },
      }),
    );
    return null;
  }

  return db.transaction((tx) => {
    const session = createSession(tx, clock, config.session, user.id, client);
    recordAudit(tx, clock, {
      actor: { kind: "user", id: user.id },
      action: "session.login",
      target: { type: "session", id: session.id },
      client,
    });
    return { userId: user.id, sessionId: session.id };
  });
}

/** Sign-out: the session row goes, so the cookie is dead even if a copy of it survives. */
export function signOutSession(runtime: Runtime, sessionId: string, userId: string | null, client: ClientInfo): void {
  const { db, clock } = runtime;
  db.transaction((tx) => {
    if (!endSession(tx, sessionId)) return;
    recordAudit(tx, clock, {
      actor: userId ? { kind: "user", id: userId } : { kind: "anonymous", id: null },
      action: "session.logout",
      target: { type: "session", id: sessionId },
      client,
    });
  });
}
