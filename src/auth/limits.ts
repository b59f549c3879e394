/**
 * Rate limits: how many password checks, code requests, code checks,
 * refreshes and sign-ups one account or one address may make in a window.
 *
 * Counting is rate-limiter-flexible's (never hand-rolled): RateLimiterMemory
 * in one process, RateLimiterRedis when REDIS_URL is set so every instance
 * shares the counters. Every Redis call goes through the link's circuit
 * breaker: it waits at most ~100 ms, and while Redis is away or frozen the
 * same limit counts in this process's memory instead (see src/shared/redis.ts). A request is counted *before* the check it
 * guards, atomically, so a burst of parallel guesses cannot slip past the
 * limit; a success gives its point back (`forgive`) or clears the account's
 * counter (`reset`) — what remains is the count of failures.
 *
 * rate-limiter-flexible reads the system clock (and Redis its own), so these
 * windows do not follow the injected Clock: tests use short configured windows.
 *
 * @example
 *   const limits = createLimits({ settings: config.rateLimits, audit });
 *   await limits.take('loginAccount', 'alice@example.com', meta); // throws RATE_LIMITED when over
 *   await limits.reset('loginAccount', 'alice@example.com');       // after a success
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Rate, RateLimits } from '../config.js';
import type { Breaker } from '../shared/breaker.js';
import type { Audit, RequestMeta } from './audit.js';
import { AuthError } from './errors.js';

export type LimitName = keyof RateLimits;

export interface Limits {
  /**
   * Count one attempt against `key`; throws AuthError('RATE_LIMITED', …, { retryAfter })
   * when the limit is already spent. A null key (no client address: the CLI) is not limited.
   */
  take(name: LimitName, key: string | null, meta: RequestMeta, userId?: string | null): Promise<void>;
  /** Give back the point a successful attempt took. */
  forgive(name: LimitName, key: string | null): Promise<void>;
  /** Forget every attempt counted against `key` (a successful login clears its account). */
  reset(name: LimitName, key: string | null): Promise<void>;
  /**
   * Forget `key`'s count everywhere it may be kept — Redis and this process's memory (where it
   * counted while Redis was skipped): an admin unlocking an account (`unlockUser`).
   */
  clear(name: LimitName, key: string): Promise<void>;
}

// Emails (and addresses) are personal data: Redis only ever sees a digest.
const digest = (key: string) => createHash('sha256').update(key.toLowerCase()).digest('base64url').slice(0, 27);

const seconds = (ms: number) => ms / 1000;

/** A limit counted in Redis (shared) and, while Redis is skipped, in this process's memory. */
interface Limiter {
  memory: RateLimiterAbstract;
  redis?: RateLimiterAbstract;
}

function limiter(name: LimitName, rate: Rate, redis: Redis | undefined, prefix: string): Limiter {
  const memory = new RateLimiterMemory({
    keyPrefix: `${prefix}:rl:${name}`,
    points: rate.points,
    duration: seconds(rate.durationMs),
  });
  if (!redis) return { memory };
  return {
    memory,
    redis: new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:rl:${name}`,
      points: rate.points,
      // Redis expiry is in whole seconds.
      duration: Math.max(1, Math.ceil(seconds(rate.durationMs))),
      // Not connected: fail at once, and the breaker falls back to memory.
      rejectIfRedisNotReady: true,
    }),
  };
}

/** "Over the limit" is Redis answering, not Redis failing. */
const isOutage = (e: unknown) => !(e instanceof RateLimiterRes);

export function createLimits({
  settings,
  audit,
  redis,
  prefix = 'latchkey',
}: {
  settings: RateLimits;
  audit: Audit;
  /** An ioredis client and its breaker (src/shared/redis.ts, closed by its owner): counters are then shared by every instance. */
  redis?: { client: Redis; breaker: Breaker };
  prefix?: string;
}): Limits {
  const limiters = Object.fromEntries(
    (Object.keys(settings) as LimitName[]).map((name) => [name, limiter(name, settings[name], redis?.client, prefix)]),
  ) as Record<LimitName, Limiter>;
  /** `op` on the shared counter, or on the local one while Redis is skipped. */
  const counted = <T>(name: LimitName, op: (l: RateLimiterAbstract) => Promise<T>): Promise<T> => {
    const { memory, redis: shared } = limiters[name];
    if (!shared || !redis) return op(memory);
    return redis.breaker.run(
      () => op(shared),
      () => op(memory),
      isOutage,
    );
  };

  return {
    async take(name, key, meta, userId = null) {
      if (key === null) return;
      try {
        await counted(name, (l) => l.consume(digest(key)));
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        const retryAfter = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
        // One audit row per window and key, not one per refused request: a flood must not flood the table.
        if (e.consumedPoints === settings[name].points + 1)
          await audit.record('rate_limited', userId, meta, { limit: name, retryAfter });
        throw new AuthError('RATE_LIMITED', `Too many attempts; try again in ${retryAfter} s`, { retryAfter });
      }
    },
    async forgive(name, key) {
      if (key !== null) await counted(name, (l) => l.reward(digest(key), 1));
    },
    async reset(name, key) {
      if (key !== null) await counted(name, (l) => l.delete(digest(key)));
    },
    async clear(name, key) {
      const { memory, redis: shared } = limiters[name];
      await memory.delete(digest(key));
      // Through the breaker like every Redis call: an unlock during an outage clears what it can reach.
      if (shared && redis)
        await redis.breaker.run(
          () => shared.delete(digest(key)),
          async () => {
            throw new AuthError('SERVICE_UNAVAILABLE', 'Redis is unreachable: the shared limits could not be cleared', {
              retryAfter: 1,
            });
          },
        );
    },
  };
}

/** No limits at all (services built without a Limits, e.g. unit tests). */
export const noLimits: Limits = {
  take: async () => {},
  forgive: async () => {},
  reset: async () => {},
  clear: async () => {},
};
