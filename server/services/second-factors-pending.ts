import { randomBytes } from "node:crypto";
import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { type PendingSignInRow, pendingSignIns } from "@/db/schema";
import { hashToken } from "../auth/api-token";
import type { Clock } from "../clock";
import { newId } from "../ids";

/**
 * The half-done sign-in between the password and the second factor. The
 * handle is 256 random bits, held by the browser in an HttpOnly cookie
 * (server/auth/pending-sign-in-cookie.ts); only its SHA-256 is stored, so a
 * copy of the database cannot finish anyone's sign-in.
 */

/** Long enough to open an app and type a code, short enough that a stolen handle goes stale. */
export const PENDING_SIGN_IN_MS = 5 * 60_000;
/** Wrong codes one handle takes before it dies (each also counts toward the account's lockout). */
export const PENDING_SIGN_IN_MAX_FAILURES = 5;

const hashOf = (handle: string) => hashToken(`pending-sign-in:${handle}`);

/** A handle looks like this before anything is looked up: 43 base64url characters. */
export function isWellFormedHandle(handle: unknown): handle is string {
  return typeof handle === "string" && /^[A-Za-z0-9_-]{43}$/.test(handle);
}

export async function createPendingSignIn(
  tx: Executor,
  clock: Clock,
  userId: string,
): Promise<{ handle: string; expiresAt: Date }> {
  const handle = randomBytes(32).toString("base64url");
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + PENDING_SIGN_IN_MS);
  // Old, lapsed rows of anyone go as new ones come: the table stays small without a sweeper.
  await tx.delete(pendingSignIns).where(lte(pendingSignIns.expiresAt, now)).run();
  await tx
    .insert(pendingSignIns)
    .values({ id: newId("pendingSignIn"), handleHash: hashOf(handle), userId, createdAt: now, expiresAt })
    .run();
  return { handle, expiresAt };
}

/** The live row a handle names, or null (unknown, forged, expired, used, or killed by wrong codes). */
export async function findPendingSignIn(db: Executor, clock: Clock, handle: unknown): Promise<PendingSignInRow | null> {
  if (!isWellFormedHandle(handle)) return null;
  const row = await db
    .select()
    .from(pendingSignIns)
    .where(and(eq(pendingSignIns.handleHash, hashOf(handle)), gt(pendingSignIns.expiresAt, clock.now())))
    .get();
  return row ?? null;
}

/** One more wrong code; the handle dies at the limit. Returns true while it still lives. */
export async function notePendingFailure(tx: Executor, id: string): Promise<boolean> {
  await tx
    .update(pendingSignIns)
    .set({ failures: sql`${pendingSignIns.failures} + 1` })
    .where(eq(pendingSignIns.id, id))
    .run();
  const removed = (
    await tx
      .delete(pendingSignIns)
      .where(and(eq(pendingSignIns.id, id), sql`${pendingSignIns.failures} >= ${PENDING_SIGN_IN_MAX_FAILURES}`))
      .run()
  ).changes;
  return removed === 0;
}

/** Single use: true for the one caller whose delete removed the row (two racing redemptions: one wins). */
export async function redeemPendingSignIn(tx: Executor, id: string): Promise<boolean> {
  return (await tx.delete(pendingSignIns).where(eq(pendingSignIns.id, id)).run()).changes === 1;
}

export async function setPendingChallenge(tx: Executor, id: string, challenge: string): Promise<void> {
  await tx.update(pendingSignIns).set({ challenge }).where(eq(pendingSignIns.id, id)).run();
}
