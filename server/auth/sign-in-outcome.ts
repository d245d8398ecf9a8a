import { AsyncLocalStorage } from "node:async_hooks";

/**
 * How a refused password sign-in reaches the HTTP answer. NextAuth owns the
 * credentials callback: authorize() can only return a user or null, and
 * NextAuth then writes its own response. So the route wrapper
 * (server/http/sign-in-throttle.ts) runs NextAuth's handler inside a slot of
 * this AsyncLocalStorage, authorize() reports a lockout or a store outage
 * into it (and attemptSignIn a database that cannot be used), and the
 * wrapper turns NextAuth's response into 429 or 503 afterwards. Outside the wrapper (tests, other callers) a report goes nowhere.
 */
export type SignInRefusal =
  | { kind: "locked"; retryAfterSeconds: number }
  /** Which dependency could not answer: the rate-limit store (the default) or the database. */
  | { kind: "unavailable"; dependency?: "rate_limit" | "database" };

/** What the answer must do with the pending sign-in cookie (server/auth/pending-sign-in-cookie.ts). */
export type PendingCookieChange = { set: string } | { clear: true };

interface Slot {
  refusal: SignInRefusal | null;
  pending: PendingCookieChange | null;
}

const slots = new AsyncLocalStorage<Slot>();

/**
 * The first report of an attempt wins: attemptSignIn reports what only it
 * can tell apart (the database failing, server/auth/sign-in.ts) before
 * authorize() reports the outcome it sees, which then adds nothing.
 */
export function reportSignInRefusal(refusal: SignInRefusal): void {
  const slot = slots.getStore();
  if (slot && !slot.refusal) slot.refusal = refusal;
}

/**
 * The password step hands the browser a pending sign-in handle, the second
 * step takes it back: authorize() says which, the route wrapper writes the
 * Set-Cookie (NextAuth's authorize() cannot touch the response).
 */
export function reportPendingSignIn(change: PendingCookieChange): void {
  const slot = slots.getStore();
  if (slot) slot.pending = change;
}

/** Runs `fn` with a fresh slot and returns what it reported, if anything. */
export async function collectSignInRefusal<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; refusal: SignInRefusal | null; pending: PendingCookieChange | null }> {
  const slot: Slot = { refusal: null, pending: null };
  const value = await slots.run(slot, fn);
  return { value, refusal: slot.refusal, pending: slot.pending };
}
