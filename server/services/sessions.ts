import { and, desc, eq, ne, sql } from "drizzle-orm";
import type { Db, Executor } from "@/db";
import { preparedOnce } from "@/db/prepared";
import { type SessionRow, sessions, type UserRow, users } from "@/db/schema";
import { storageFailureOf } from "@/db/storage-errors";
import type { ClientInfo } from "../auth/principal";
import type { Clock } from "../clock";
import { notFound } from "../errors";
import { newId } from "../ids";
import { getLogger } from "../logger";
import { recordAudit } from "./audit";
import type { ServiceContext } from "./context";

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
}

/** last_seen_at is written at most this often per session: no write on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export async function createSession(
  tx: Executor,
  clock: Clock,
  policy: SessionPolicy,
  userId: string,
  client: ClientInfo,
) {
  const now = clock.now();
  const row = {
    id: newId("session"),
    userId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + policy.absoluteMs),
    ip: client.ip,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
  };
  await tx.insert(sessions).values(row).run();
  return row;
}

export type ActiveSession = { session: SessionRow; user: UserRow };

/**
 * The server-side half of every cookie check: the session row must exist,
 * be within both the absolute and the idle timeout, and belong to an enabled
 * user. Expired rows are removed as they are found.
 */
export async function resolveSession(
  db: Db,
  clock: Clock,
  policy: SessionPolicy,
  sessionId: string,
): Promise<ActiveSession | null> {
  // Every dashboard call runs this: built once per connection (db/prepared.ts).
  const found = await preparedOnce(db, "sessions.withUser", () =>
    db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, sql.placeholder("sessionId")))
      .prepare(),
  ).get({ sessionId });
  if (!found) return null;
  const now = clock.now().getTime();
  const idleDeadline = found.session.lastSeenAt.getTime() + policy.idleMs;
  if (now >= found.session.expiresAt.getTime() || now >= idleDeadline) {
    await bookkeeping(() => db.delete(sessions).where(eq(sessions.id, sessionId)).run());
    return null;
  }
  if (found.user.disabledAt) return null;
  if (now - found.session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    await bookkeeping(() =>
      db
        .update(sessions)
        .set({ lastSeenAt: new Date(now) })
        .where(eq(sessions.id, sessionId))
        .run(),
    );
  }
  return found;
}

/**
 * A write that only keeps books (the idle clock, removing a dead row): when
 * the database cannot be written (a full disk, a read-only file) the
 * request, a read perhaps, goes on — the next one tries again. Anything
 * else is thrown.
 */
async function bookkeeping(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    const failure = storageFailureOf(error);
    if (!failure) throw error;
    getLogger().warn({ err: { code: failure.code } }, "could not record session activity");
  }
}

export async function endSession(tx: Executor, sessionId: string): Promise<boolean> {
  return (await tx.delete(sessions).where(eq(sessions.id, sessionId)).run()).changes > 0;
}

/** Ends every session of a user, optionally keeping the one making the request. Returns how many ended. */
export async function endUserSessions(tx: Executor, userId: string, keepSessionId?: string): Promise<number> {
  const where = keepSessionId
    ? and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId))
    : eq(sessions.userId, userId);
  return (await tx.delete(sessions).where(where).run()).changes;
}

export async function listUserSessions(db: Executor, userId: string): Promise<SessionRow[]> {
  return await db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.lastSeenAt)).all();
}

/**
 * Where a session stands, read without side effects (resolveSession removes
 * the expired rows it meets, this does not): what the sign-in page and the
 * admin-page gate tell the person whose cookie names it.
 */
export type SessionStanding = "active" | "expired" | "ended";

export async function sessionStanding(
  db: Executor,
  clock: Clock,
  policy: SessionPolicy,
  sessionId: string,
): Promise<SessionStanding> {
  const found = await db
    .select({ session: sessions, disabledAt: users.disabledAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sessionId))
    .get();
  if (!found) return "ended";
  if (found.disabledAt) return "ended";
  const now = clock.now().getTime();
  if (now >= found.session.expiresAt.getTime() || now >= found.session.lastSeenAt.getTime() + policy.idleMs) {
    return "expired";
  }
  return "active";
}

/** One of a user's own sessions, as their account page shows it. */
export interface OwnSession {
  id: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  current: boolean;
}

/**
 * The user's sessions, most recently used first, the current one marked;
 * rows past their absolute limit are left out (a row past its idle limit
 * goes the next time its cookie is seen, and can still be ended here).
 */
export async function listOwnSessions(
  db: Executor,
  clock: Clock,
  userId: string,
  currentSessionId: string,
): Promise<OwnSession[]> {
  const now = clock.now().getTime();
  return (await listUserSessions(db, userId))
    .filter((s) => now < s.expiresAt.getTime())
    .map((s) => ({
      id: s.id,
      ip: s.ip,
      userAgent: s.userAgent,
      createdAt: s.createdAt,
      lastSeenAt: s.lastSeenAt,
      expiresAt: s.expiresAt,
      current: s.id === currentSessionId,
    }));
}

/**
 * A user ends one of their own sessions (the current one included: that is
 * signing out). Another user's session, or one that is gone, is a 404: the
 * same answer, so ids of other people's sessions cannot be probed.
 */
export async function endOwnSession(
  svc: ServiceContext,
  userId: string,
  sessionId: string,
  currentSessionId: string,
): Promise<{ current: boolean }> {
  return await svc.db.transaction(async (tx) => {
    const ended = (
      await tx
        .delete(sessions)
        .where(and(eq(sessions.userId, userId), eq(sessions.id, sessionId)))
        .run()
    ).changes;
    if (ended === 0) throw notFound("Session");
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "session.end",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: { sessionsEnded: ended, sessionId, own: true },
    });
    return { current: sessionId === currentSessionId };
  });
}

/** A user ends every session of theirs but the one making the request. Returns how many ended. */
export async function endOwnOtherSessions(
  svc: ServiceContext,
  userId: string,
  currentSessionId: string,
): Promise<number> {
  return await svc.db.transaction(async (tx) => {
    const ended = await endUserSessions(tx, userId, currentSessionId);
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "session.end_others",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: { sessionsEnded: ended, own: true },
    });
    return ended;
  });
}
