/**
 * `me` answers from the instance's memory for USER_CACHE_TTL: a change made through the same
 * instance shows at the very next `me`, one made through another instance within the TTL.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONFIRM_EMAIL_CHANGE, REQUEST_EMAIL_CHANGE } from '../support/accounts.js';
import { databaseTargets, freshPostgresDatabase, type OwnedDatabase, postgresAvailable } from '../support/databases.js';
import { codeIn, lastCodeTo, mailTo } from '../support/mail.js';
import { scrape } from '../support/metrics.js';
import {
  loginUser,
  registerUser,
  startTestServer,
  suiteServer,
  type TestServer,
  uniqueEmail,
} from '../support/server.js';

const targets = await databaseTargets();
const ME = '{ me { email emailVerified lastLoginAt profile { displayName } } }';
const UPDATE = 'mutation($input: ProfileInput!) { updateProfile(input: $input) { displayName } }';
const VERIFY = 'mutation($c: String!) { verifyEmail(code: $c) { id } }';

describe.each(targets)('me after a change through the same instance, on $name', (target) => {
  const t = suiteServer(target, { manualClock: true, env: { USER_CACHE_TTL: '1h' } });

  it('shows a new profile, a verified address, a new address and a new sign-in at once', async () => {
    const client = t.client();
    const { email } = await registerUser(client, { displayName: 'Ann' });
    const before = (await client.gql(ME)).body.data.me;
    expect(before).toMatchObject({ email, emailVerified: false, profile: { displayName: 'Ann' } });

    await client.gql(UPDATE, { input: { displayName: 'Anna' } });
    expect((await client.gql(ME)).body.data.me.profile.displayName).toBe('Anna');

    await client.gql(VERIFY, { c: codeIn((await mailTo(t, email))[0]) });
    expect((await client.gql(ME)).body.data.me.emailVerified).toBe(true);

    const moved = uniqueEmail('moved');
    await client.gql(REQUEST_EMAIL_CHANGE, { e: moved });
    await client.gql(CONFIRM_EMAIL_CHANGE, { c: await lastCodeTo(t, moved) });
    expect((await client.gql(ME)).body.data.me.email).toBe(moved);

    t.clock!.advance(60_000);
    const phone = await loginUser(t, moved);
    const after = (await client.gql(ME)).body.data.me.lastLoginAt;
    expect(new Date(after).getTime() - new Date(before.lastLoginAt).getTime()).toBeGreaterThanOrEqual(60_000);
    expect((await phone.gql(ME)).body.data.me.lastLoginAt).toBe(after);
  });

  it('counts on /metrics how each `me` was answered: the database, then memory', async () => {
    const client = t.client();
    await registerUser(client);
    const count = async (answer: string) =>
      (await scrape(t.url))[`latchkey_user_cache_reads_total{answer="${answer}"}`] ?? 0;
    const [reads, hits] = [await count('read'), await count('hit')];
    await client.gql(ME);
    expect([await count('read'), await count('hit')]).toEqual([reads + 1, hits]);
    await client.gql(ME);
    expect([await count('read'), await count('hit')]).toEqual([reads + 1, hits + 1]);
  });
});

const pgAvailable = await postgresAvailable('the two-instance user-cache test');

describe.runIf(pgAvailable)('me after a change through another instance, on postgres', () => {
  let db: OwnedDatabase;
  let a: TestServer;
  let cached: TestServer;
  let uncached: TestServer;

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    a = await startTestServer({ db: db.url });
    cached = await startTestServer({ db: db.url, env: { USER_CACHE_TTL: '1s' } });
    uncached = await startTestServer({ db: db.url, env: { USER_CACHE_TTL: '0' } });
  });
  afterAll(async () => {
    await Promise.all([a, cached, uncached].map((s) => s?.close()));
    await db?.drop();
  });

  it('shows it within USER_CACHE_TTL, and at once with USER_CACHE_TTL=0', async () => {
    const { email } = await registerUser(a.client(), { displayName: 'Bo' });
    const onCached = await loginUser(cached, email);
    const onUncached = await loginUser(uncached, email);
    expect((await onCached.gql(ME)).body.data.me.profile.displayName).toBe('Bo');
    expect((await onUncached.gql(ME)).body.data.me.profile.displayName).toBe('Bo');

    const changedAt = Date.now();
    await (await loginUser(a, email)).gql(UPDATE, { input: { displayName: 'Bob' } });
    expect((await onUncached.gql(ME)).body.data.me.profile.displayName).toBe('Bob');
    await vi.waitUntil(async () => (await onCached.gql(ME)).body.data.me.profile.displayName === 'Bob', {
      timeout: 5_000,
      interval: 50,
    });
    // The TTL is the bound (plus a request's time on this loaded machine), not a guess.
    expect(Date.now() - changedAt).toBeLessThan(1_000 + 2_000);
  });
});
