/**
 * Time is injected: services take a Clock so expiry is tested without sleeping.
 *
 * Stored times are compared by the database, on its own clock (`clock_timestamp()`):
 * instances whose clocks differ must judge a refresh alike. A test's manual clock is
 * the one exception: statements then take its time (`pinnedTime`), so it still rules.
 *
 * @example
 *   const clock = manualClock(new Date('2030-01-01'));
 *   clock.advance(5 * 60_000);
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A clock that only moves when told to (tests): the database must use its time, not its own. */
  readonly manual?: boolean;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The time a statement must use instead of the database's clock: the manual clock's (ISO),
 * or null — the database's own `clock_timestamp()`, when the statement runs.
 */
export const pinnedTime = (clock: Clock): string | null => (clock.manual ? new Date(clock.now()).toISOString() : null);

export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

/** A clock that only moves when told to (tests). */
export function manualClock(start: number | Date = Date.now()): ManualClock {
  let t = typeof start === 'number' ? start : start.getTime();
  return {
    now: () => t,
    manual: true,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

export interface CorrectedClock extends Clock {
  /** Take a reading of the reference clock: `reference` ms at the local time midway between `sentAt` and `receivedAt`. */
  observe(reference: number, sentAt: number, receivedAt: number): void;
  /** The current correction (reference − local), in ms. */
  offsetMs(): number;
}

/**
 * This machine's clock, corrected to a reference (the database's): every instance of a
 * cluster then stamps tokens and judges expiry on one time, whatever its own clock says.
 * A reading whose round trip took longer than `maxRoundTripMs` (a stalled database) is
 * not trusted and leaves the correction as it was.
 */
export function correctedClock(base: Clock = systemClock, maxRoundTripMs = 1000): CorrectedClock {
  let offset = 0;
  return {
    now: () => base.now() + offset,
    observe(reference, sentAt, receivedAt) {
      if (receivedAt - sentAt > maxRoundTripMs) return;
      offset = reference - (sentAt + receivedAt) / 2;
    },
    offsetMs: () => offset,
  };
}
