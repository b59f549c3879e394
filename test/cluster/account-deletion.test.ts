/**
 * Deleting an account (API.md §10.1) ends its sessions on every instance at once: through Redis
 * with the database poll off, and — with no Redis — through the database poll, which still finds
 * the deleted account's revoked session rows (docs/decisions.md). `GET /revocations` lists them
 * for other services. Separate processes on one PostgreSQL database.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DELETE_ACCOUNT } from '../support/accounts.js';
import { type Cluster, suiteCluster, viewerCheck } from '../support/cluster.js';
import { postgresAvailable } from '../support/databases.js';
import { REDIS_URL, dropRedisPrefix, redisAvailable, uniqueRedisPrefix } from '../support/redis.js';
import { TEST_PASSWORD, LOGIN, jwtPayload, registerUser } from '../support/server.js';

const pg = await postgresAvailable('cluster account deletion tests');
const redis = pg && (await redisAvailable());
const FEED_TOKEN = 'a feed token of at least thirty-two characters';

/** Every instance refuses `token` as revoked (a deadline, not a measurement). */
const refusedEverywhere = (cluster: Cluster, token: string) =>
  Promise.all(
    cluster.instances.map((i) =>
      vi.waitUntil(async () => (await viewerCheck(i, token)) === 'TOKEN_REVOKED', { timeout: 10_000, interval: 50 }),
    ),
  );

/** A user signed in on A and on B; their access tokens. */
async function signedInTwice(cluster: Cluster) {
  const [a, b] = cluster.instances;
  const client = a.client();
  const { email } = await registerUser(client);
  const onB = (await b.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.data.login.accessToken as string;
  expect(await viewerCheck(b, client.token!)).toBe('ok');
  return { client, onA: client.token!, onB };
}

describe.runIf(redis)('account deletion across instances through Redis', () => {
  const prefix = uniqueRedisPrefix();
  afterAll(async () => {
    await dropRedisPrefix(prefix);
  });
  const cluster = suiteCluster({
    size: 2,
    env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, REVOCATION_POLL_INTERVAL: '0' },
  });

  it('refuses every token of the account on every instance, though no instance polls the database', async () => {
    const { client, onA, onB } = await signedInTwice(cluster);
    expect((await client.gql(DELETE_ACCOUNT)).body.data.deleteAccount).toBe(true);
    await refusedEverywhere(cluster, onA);
    await refusedEverywhere(cluster, onB);
  });
});

describe.runIf(pg)('account deletion across instances without Redis', () => {
  const cluster = suiteCluster({ size: 2, env: { REVOCATION_FEED_TOKEN: FEED_TOKEN } });

  it('reaches the other instance through the database poll, and the revocation feed lists the sessions', async () => {
    const { client, onA, onB } = await signedInTwice(cluster);
    expect((await client.gql(DELETE_ACCOUNT)).body.data.deleteAccount).toBe(true);
    await refusedEverywhere(cluster, onA);
    await refusedEverywhere(cluster, onB);
    const feed = await fetch(`${cluster.instances[1].url}/revocations`, {
      headers: { authorization: `Bearer ${FEED_TOKEN}` },
    });
    const sids = ((await feed.json()) as { revocations: { sid: string }[] }).revocations.map((r) => r.sid);
    expect(sids).toEqual(expect.arrayContaining([jwtPayload(onA).sid, jwtPayload(onB).sid]));
  });
});
