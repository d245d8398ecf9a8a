/** Time source for everything that expires; tests pass a fixed or advancing clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(start: Date | number): Clock & { advance(ms: number): void; set(t: Date | number): void } {
  let t = typeof start === "number" ? start : start.getTime();
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
    set: (v) => {
      t = typeof v === "number" ? v : v.getTime();
    },
  };
}
