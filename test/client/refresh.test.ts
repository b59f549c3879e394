/**
 * @latchkey/client's refresh logic, run in Node against a real Latchkey server
 * over HTTP: real fetch (counted, not mocked), a cookie jar shared by the
 * "tabs" of one browser, Node's real BroadcastChannel. Node has no Web Locks,
 * so this is the BroadcastChannel-only path; the Web Locks path runs in
 * Chromium (test/e2e). The server's clock is injected: "the access token
 * expired" is the server clock moving on, while the client's local clock still
 * thinks the token good — exactly the case where only the retry saves the request.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createLatchkeyClient,
  type LatchkeyClient,
  type LatchkeyClientOptions,
} from '../../packages/client/src/index.js';
import { createCookieFetch } from '../../packages/client/src/node.js';
import { noMeta } from '../../src/auth/audit.js';
import { databaseTargets } from '../support/databases.js';
import { jwtPayload, suiteServer, TEST_PASSWORD, uniqueEmail } from '../support/server.js';
import { auditEventsOf, sessionRow } from '../support/rows.js';

const targets = await databaseTargets();
// One database is enough here: the server's own suites cover both; PostgreSQL when it is there.
const target = targets[targets.length - 1];

const ME = '{ me { email } }';
const PAST_ACCESS_EXPIRY = 6 * 60_000; // default ACCESS_TOKEN_TTL is 5m; also past REFRESH_REUSE_GRACE

describe(`@latchkey/client against a real server on ${target.name}`, () => {
  const t = suiteServer(target, { manualClock: true });
  const open: LatchkeyClient[] = [];
  let browsers = 0;

  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  /** A browser: one cookie jar, a log of the GraphQL fields it sent, and tabs that share both. */
  function browser() {
    const calls: string[] = [];
    /** Set `down` to make refreshes fail as if the network dropped (the only stand-in: the server stays real). */
    const network = { down: false };
    const jar = createCookieFetch(async (input, init) => {
      const field = /\{\s*(\w+)/.exec(JSON.parse(String(init.body)).query)?.[1] ?? '?';
      calls.push(field);
      if (network.down && field === 'refreshToken') throw new TypeError('fetch failed');
      return fetch(input, init);
    });
    const channelName = `latchkey-test-${process.pid}-${++browsers}`;
    /** The fields each tab sent, by tab (in the order the tabs were opened). */
    const byTab: string[][] = [];
    const tab = (options: LatchkeyClientOptions = {}) => {
      const own: string[] = [];
      byTab.push(own);
      const fetchOfTab: typeof jar.fetch = (input, init) => {
        own.push(/\{\s*(\w+)/.exec(JSON.parse(String(init.body)).query)?.[1] ?? '?');
        return jar.fetch(input, init);
      };
      const client = createLatchkeyClient({
        url: t.url,
        fetch: fetchOfTab,
        channelName,
        autoRefresh: false,
        ...options,
      });
      open.push(client);
      return client;
    };
    return { calls, jar, tab, network, byTab };
  }

  async function signedInTab() {
    const b = browser();
    const tab = b.tab();
    await tab.ready();
    const email = uniqueEmail('client');
    await tab.register({ email, password: TEST_PASSWORD });
    const sessionId = jwtPayload((await tab.getAccessToken())!).sid as string;
    return { ...b, first: tab, email, sessionId };
  }

  /** A new tab restored from the cookie; its refresh reaches the other tabs by broadcast. */
  async function secondTab(b: { tab: () => LatchkeyClient }, first: LatchkeyClient) {
    const second = b.tab();
    await second.ready();
    const token = await second.getAccessToken();
    await vi.waitFor(async () => expect(await first.getAccessToken()).toBe(token), { timeout: 3000 });
    return second;
  }

  const signedOutWith = (client: LatchkeyClient, reason: string) =>
    vi.waitFor(() => expect(client.getState()).toMatchObject({ status: 'signedOut', reason }), { timeout: 3000 });

  it('restores the session from the refresh cookie on page load, and finds none without one', async () => {
    const stranger = browser().tab();
    expect(await stranger.ready()).toEqual({ status: 'signedOut', user: null, reason: null });

    const { tab, email, calls, jar } = await signedInTab();
    const cookieAtSignIn = [...jar.cookies.values()][0];
    calls.length = 0;
    const reloaded = tab(); // a reload, or a new tab: nothing in memory, only the cookie
    const state = await reloaded.ready();
    expect(state.status).toBe('signedIn');
    expect(reloaded.getUser()?.email).toBe(email);
    expect(calls).toEqual(['refreshToken']);
    expect([...jar.cookies.values()][0]).not.toBe(cookieAtSignIn); // rotated
    expect((await reloaded.request<{ me: { email: string } }>(ME)).me.email).toBe(email);
  });

  it('on TOKEN_EXPIRED refreshes once and retries the request once', async () => {
    const { first, email, calls } = await signedInTab();
    t.clock!.advance(PAST_ACCESS_EXPIRY);
    calls.length = 0;
    const { me } = await first.request<{ me: { email: string } }>(ME);
    expect(me.email).toBe(email);
    expect(calls).toEqual(['me', 'refreshToken', 'me']);
    expect(first.getState().status).toBe('signedIn');
  });

  it('refreshes on its own shortly before the access token expires', async () => {
    const b = browser();
    // The margin leaves the 5-minute token 150 ms before the client refreshes it.
    const tab = b.tab({ autoRefresh: true, refreshMarginMs: 5 * 60_000 - 150 });
    await tab.ready();
    await tab.register({ email: uniqueEmail('timer'), password: TEST_PASSWORD });
    const issued = await tab.getAccessToken();
    b.calls.length = 0;
    await vi.waitFor(() => expect(b.calls).toContain('refreshToken'), { timeout: 5000 });
    await vi.waitFor(async () => expect(await tab.getAccessToken()).not.toBe(issued), { timeout: 5000 });
    expect(tab.getState().status).toBe('signedIn');
    expect(b.calls.every((c) => c === 'refreshToken')).toBe(true); // nothing but refreshes, no request needed one
  });

  it('makes concurrent requests that meet an expired token share one refresh (single-flight)', async () => {
    const { first, email, calls } = await signedInTab();
    t.clock!.advance(PAST_ACCESS_EXPIRY);
    calls.length = 0;
    const results = await Promise.all(Array.from({ length: 5 }, () => first.request<{ me: { email: string } }>(ME)));
    expect(results.map((r) => r.me.email)).toEqual(Array(5).fill(email));
    expect(calls.filter((c) => c === 'refreshToken')).toHaveLength(1);
    expect(calls.filter((c) => c === 'me')).toHaveLength(10); // each request: once refused, once retried
  });

  it('retries only once: a revoked session signs out with TOKEN_REVOKED, in every tab', async () => {
    const { first, tab, calls, sessionId } = await signedInTab();
    const other = tab();
    await other.ready();
    await t.server.services.sessions.revoke(sessionId, { reason: 'revoked', meta: noMeta });
    calls.length = 0;

    await expect(first.request(ME)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(calls).toEqual(['me', 'refreshToken']); // no loop
    expect(first.getState()).toEqual({ status: 'signedOut', user: null, reason: 'TOKEN_REVOKED' });
    await signedOutWith(other, 'TOKEN_REVOKED');
    expect(await other.getAccessToken()).toBeNull();
  });

  it('deleteAccount signs every tab out with ACCOUNT_DELETED, and no tab can bring the session back', async () => {
    const { first, tab, email } = await signedInTab();
    const other = await secondTab({ tab }, first);
    expect(await first.deleteAccount()).toBe(true);
    expect(first.getState()).toEqual({ status: 'signedOut', user: null, reason: 'ACCOUNT_DELETED' });
    await signedOutWith(other, 'ACCOUNT_DELETED');
    expect(await other.getAccessToken()).toBeNull();
    const reloaded = tab();
    expect((await reloaded.ready()).status).toBe('signedOut');
    expect(await t.sql('select 1 from users where email = $1', [email])).toEqual([]);
  });

  it('does not sign anyone out when a refresh fails for a passing reason (network)', async () => {
    const { first, email, calls, network } = await signedInTab();
    t.clock!.advance(PAST_ACCESS_EXPIRY);
    network.down = true;
    await expect(first.request(ME)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(first.getState().status).toBe('signedIn');
    network.down = false;
    calls.length = 0;
    const { me } = await first.request<{ me: { email: string } }>(ME);
    expect(me.email).toBe(email);
    expect(calls).toEqual(['me', 'refreshToken', 'me']);
  });

  it('signs out with TOKEN_REUSED when its refresh token was replayed after the grace window', async () => {
    const { first, jar } = await signedInTab();
    // Someone else rotates the token first (a stolen copy of the cookie)...
    const stolen = createCookieFetch();
    for (const [k, v] of jar.cookies) stolen.cookies.set(k, v);
    const thief = createLatchkeyClient({ url: t.url, fetch: stolen.fetch, channelName: 'thief', autoRefresh: false });
    open.push(thief);
    expect((await thief.ready()).status).toBe('signedIn');
    // ...and long after, the real owner's refresh presents the rotated token.
    t.clock!.advance(PAST_ACCESS_EXPIRY);
    await expect(first.request(ME)).rejects.toMatchObject({ code: 'TOKEN_REUSED' });
    expect(first.getState()).toMatchObject({ status: 'signedOut', reason: 'TOKEN_REUSED' });
  });

  it('shares a refresh between tabs: the other tab uses the new token without refreshing', async () => {
    const b = await signedInTab();
    const { first, email, calls } = b;
    const second = await secondTab(b, first);
    t.clock!.advance(PAST_ACCESS_EXPIRY);
    calls.length = 0;

    await first.request(ME);
    expect(calls).toEqual(['me', 'refreshToken', 'me']);
    const shared = await first.getAccessToken();
    await vi.waitFor(async () => expect(await second.getAccessToken()).toBe(shared), { timeout: 3000 });
    const { me } = await second.request<{ me: { email: string } }>(ME);
    expect(me.email).toBe(email);
    expect(calls).toEqual(['me', 'refreshToken', 'me', 'me']); // the second tab did not refresh
  });

  it('keeps both tabs signed in when they meet an expired token at the same moment (no Web Locks)', async () => {
    const b = await signedInTab();
    const { first, tab, email, calls, sessionId } = b;
    const userId = jwtPayload((await first.getAccessToken())!).sub as string;
    const second = await secondTab(b, first);
    t.clock!.advance(PAST_ACCESS_EXPIRY);
    calls.length = 0;
    for (const log of b.byTab) log.length = 0;

    const [one, two] = await Promise.all([
      first.request<{ me: { email: string } }>(ME),
      second.request<{ me: { email: string } }>(ME),
    ]);
    expect([one.me.email, two.me.email]).toEqual([email, email]);
    expect(first.getState().status).toBe('signedIn');
    expect(second.getState().status).toBe('signedIn');
    // Without a lock both may refresh (the server's grace window answers the second), or one tab
    // may take the other's broadcast token first; never does a tab refresh twice, or retry twice.
    const [ofFirst, ofSecond] = b.byTab;
    const oneRequest = [
      ['me', 'refreshToken', 'me'],
      ['me', 'me'],
    ];
    expect(oneRequest).toContainEqual(ofFirst);
    expect(oneRequest).toContainEqual(ofSecond);
    expect([...ofFirst, ...ofSecond]).toContain('refreshToken');
    expect(await auditEventsOf(t.server.services, { userId, type: 'refresh_reuse_detected' })).toEqual([]);
    expect((await sessionRow(t.server.services, sessionId))?.revokedAt).toBeNull();
    // The chain is intact: a third tab opened now still restores the session.
    expect((await tab().ready()).status).toBe('signedIn');
  });

  it('lets a Node script end: a signed-in client with its refresh timer armed holds nothing that keeps the process alive', async () => {
    // A real script in a process of its own: it signs in (arming the refresh timer, minutes away), never
    // closes the client, and must still exit on its own once its work is done.
    const script = `
      import { createLatchkeyClient } from ${JSON.stringify(new URL('../../packages/client/src/index.ts', import.meta.url).href)};
      import { createCookieFetch } from ${JSON.stringify(new URL('../../packages/client/src/node.ts', import.meta.url).href)};
      const client = createLatchkeyClient({ url: process.env.URL, fetch: createCookieFetch().fetch, restore: false, autoRefresh: true });
      await client.register({ email: process.env.EMAIL, password: process.env.PASSWORD });
      console.log(client.getState().status);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', URL: t.url, EMAIL: uniqueEmail('script'), PASSWORD: TEST_PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, output }).toEqual({ code: 0, output: 'signedIn\n' });
  });

  it('signs every tab out when one tab signs out', async () => {
    const { first, tab, sessionId } = await signedInTab();
    const second = tab();
    await second.ready();
    const seen: string[] = [];
    second.subscribe((s) => seen.push(`${s.status}:${s.reason}`));

    expect(await first.logout()).toBe(true);
    expect(first.getState()).toEqual({ status: 'signedOut', user: null, reason: 'SIGNED_OUT' });
    await signedOutWith(second, 'SIGNED_OUT');
    expect(seen).toEqual(['signedOut:SIGNED_OUT']);
    expect((await sessionRow(t.server.services, sessionId))?.revokedAt).not.toBeNull();
    // Nothing left to restore from: a new tab starts signed out.
    expect((await tab().ready()).status).toBe('signedOut');
  });

  // Last: it moves the server's clock past SESSION_ABSOLUTE_TTL.
  it('signs out with SESSION_EXPIRED, in every tab, once the session outlived SESSION_ABSOLUTE_TTL', async () => {
    const { first, tab } = await signedInTab();
    const other = await secondTab({ tab }, first);
    t.clock!.advance(t.config.sessionAbsoluteTtlMs + 1000);
    await expect(first.request(ME)).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    expect(first.getState()).toEqual({ status: 'signedOut', user: null, reason: 'SESSION_EXPIRED' });
    await signedOutWith(other, 'SESSION_EXPIRED');
  });
});
