/**
 * The Redis the shared-limit tests run against (LATCHKEY_TEST_REDIS, default
 * redis://127.0.0.1:6379). Unreachable → a printed skip locally, a failure
 * under CI (CI=true or LATCHKEY_REQUIRE_REDIS=1). Each run writes under its own
 * key prefix, so parallel runs never share counters.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.LATCHKEY_TEST_REDIS ?? 'redis://127.0.0.1:6379';
export const REQUIRE_REDIS = process.env.LATCHKEY_REQUIRE_REDIS === '1' || process.env.CI === 'true';

/** True when Redis answers PING; throws under CI when it does not. */
export async function redisAvailable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    if (REQUIRE_REDIS) throw new Error(`Redis is required (LATCHKEY_REQUIRE_REDIS/CI) but unreachable at ${REDIS_URL}`);
    console.warn(`[skip] Redis unreachable at ${REDIS_URL}: shared rate-limit tests not run`);
    return false;
  } finally {
    redis.disconnect();
  }
}

/** A key prefix no other test run uses. */
export const uniqueRedisPrefix = () => `lk-test-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Delete every key under `prefix` (cleanup). */
export async function dropRedisPrefix(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    return keys;
  } finally {
    redis.disconnect();
  }
}
