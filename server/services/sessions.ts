import { and, desc, eq, ne, sql } from "drizzle-orm";
import type { Db, Executor } from "@/db";
import { preparedOnce } from "@/db/prepared";
import { type SessionRow, sessions, type UserRow, users } from "@/db/schema";
import { storageFailureOf } from "@/db/storage-errors";
import type { ClientInfo } from "../auth/principal";
import type { Clock } from "../clock";
import { newId } from "../ids";
import { getLogger } from "../logger";

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
}

/** last_seen_at is written at most this often per session: no write on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export function createSession(tx: Executor, clock: Clock, policy: SessionPolicy, userId: string, client: ClientInfo) {
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
  tx.insert(sessions).values(row).run();
  return row;
}

export type ActiveSession = { session: SessionRow; user: UserRow };

/**
 * The server-side half of every cookie check: the session row must exist,
 * be within both the absolute and the idle timeout, and belong to an enabled
 * user. Expired rows are removed as they are found.
 */
export function resolveSession(db: Db, clock: Clock, policy: SessionPolicy, sessionId: string): ActiveSession | null {
  // Every dashboard call runs this: built once per connection (db/prepared.ts).
  const found = preparedOnce(db, "sessions.withUser", () =>
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
    bookkeeping(() => db.delete(sessions).where(eq(sessions.id, sessionId)).run());
    return null;
  }
  if (found.user.disabledAt) return null;
  if (now - found.session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    bookkeeping(() =>
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
function bookkeeping(write: () => unknown): void {
  try {
    write();
  } catch (error) {
    const failure = storageFailureOf(error);
    if (!failure) throw error;
    getLogger().warn({ err: { code: failure.code } }, "could not record session activity");
  }
}

export function endSession(tx: Executor, sessionId: string): boolean {
  return tx.delete(sessions).where(eq(sessions.id, sessionId)).run().changes > 0;
}

/** Ends every session of a user, optionally keeping the one making the request. Returns how many ended. */
export function endUserSessions(tx: Executor, userId: string, keepSessionId?: string): number {
  const where = keepSessionId
    ? and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId))
    : eq(sessions.userId, userId);
  return tx.delete(sessions).where(where).run().changes;
}

export function listUserSessions(db: Executor, userId: string): SessionRow[] {
  return db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.lastSeenAt)).all();
}
