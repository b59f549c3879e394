/**
 * Revocations across instances (API.md §4.5): a session ended on one
 * instance is refused by every instance. With REDIS_URL the news travels by
 * pub/sub; the database poll is switched off here (REVOCATION_POLL_INTERVAL=0)
 * wherever a test must show that Redis, and only Redis, carried it. Then
 * Redis goes away (a private redis-server, never the shared one): the
 * instances keep serving with local limits and revocations, log one
 * warning, and resync from the database when it returns.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type Cluster, suiteCluster, tokenCheck, viewerCheck } from '../support/cluster.js';
import { postgresAvailable } from '../support/databases.js';
import { REDIS_URL, dropRedisPrefix, redisAvailable, startPrivateRedis, uniqueRedisPrefix } from '../support/redis.js';
import { LOGIN, REFRESH, TEST_PASSWORD, jwtPayload, registerUser } from '../support/server.js';
import { perSuite } from '../support/suite.js';

const ready = (await postgresAvailable('cluster revocation tests')) && (await redisAvailable());

/** Wait until `instance` refuses `token` as revoked (a deadline, not a measurement). */
const refusedBy = (cluster: Cluster, token: string) =>
  Promise.all(
    cluster.instances.map((i) =>
      vi.waitUntil(async () => (await viewerCheck(i, token)) === 'TOKEN_REVOKED', { timeout: 10_000, interval: 50 }),
    ),
  );

describe.runIf(ready)('revocations fan out through Redis', () => {
  const prefix = uniqueRedisPrefix();
  // Declared first, so run last: after the cluster closed.
  afterAll(async () => {
    await dropRedisPrefix(prefix);
  });
  const cluster = suiteCluster({
    size: 3,
    env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, REVOCATION_POLL_INTERVAL: '0' },
  });

  it('refuses a logged-out session on every instance, though no instance polls the database', async () => {
    const [a, b, c] = cluster.instances;
    const { res } = await registerUser(a.client());
    const token = res.body.data.register.accessToken;
    expect([await viewerCheck(b, token), await viewerCheck(c, token)]).toEqual(['ok', 'ok']);

    expect((await a.client().gql('mutation { logout }', undefined, { token })).body.data.logout).toBe(true);
    await refusedBy(cluster, token);
    expect(await tokenCheck(c, token)).toBe('TOKEN_REVOKED');
  });

  it('carries revokeSession and a password change made on other instances', async () => {
    const [a, b, c] = cluster.instances;
    const { email, res } = await registerUser(a.client());
    const first = res.body.data.register.accessToken;
    const second = (await c.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.data.login.accessToken;
    const third = (await a.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.data.login.accessToken;

    // On B, the user ends the session they opened on A.
    const sessions = (await b.client().gql('{ mySessions { id current } }', undefined, { token: second })).body.data
      .mySessions;
    const firstSid = jwtPayload(first).sid;
    expect(sessions.map((s: { id: string }) => s.id)).toContain(firstSid);
    expect(
      (await b.client().gql('mutation($id: ID!) { revokeSession(id: $id) }', { id: firstSid }, { token: second })).body
        .data.revokeSession,
    ).toBe(true);
    await refusedBy(cluster, first);

    // On C, a password change ends every other session (the one opened last on A among them).
    const change = await c
      .client()
      .gql(
        'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
        { c: TEST_PASSWORD, n: 'another long passphrase' },
        { token: second },
      );
    expect(change.body.data.changePassword).toBe(true);
    await refusedBy(cluster, third);
    expect(await viewerCheck(a, second)).toBe('ok');
  });

  it('ignores what is not a revocation on its channel, and goes on carrying real ones', async () => {
    const [a, b] = cluster.instances;
    const { res } = await registerUser(a.client());
    const token = res.body.data.register.accessToken;
    const publisher = new Redis(REDIS_URL);
    try {
      for (const junk of ['not json', '{"ids":"nope","until":1}', '{"ids":[1,2],"until":"soon"}', '[]', 'null']) {
        await publisher.publish(`${prefix}:revocations`, junk);
      }
    } finally {
      publisher.disconnect();
    }
    expect(await viewerCheck(b, token)).toBe('ok');
    await a.client().gql('mutation { logout }', undefined, { token });
    await refusedBy(cluster, token);
  });

  it('carries an admin revoke made with the command line', async () => {
    const { email, res } = await registerUser(cluster.instances[1].client());
    const token = res.body.data.register.accessToken;
    expect(await cluster.latchkey('sessions', 'revoke', '--email', email)).toMatch(/revoked 1 session/);
    await refusedBy(cluster, token);
  });
});

describe.runIf(ready)('when Redis goes away', () => {
  const redis = perSuite(
    async () => (await startPrivateRedis())!,
    (r) => r.stop(),
  );
  const cluster = suiteCluster(() => ({
    size: 3,
    env: {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniqueRedisPrefix(),
      LOG_LEVEL: 'info',
      RATE_LIMIT_LOGIN_ACCOUNT: '3/10m',
    },
    // A and B rely on Redis alone; C also polls the database, as every instance does by default.
    envOf: (i): Record<string, string> => (i < 2 ? { REVOCATION_POLL_INTERVAL: '0' } : {}),
  }));

  it('keeps serving with local limits and revocations, warns once, and resyncs when Redis returns', async () => {
    const [a, b, c] = cluster.instances;
    const alice = await registerUser(a.client());
    const bob = await registerUser(a.client());
    await redis.stop();
    for (const instance of [a, b, c])
      await vi.waitUntil(() => instance.logged(/Redis unreachable/).length, { timeout: 15_000, interval: 50 });
    // An instance (re)started meanwhile starts all the same: Redis helps, it is not needed to serve.
    await b.kill('SIGKILL');
    await b.start();

    // Serving: sign-in, refresh and me work on every instance.
    for (const instance of [a, b, c]) {
      const login = await instance.client().gql(LOGIN, { email: bob.email, password: TEST_PASSWORD });
      expect(login.body.errors).toBeUndefined();
      const refreshed = await instance.client().gql(REFRESH, { refreshToken: login.body.data.login.refreshToken });
      expect(refreshed.body.errors).toBeUndefined();
      expect(await viewerCheck(instance, refreshed.body.data.refreshToken.accessToken)).toBe('ok');
    }

    // Local limits: three failures on A, then A refuses even the right password.
    const email = alice.email;
    for (let i = 0; i < 3; i++)
      expect((await a.client().gql(LOGIN, { email, password: `wrong ${i}` })).code).toBe('INVALID_CREDENTIALS');
    expect((await a.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('RATE_LIMITED');

    // Local revocation: A refuses at once; C learns it from the database; B (no poll, no Redis) cannot yet.
    const token = alice.res.body.data.register.accessToken;
    expect((await a.client().gql('mutation { logout }', undefined, { token })).body.data.logout).toBe(true);
    expect(await viewerCheck(a, token)).toBe('TOKEN_REVOKED');
    await vi.waitUntil(async () => (await viewerCheck(c, token)) === 'TOKEN_REVOKED', {
      timeout: 15_000,
      interval: 50,
    });
    expect(await viewerCheck(b, token)).toBe('ok');

    // Redis returns: B reloads recent revocations from the database, and pub/sub works again.
    await redis.start();
    await vi.waitUntil(async () => (await viewerCheck(b, token)) === 'TOKEN_REVOKED', {
      timeout: 15_000,
      interval: 50,
    });
    for (const instance of [a, b])
      await vi.waitUntil(() => instance.logged(/Redis reachable again/, 30 /* info */).length, {
        timeout: 15_000,
        interval: 50,
      });
    // Both ways, including B, which subscribed while Redis was still away.
    for (const [from, to] of [
      [b, a],
      [a, b],
    ]) {
      const later = (await from.client().gql(LOGIN, { email: bob.email, password: TEST_PASSWORD })).body.data.login
        .accessToken;
      await from.client().gql('mutation { logout }', undefined, { token: later });
      await vi.waitUntil(async () => (await viewerCheck(to, later)) === 'TOKEN_REVOKED', {
        timeout: 15_000,
        interval: 50,
      });
    }

    // One warning per process for the whole outage, however many requests it served meanwhile
    // (B has had two processes: the one killed and the one started during the outage).
    expect([a, b, c].map((i) => i.logged(/Redis unreachable/).length)).toEqual([1, 2, 1]);
  });
});
