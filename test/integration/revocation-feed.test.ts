/**
 * `GET /revocations` (API.md §9.3): other services learn which sessions were
 * revoked, with the time until which their access tokens could still be valid,
 * by following a cursor. Bearer REVOCATION_FEED_TOKEN; off (404) when unset.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { databaseTargets, pglite } from '../support/databases.js';
import { jwtPayload, registerUser, send, suiteServer, type TestServer } from '../support/server.js';

const targets = await databaseTargets();
const FEED_TOKEN = 'feed-token-0123456789-0123456789-abcdef';
const auth = (token = FEED_TOKEN) => ({ headers: { authorization: `Bearer ${token}` } });

/** A signed-in user who then signs out: the session id revoked. */
async function loggedOut(t: TestServer): Promise<string> {
  const client = t.client();
  await registerUser(client);
  const sid = jwtPayload(client.token!).sid as string;
  expect((await client.gql('mutation { logout }')).body.data.logout).toBe(true);
  return sid;
}

describe.each(targets)('revocation feed on $name', (target) => {
  const t = suiteServer(target, { env: { REVOCATION_FEED_TOKEN: FEED_TOKEN, ACCESS_TOKEN_TTL: '5m' } });

  it('refuses a missing or wrong bearer token with 401', async () => {
    for (const init of [
      {},
      auth('feed-token-0123456789-0123456789-abcdeX'),
      { headers: { authorization: `Basic ${FEED_TOKEN}` } },
    ]) {
      const res = await send(t.url, '/revocations', init);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(res.json.revocations).toBeUndefined();
    }
  });

  it('lists revoked sessions with the end of their tokens’ validity, and follows a cursor', async () => {
    const first = await loggedOut(t);
    const second = await loggedOut(t);
    const all = await send(t.url, '/revocations', auth());
    expect(all.status).toBe(200);
    expect(all.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(all.json).sort()).toEqual(['cursor', 'revocations']);
    expect(typeof all.json.cursor).toBe('string');
    const sids = all.json.revocations.map((r: { sid: string }) => r.sid);
    expect(sids.indexOf(first)).toBeLessThan(sids.indexOf(second));
    expect(sids).toContain(first);
    for (const r of all.json.revocations) {
      expect(Object.keys(r).sort()).toEqual(['sid', 'until']);
      // Revoked moments ago: its access tokens could be valid for up to the access-token lifetime.
      const left = Date.parse(r.until) - Date.now();
      expect(left).toBeGreaterThan(4 * 60_000);
      expect(left).toBeLessThanOrEqual(5 * 60_000 + 1000); // + the second of margin the revoked set keeps too
    }

    // Nothing new: an empty page and the same cursor.
    const none = await send(t.url, `/revocations?since=${all.json.cursor}`, auth());
    expect(none.json).toEqual({ revocations: [], cursor: all.json.cursor });

    // A revocation after the cursor, and only it.
    const third = await loggedOut(t);
    const next = await send(t.url, `/revocations?since=${all.json.cursor}`, auth());
    expect(next.json.revocations.map((r: { sid: string }) => r.sid)).toEqual([third]);
    expect(Number(next.json.cursor)).toBeGreaterThan(Number(all.json.cursor));
  });

  it('pages with a bounded limit, and refuses a cursor or limit it did not hand out', async () => {
    const sids = [await loggedOut(t), await loggedOut(t), await loggedOut(t)];
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await send(t.url, `/revocations?limit=1${cursor ? `&since=${cursor}` : ''}`, auth());
      expect(res.json.revocations.length).toBeLessThanOrEqual(1);
      if (!res.json.revocations.length) break;
      seen.push(res.json.revocations[0].sid);
      cursor = res.json.cursor;
    }
    expect(seen.slice(-3)).toEqual(sids);
    for (const query of ['since=abc', 'since=-1', 'limit=0', 'limit=100000', 'limit=x']) {
      const res = await send(t.url, `/revocations?${query}`, auth());
      expect(res.status, query).toBe(400);
      expect(res.json.error).toBe('BAD_USER_INPUT');
    }
  });
});

describe.each(targets.filter((target) => target.name === 'postgres'))(
  'revocation feed on $name, several connections',
  (target) => {
    const t = suiteServer(target, { env: { REVOCATION_FEED_TOKEN: FEED_TOKEN } });

    // Several connections: a revocation can hold its number uncommitted while a later one commits.
    it('never moves a follower past a revocation still committing when a later one is read', async () => {
      const start = (await send(t.url, '/revocations', auth())).json.cursor as string;
      const slow = t.client();
      await registerUser(slow);
      const slowSid = jwtPayload(slow.token!).sid as string;
      const held = new pg.Client({ connectionString: t.config.databaseUrl });
      await held.connect();
      try {
        // A revocation that has taken its number and not committed yet (a deleteAccount mid-way).
        await held.query('begin');
        await held.query(
          `update sessions set revoked_at = now(), revoke_reason = 'logout',
             revocation_seq = nextval('session_revocations') where id = $1`,
          [slowSid],
        );
        const later = await loggedOut(t);
        const first = await send(t.url, `/revocations?since=${start}`, auth());
        expect(first.json.revocations.map((r: { sid: string }) => r.sid)).toEqual([later]);
        await held.query('commit');
        const next = await send(t.url, `/revocations?since=${first.json.cursor}`, auth());
        expect(next.json.revocations.map((r: { sid: string }) => r.sid)).toContain(slowSid);
      } finally {
        await held.end();
      }
    });
  },
);

describe('revocation feed without REVOCATION_FEED_TOKEN', () => {
  const t = suiteServer(pglite);

  it('is off: 404, whatever token is sent', async () => {
    expect((await send(t.url, '/revocations', auth())).status).toBe(404);
    expect((await send(t.url, '/revocations')).status).toBe(404);
  });
});
