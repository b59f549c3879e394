/**
 * Retrying what the server says is passing: SERVICE_UNAVAILABLE (its database
 * overloaded or away; nothing was done), with backoff and jitter, honouring
 * `retryAfter`. A person is never signed out for it — nor for a network error
 * or a timeout: those leave the session as it was, for a later try.
 *
 * @example
 *   const data = await retrying(() => postGraphQL(...), { retries: 3 });
 */
import { LatchkeyError } from './errors.js';

/** Errors worth trying again at once (after a pause): the server refused before doing anything. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(['SERVICE_UNAVAILABLE']);

export interface RetryOptions {
  /** Further attempts after the first (default 3). */
  retries?: number;
  /** First pause when the server gives no retryAfter (default 250 ms), doubled each time. */
  baseDelayMs?: number;
  /** Longest pause (default 5 s). */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function retrying<T>(
  attempt: () => Promise<T>,
  { retries = 3, baseDelayMs = 250, maxDelayMs = 5000, sleep = pause }: RetryOptions = {},
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (n >= retries || !(e instanceof LatchkeyError) || !RETRYABLE_CODES.has(e.code)) throw e;
      const told = Number(e.extensions.retryAfter) * 1000;
      const backoff = baseDelayMs * 2 ** n;
      // Jitter spreads the clients a busy server turned away, so they do not come back all at once.
      const delay =
        Math.min(maxDelayMs, Math.max(Number.isFinite(told) ? told : 0, backoff)) * (0.8 + Math.random() * 0.4);
      await sleep(delay);
    }
  }
}
