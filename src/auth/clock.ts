/**
 * Time is injected: services take a Clock so expiry is tested without sleeping.
 *
 * @example
 *   const clock = manualClock(new Date('2030-01-01'));
 *   clock.advance(5 * 60_000);
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

/** A clock that only moves when told to (tests). */
export function manualClock(start: number | Date = Date.now()): ManualClock {
  let t = typeof start === 'number' ? start : start.getTime();
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}
