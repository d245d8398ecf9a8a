import { AsyncLocalStorage } from "node:async_hooks";

/**
 * How a refused password sign-in reaches the HTTP answer. NextAuth owns the
 * credentials callback: authorize() can only return a user or null, and
 * NextAuth then writes its own response. So the route wrapper
 * (server/http/sign-in-throttle.ts) runs NextAuth's handler inside a slot of
 * this AsyncLocalStorage, authorize() reports a lockout or a store outage
 * into it, and the wrapper turns NextAuth's response into 429 or 503
 * afterwards. Outside the wrapper (tests, other callers) a report goes nowhere.
 */
export type SignInRefusal = { kind: "locked"; retryAfterSeconds: number } | { kind: "unavailable" };

interface Slot {
  refusal: SignInRefusal | null;
}

const slots = new AsyncLocalStorage<Slot>();

export function reportSignInRefusal(refusal: SignInRefusal): void {
  const slot = slots.getStore();
  if (slot) slot.refusal = refusal;
}

/** Runs `fn` with a fresh slot and returns what it reported, if anything. */
export async function collectSignInRefusal<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; refusal: SignInRefusal | null }> {
  const slot: Slot = { refusal: null };
  const value = await slots.run(slot, fn);
  return { value, refusal: slot.refusal };
}
