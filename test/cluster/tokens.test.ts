/**
 * Keys and refresh rotation across instances: three processes on one
 * PostgreSQL, no Redis. Signing keys live in the database, so a rotation made
 * anywhere (here: `latchkey keys rotate`) reaches every instance's signer and
 * JWKS within seconds; and the blacklist is the database's, so a refresh
 * rotated on one instance and replayed on another follows the same rules.
 */
import { describe, expect, it, vi } from 'vitest';
import { chainViolations, suiteCluster, tokenCheck, viewerCheck } from '../support/cluster.js';
import { postgresAvailable } from '../support/databases.js';
import { LOGIN, REFRESH, TEST_PASSWORD, jwksKids, jwtHeader, jwtPayload, registerUser } from '../support/server.js';

const ready = await postgresAvailable('cluster token tests');

describe.runIf(ready)('tokens across three instances', () => {
  const cluster = suiteCluster({ size: 3 });

  const kidsEverywhere = () => Promise.all(cluster.instances.map((i) => jwksKids(i.url)));

  it('publishes the same keys everywhere, and a rotation reaches every signer while old tokens keep verifying', async () => {
    const [a, b, c] = cluster.instances;
    const before = await kidsEverywhere();
    expect(before[0]).toHaveLength(1);
    expect(before).toEqual([before[0], before[0], before[0]]);
    const { email, res } = await registerUser(a.client());
    const oldToken = res.body.data.register.accessToken;
    const oldKid = jwtHeader(oldToken).kid;
    expect(before[0]).toEqual([oldKid]);

    const said = await cluster.latchkey('keys', 'rotate', '--now');
    const newKid = /new signing key (\S+) is active/.exec(said)![1];

    // Within the reload interval every instance lists both keys and signs with the new one.
    const after = await vi.waitUntil(
      async () => {
        const kids = await kidsEverywhere();
        return kids.every((k) => k.includes(newKid)) && kids;
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(after).toEqual([[newKid, oldKid].sort(), [newKid, oldKid].sort(), [newKid, oldKid].sort()]);
    for (const instance of [a, b, c]) {
      const login = await instance.client().gql(LOGIN, { email, password: TEST_PASSWORD });
      expect(jwtHeader(login.body.data.login.accessToken).kid).toBe(newKid);
      // The token signed before the rotation is still good until it expires, on every instance.
      expect(await tokenCheck(instance, oldToken)).toBe('ok');
      expect(await viewerCheck(instance, oldToken)).toBe('ok');
    }
  });

  it('answers a refresh replayed on another instance within the grace with the same successor, and revokes after it', async () => {
    const [a, b, c] = cluster.instances;
    const { res } = await registerUser(a.client());
    const original = res.body.data.register.refreshToken;
    const rotated = await a.client().gql(REFRESH, { refreshToken: original });
    const successor = rotated.body.data.refreshToken.refreshToken;

    // Another tab, whose request went to B, raced with the same token: same successor, nobody signed out.
    const raced = await b.client().gql(REFRESH, { refreshToken: original });
    expect(raced.body.errors).toBeUndefined();
    expect(jwtPayload(raced.body.data.refreshToken.refreshToken).jti).toBe(jwtPayload(successor).jti);

    // The grace window is over (moved in the database, where the rule reads it): a replay is theft.
    await cluster.query(`update refresh_tokens set used_at = used_at - interval '1 hour' where jti = $1`, [
      jwtPayload(original).jti,
    ]);
    expect((await c.client().gql(REFRESH, { refreshToken: original })).code).toBe('TOKEN_REUSED');
    // The whole family ends, on every instance: the successor cannot refresh, its access token is refused.
    expect((await a.client().gql(REFRESH, { refreshToken: successor })).code).toBe('TOKEN_REVOKED');
    const access = rotated.body.data.refreshToken.accessToken;
    for (const instance of [a, b, c]) {
      await vi.waitUntil(async () => (await viewerCheck(instance, access)) === 'TOKEN_REVOKED', {
        timeout: 15_000,
        interval: 50,
      });
    }
  });

  it('rotates exactly once for 50 concurrent refreshes of one token spread over three instances', async () => {
    const { res } = await registerUser(cluster.instances[0].client());
    const token = res.body.data.register.refreshToken;
    const sid = jwtPayload(token).sid;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => cluster.instances[i % 3].client().gql(REFRESH, { refreshToken: token })),
    );
    // Everybody is answered (the losers inside the grace), and with one and the same successor.
    expect(answers.map((r) => r.code ?? 'ok')).toEqual(Array(50).fill('ok'));
    const jtis = new Set(answers.map((r) => jwtPayload(r.body.data.refreshToken.refreshToken).jti));
    expect(jtis.size).toBe(1);

    const rows = await cluster.query(
      `select jti, used_at, replaced_by from refresh_tokens where session_id = $1 order by issued_at, used_at nulls last`,
      [sid],
    );
    expect(rows).toHaveLength(2);
    expect(rows.filter((r) => r.used_at).map((r) => r.replaced_by)).toEqual([...jtis]);
    expect(rows.filter((r) => !r.used_at).map((r) => r.jti)).toEqual([...jtis]);
    expect(await chainViolations(cluster)).toEqual({
      usedWithoutSuccessor: [],
      twoLiveTokens: [],
      unusedButReplaced: [],
      twoPredecessors: [],
    });
  });
});
