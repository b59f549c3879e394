/**
 * Commits that hang: PostgreSQL with `synchronous_commit` on and a synchronous standby named that
 * never connects (a replica gone), so every commit waits after its statement ran. A rotation
 * caught there is stamped before the hang and commits when it ends, with a successor nobody
 * received: its client gave up and retried, on both instances, for longer than the grace. After
 * the hang the retry is answered with that very successor — nobody is signed out — because the
 * instances saw the stall (stallWitness.ts); by the grace alone it would be a replay.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { suiteCluster } from '../support/cluster.js';
import { startPrivatePostgres } from '../support/databases.js';
import { impatientRefresh, signUpUsers } from '../support/load.js';
import { waitUntil } from '../support/processes.js';
import { jwtPayload } from '../support/server.js';

const postgres = await startPrivatePostgres({ settings: ['synchronous_commit=on'] });

const GRACE_S = 3;
/** What the client waits for an answer before it gives up and sends the same token again. */
const PATIENCE_MS = 400;

describe.runIf(postgres)('commits hanging for longer than the grace', () => {
  const pg = postgres!;
  afterAll(async () => {
    await pg.destroy();
  });
  const cluster = suiteCluster(() => ({
    size: 2,
    databaseUrl: pg.url,
    env: { REFRESH_REUSE_GRACE: `${GRACE_S}s`, DATABASE_QUERY_TIMEOUT: '1s', DATABASE_POOL_TIMEOUT: '1s' },
  }));

  /** Name the synchronous standbys ('' for none), and wait until the server has taken it. */
  async function standbys(names: string) {
    await cluster.query(`alter system set synchronous_standby_names = '${names}'`);
    await cluster.query('select pg_reload_conf()');
    await waitUntil(
      async () => (await cluster.query('show synchronous_standby_names'))[0].synchronous_standby_names === names,
      'the server to reload its settings',
    );
  }
  const hungCommits = async () =>
    (await cluster.query(`select count(*)::int as n from pg_stat_activity where wait_event = 'SyncRep'`))[0].n;

  it('answers the retry after the hang with the successor its rotation made, and signs nobody out', async () => {
    const [user] = await signUpUsers(cluster.instances, 1);
    const presented = user.refreshToken;
    const [a, b] = cluster.instances;

    await standbys('latchkey_absent_standby');
    const began = Date.now();
    expect(await impatientRefresh(a, presented, PATIENCE_MS)).toBe('retry');
    await waitUntil(async () => (await hungCommits()) > 0, 'the rotation to wait on its commit');
    // The client retries on both instances until well past the grace: every try times out.
    for (let turn = 0; Date.now() - began < GRACE_S * 1000 + 1500; turn++)
      expect(await impatientRefresh(turn % 2 ? a : b, presented, PATIENCE_MS)).toBe('retry');
    await standbys('');
    await waitUntil(async () => (await hungCommits()) === 0, 'the hung commits to end');

    const answered: { refreshToken?: string; code?: string }[] = [];
    await waitUntil(async () => {
      const answer = await impatientRefresh(b, presented, PATIENCE_MS);
      if (answer !== 'retry') answered.push(answer);
      return answered.length > 0;
    }, 'a retry to be answered');
    expect(answered).toEqual([{ refreshToken: expect.any(String) }]);
    const successor = answered[0].refreshToken!;

    const [row] = await cluster.query(
      `select t.replaced_by, extract(epoch from clock_timestamp() - t.used_at)::float8 as age, s.revoked_at
       from refresh_tokens t join sessions s on s.id = t.session_id where t.jti = $1`,
      [jwtPayload(presented).jti],
    );
    // The rotation that hung made the successor; it was stamped before the hang, past the grace now.
    expect(row.replaced_by).toBe(jwtPayload(successor).jti);
    expect(row.age).toBeGreaterThan(GRACE_S);
    expect(row.revoked_at).toBeNull();
    // The session goes on from it.
    expect(await impatientRefresh(a, successor, 5000)).toEqual({ refreshToken: expect.any(String) });
  });
});
