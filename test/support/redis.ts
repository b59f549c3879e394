/**
 * The Redis the shared-limit tests run against (LATCHKEY_TEST_REDIS, default
 * redis://127.0.0.1:6379). Unreachable → a printed skip locally, a failure
 * under CI (CI=true or LATCHKEY_REQUIRE_REDIS=1). Each run writes under its own
 * key prefix, so parallel runs never share counters. Tests that take Redis away
 * start a private one (`startPrivateRedis`): the shared server is never stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, waitUntil, which } from './processes.js';

export const REDIS_URL = process.env.LATCHKEY_TEST_REDIS ?? 'redis://127.0.0.1:6379';
export const REQUIRE_REDIS = process.env.LATCHKEY_REQUIRE_REDIS === '1' || process.env.CI === 'true';

/** True when Redis answers PING; throws under CI when it does not. */
export async function redisAvailable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
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

/** A redis-server of a test's own, on a port of its own: stop and start it to cause outages. */
export interface PrivateRedis {
  url: string;
  /** Kill it (SIGKILL: an outage, not a goodbye) and wait until it is gone. */
  stop(): Promise<void>;
  /** Start it again on the same port and wait until it answers. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing answers (a frozen server); `thaw()` lets it go on. */
  freeze(): void;
  thaw(): void;
}

/**
 * Start a private Redis (never the shared one on 6379, which other tests use).
 * No redis-server binary: a printed skip (undefined) locally, a failure under CI.
 */
export async function startPrivateRedis(): Promise<PrivateRedis | undefined> {
  const binary = await which('redis-server');
  if (!binary) {
    if (REQUIRE_REDIS) throw new Error('redis-server is required (LATCHKEY_REQUIRE_REDIS/CI) but not installed');
    console.warn('[skip] redis-server not installed: Redis outage tests not run');
    return undefined;
  }
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const answers = async () => {
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  };
  const server: PrivateRedis = {
    url,
    async start() {
      child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await waitUntil(answers, `redis-server on port ${port}`);
    },
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    async stop() {
      child?.kill('SIGCONT');
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const gone = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await gone;
    },
  };
  await server.start();
  return server;
}
