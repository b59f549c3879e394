/**
 * A circuit breaker for a helper the server can do without (Redis): each call
 * waits at most `timeoutMs`; a call that fails or times out opens the breaker,
 * and for `cooldownMs` every call goes straight to its fallback without trying.
 * After that the next call tries again (and a failure opens it again). So a
 * frozen helper costs one short wait per cooldown, never a wait per request.
 *
 * `onOpen` is told when an outage starts (the first failure after a success),
 * not at each re-opening; `onClose` when a call succeeds again after it.
 *
 * @example
 *   const breaker = createBreaker({ timeoutMs: 100, cooldownMs: 5000, onOpen: (e) => log.warn({ err: e }, 'down') });
 *   const n = await breaker.run(() => redis.incr('k'), () => localCount());
 */
export interface Breaker {
  /**
   * `fn` within the time limit, else `fallback`. An error for which `isFailure` says false
   * (an answer, not an outage — e.g. "over the limit") is thrown on and counts as a success.
   */
  run<T>(fn: () => Promise<T>, fallback: () => T | Promise<T>, isFailure?: (error: unknown) => boolean): Promise<T>;
  /** True while calls skip the helper. */
  isOpen(): boolean;
  /** True from a failure until the next success (the outage, whether or not calls are skipped right now). */
  failing(): boolean;
  /** Forget the outage (the helper is known to be back, e.g. reconnected): the next call tries. */
  reset(): void;
  /** How many times it opened. */
  trips(): number;
}

export interface BreakerOptions {
  timeoutMs: number;
  cooldownMs: number;
  now?: () => number;
  onOpen?: (error: unknown) => void;
  onClose?: () => void;
}

export class BreakerTimeout extends Error {
  override name = 'BreakerTimeout';
}

export function createBreaker({ timeoutMs, cooldownMs, now = Date.now, onOpen, onClose }: BreakerOptions): Breaker {
  let openUntil = 0;
  let failing = false;
  let trips = 0;

  const fail = (error: unknown) => {
    openUntil = now() + cooldownMs;
    trips++;
    if (failing) return;
    failing = true;
    onOpen?.(error);
  };
  const succeed = () => {
    if (!failing) return;
    failing = false;
    openUntil = 0;
    onClose?.();
  };
  const bounded = <T>(fn: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      // Timers run before the poll phase: after an event-loop stall the timer would fire ahead of a
      // reply already waiting in the socket. setImmediate lets pending I/O be read first, so a busy
      // instance does not take its own slowness for the helper's outage.
      timer = setTimeout(
        () => setImmediate(() => reject(new BreakerTimeout(`no answer within ${timeoutMs} ms`))),
        timeoutMs,
      );
    });
    return Promise.race([fn(), late]).finally(() => clearTimeout(timer));
  };

  return {
    async run(fn, fallback, isFailure = () => true) {
      if (now() < openUntil) return fallback();
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await bounded(fn);
      } catch (e) {
        if (!isFailure(e)) {
          succeed();
          throw e;
        }
        fail(e);
        return fallback();
      }
      succeed();
      return result;
    },
    isOpen: () => now() < openUntil,
    failing: () => failing,
    reset() {
      openUntil = 0;
      failing = false;
    },
    trips: () => trips,
  };
}
