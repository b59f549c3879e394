/**
 * Rate limits shared through Redis (REDIS_URL): two server instances count
 * the same failures, so rotating between instances and addresses gains an
 * attacker nothing. Runs against the real Redis on 127.0.0.1:6379 under a
 * key prefix of its own.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, dropRedisPrefix, redisAvailable, startPrivateRedis, uniqueRedisPrefix } from '../support/redis.js';
import { pglite } from '../support/databases.js';
import { LOGIN, TEST_PASSWORD, registerUser, suiteServer, uniqueEmail } from '../support/server.js';

const available = await redisAvailable();
const REQUEST = `mutation($email: String!) { requestOtp(email: $email) }`;

describe.runIf(available)('rate limits shared through Redis', () => {
  const prefix = uniqueRedisPrefix();
  // Declared first, so run last: after both servers closed.
  afterAll(async () => {
    await dropRedisPrefix(prefix);
  });
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, TRUST_PROXY: 'true' };
  // Two instances; each has its own database, the counters are what they share.
  const a = suiteServer(pglite, { env });
  const b = suiteServer(pglite, { env });

  let ip = 0;
  const from = () => ({ headers: { 'x-forwarded-for': `203.0.113.${++ip}` } });

  it('refuses an account on every instance after 10 failures spread over both', async () => {
    const alice = a.client();
    const { email } = await registerUser(alice);
    for (let i = 0; i < 10; i++) {
      const server = i % 2 ? b : a;
      expect((await server.client().gql(LOGIN, { email, password: `wrong ${i}` }, from())).code).toBe(
        'INVALID_CREDENTIALS',
      );
    }
    for (const server of [a, b]) {
      const res = await server.client().gql(LOGIN, { email, password: TEST_PASSWORD }, from());
      expect(res.code).toBe('RATE_LIMITED');
      expect(res.body.errors![0].extensions!.retryAfter).toBeGreaterThan(0);
    }
  });

  it('keeps its counters in Redis under the configured prefix, with personal data hashed', async () => {
    const email = uniqueEmail('keys');
    await a.client().gql(REQUEST, { email }, from());
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}:*`);
      expect(keys.some((k) => k.startsWith(`${prefix}:rl:otpRequestEmail:`))).toBe(true);
      expect(keys.some((k) => k.includes(email) || k.includes('203.0.113.'))).toBe(false);
      const ttl = await redis.pttl(keys.find((k) => k.startsWith(`${prefix}:rl:otpRequestEmail:`))!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    } finally {
      redis.disconnect();
    }
  });

  it('limits code requests per email across instances', async () => {
    const email = uniqueEmail('otp');
    for (let i = 0; i < 5; i++)
      expect((await (i % 2 ? b : a).client().gql(REQUEST, { email }, from())).code).toBeUndefined();
    expect((await a.client().gql(REQUEST, { email }, from())).code).toBe('RATE_LIMITED');
    expect((await b.client().gql(REQUEST, { email }, from())).code).toBe('RATE_LIMITED');
  });

  it('resets the shared account counter on a success at either instance', async () => {
    // The instances have databases of their own here: the account exists on both.
    const { email } = await registerUser(a.client());
    await registerUser(b.client(), { email });
    for (let i = 0; i < 9; i++) await a.client().gql(LOGIN, { email, password: 'nope nope nope' }, from());
    expect((await b.client().gql(LOGIN, { email, password: TEST_PASSWORD }, from())).body.errors).toBeUndefined();
    for (let i = 0; i < 9; i++)
      expect((await a.client().gql(LOGIN, { email, password: 'nope nope nope' }, from())).code).toBe(
        'INVALID_CREDENTIALS',
      );
  });
});

/**
 * A Redis that goes away: a private redis-server on a port of its own (never
 * the shared one), stopped mid-test. The limits must keep limiting.
 */
const redis = available ? await startPrivateRedis() : undefined;

describe.runIf(redis)('rate limits when Redis goes away', () => {
  const t = suiteServer(pglite, () => ({ env: { REDIS_URL: redis!.url, REDIS_KEY_PREFIX: uniqueRedisPrefix() } }));
  // Declared after the server, so run before it closes.
  afterAll(async () => {
    await redis?.stop();
  });

  it('keeps refusing an account after 10 failures with Redis down (in-memory insurance)', async () => {
    await redis!.stop();
    const email = uniqueEmail('outage');
    for (let i = 0; i < 10; i++)
      expect((await t.client().gql(LOGIN, { email, password: `wrong ${i}` })).code).toBe('INVALID_CREDENTIALS');
    expect((await t.client().gql(LOGIN, { email, password: 'wrong again' })).code).toBe('RATE_LIMITED');
  });
});
