/**
 * Faults, each caused on purpose, on three real instances sharing a private
 * PostgreSQL (its own data directory and port, started from this machine's
 * binaries — the shared server on 5432 is never stopped):
 *  - an instance SIGKILLed in the middle of a refresh load;
 *  - PostgreSQL stopped under load, then started again;
 *  - SIGTERM while requests are in flight.
 * After each, the database must show intact refresh-token chains.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { chainViolations, suiteCluster, tokenCheck } from '../support/cluster.js';
import { startPrivatePostgres } from '../support/databases.js';
import { type SimulatedUser, signUpUsers } from '../support/load.js';
import { LOGIN, REFRESH, TEST_PASSWORD, registerUser } from '../support/server.js';
import { scrape } from '../support/metrics.js';

const postgres = await startPrivatePostgres();

const intact = { usedWithoutSuccessor: [], twoLiveTokens: [], unusedButReplaced: [], twoPredecessors: [] };

/** Every user refreshes `rounds` times, one after another. */
async function refreshLoad(users: SimulatedUser[], rounds: number) {
  await Promise.all(
    users.map(async (u) => {
      for (let i = 0; i < rounds; i++) await u.refresh();
    }),
  );
}
const total = (users: SimulatedUser[], key: 'done' | 'unreachable' | 'unavailable') =>
  users.reduce((n, u) => n + u[key], 0);

describe.runIf(postgres)('faults on three instances', () => {
  const pg = postgres!;
  // Declared first, so run last: after the cluster closed.
  afterAll(async () => {
    await pg.destroy();
  });
  // Thirty sign-ins of one account at once are a test's load, not a guessing attack.
  const cluster = suiteCluster(() => ({ size: 3, databaseUrl: pg.url, env: { RATE_LIMIT_LOGIN_ACCOUNT: '1000/15m' } }));

  it('loses no rotation when an instance is SIGKILLed in the middle of a refresh load', async () => {
    const [a, b, c] = cluster.instances;
    const users = await signUpUsers(cluster.instances, 12);
    const load = refreshLoad(users, 25);
    await vi.waitUntil(() => total(users, 'done') >= 60, { timeout: 15_000, interval: 50 });
    const exit = await b.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    await load;

    // The others kept serving: every user finished, nobody was signed out, requests B dropped went elsewhere.
    expect(users.flatMap((u) => u.signedOut)).toEqual([]);
    expect(total(users, 'done')).toBe(12 * 25);
    expect(total(users, 'unreachable')).toBeGreaterThan(0);
    expect(await chainViolations(cluster)).toEqual(intact);
    // Each user's chain is as long as the refreshes they were answered: one rotation per answer, none twice.
    const lengths = await cluster.query(`select count(*)::int as n from refresh_tokens group by session_id`);
    expect(lengths.map((r) => r.n)).toEqual(Array(12).fill(26));

    await b.start();
    for (const instance of [a, b, c])
      expect((await instance.client().gql(REFRESH, { refreshToken: users[0].refreshToken })).code).toBeUndefined();
  });

  it('fails fast while PostgreSQL is down, keeps checking access tokens, and recovers by itself', async () => {
    const [a, b, c] = cluster.instances;
    const alice = await registerUser(a.client());
    const { accessToken, refreshToken } = alice.res.body.data.register;
    const users = await signUpUsers(cluster.instances, 6);
    const load = refreshLoad(users, 40);
    await vi.waitUntil(() => total(users, 'done') >= 30, { timeout: 15_000, interval: 50 });
    await pg.stop();

    for (const instance of [a, b, c]) {
      // Operations that need the database answer at once (they do not hang) with a retryable
      // SERVICE_UNAVAILABLE (HTTP 503, Retry-After) that says nothing of the cause.
      const refresh = await instance.client().gql(REFRESH, { refreshToken });
      expect(refresh.code).toBe('SERVICE_UNAVAILABLE');
      expect(refresh.status).toBe(503);
      expect(refresh.headers.get('retry-after')).toBe('1');
      expect(refresh.body.errors![0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
      expect(JSON.stringify(refresh.body)).not.toMatch(/ECONNREFUSED|terminat|\bat \S+:\d+|postgres/i);
      expect((await instance.client().gql(LOGIN, { email: alice.email, password: TEST_PASSWORD })).code).toBe(
        'SERVICE_UNAVAILABLE',
      );
      const ready = await fetch(`${instance.url}/readyz`);
      expect(ready.status).toBe(503);
      // Access tokens are checked without the database.
      expect(await tokenCheck(instance, accessToken)).toBe('ok');
      expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);
    }
    await vi.waitUntil(() => total(users, 'unavailable') >= 6, { timeout: 15_000, interval: 50 });
    // The background tasks that poll the database notice too — and say so once, not twice a second.
    for (const instance of [a, b, c])
      await vi.waitUntil(() => instance.logged(/revocation sync failed/).length, { timeout: 15_000, interval: 50 });
    // Two more failed polls on each (counted on /metrics, though not logged), so the one warning
    // above is proven to stand for several failures.
    for (const instance of [a, b, c]) {
      const seen = await syncFailures(instance.url);
      await vi.waitUntil(async () => (await syncFailures(instance.url)) >= seen + 2, { timeout: 15_000, interval: 50 });
    }

    await pg.start();
    for (const instance of [a, b, c]) {
      await vi.waitUntil(async () => (await fetch(`${instance.url}/readyz`)).status === 200, {
        timeout: 15_000,
        interval: 50,
      });
      const refresh = await instance.client().gql(REFRESH, { refreshToken });
      expect(refresh.code).toBeUndefined();
    }
    await load;
    expect(users.flatMap((u) => u.signedOut)).toEqual([]);
    expect(await chainViolations(cluster)).toEqual(intact);
    // One warning per instance for the whole outage.
    for (const instance of [a, b, c]) expect(instance.logged(/revocation sync failed/).length).toBe(1);
  });

  it('on SIGTERM stops accepting, answers the requests in flight and exits 0', async () => {
    const [a, , c] = cluster.instances;
    const { email, userId } = await registerUser(a.client());
    let signalled = false;
    const logins = Array.from({ length: 30 }, () =>
      c
        .client()
        .gql(LOGIN, { email, password: TEST_PASSWORD })
        .then(
          (res) => ({ answer: res.code ?? res.status, afterSignal: signalled }),
          (err: Error & { cause?: { code?: string } }) => ({
            answer: err.cause?.code ?? err.message,
            afterSignal: signalled,
          }),
        ),
    );
    await vi.waitUntil(
      async () =>
        (await cluster.query(`select 1 from sessions where user_id = $1 and ip is not null offset 1`, [userId])).length,
      { timeout: 15_000, interval: 50 },
    );
    signalled = true;
    const exit = c.kill('SIGTERM');
    const results = await Promise.all(logins);

    // Exit 0 is the graceful path: server, Redis and database pools closed (a stuck close exits 1 after 10 s).
    expect(await exit).toEqual({ code: 0, signal: null });
    // Requests it was handling were answered after the signal; the rest were refused before
    // they began (connection reset, or 503 on a kept-alive connection) — never a 500, never half done.
    const answered = results.filter((r) => r.answer === 200);
    expect(results.filter((r) => r.afterSignal && r.answer === 200).length).toBeGreaterThan(0);
    for (const r of results) expect([200, 503, 'ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET']).toContain(r.answer);
    const sessions = await cluster.query(`select count(*)::int as n from sessions where user_id = $1`, [userId]);
    expect(sessions[0].n).toBe(1 + answered.length);
    await expect(fetch(`${c.url}/healthz`)).rejects.toThrow();
    // The others go on serving.
    expect((await a.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBeUndefined();
    await c.start();
  });
});

/** Failed runs of an instance's revocation poll, from its /metrics. */
async function syncFailures(url: string): Promise<number> {
  return (await scrape(url))['latchkey_background_task_failures_total{task="revocation sync"}'] ?? 0;
}
