import type { LimitStore } from "../store";

/** A store that is down: every call fails the way a refused connection does. */
export function failingStore(): LimitStore {
  const fail = async (): Promise<never> => {
    throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
  };
  return {
    kind: "redis",
    consume: fail,
    reserveAttempt: fail,
    settleAttempt: fail,
    locksOf: fail,
    unlock: fail,
    listLocks: fail,
    recordRejection: fail,
    topRejections: fail,
    ping: fail,
    close: async () => {},
  };
}

/** A store that hangs: no call ever answers (a stalled Redis). */
export function hangingStore(): LimitStore {
  const hang = (): Promise<never> => new Promise(() => {});
  return {
    kind: "redis",
    consume: hang,
    reserveAttempt: hang,
    settleAttempt: hang,
    locksOf: hang,
    unlock: hang,
    listLocks: hang,
    recordRejection: hang,
    topRejections: hang,
    ping: hang,
    close: async () => {},
  };
}
