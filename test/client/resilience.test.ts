/**
 * @latchkey/client when the world misbehaves, at the edge of a unit test (the
 * network and Web Locks are stand-ins; the refresh logic is the real one): a
 * request that never answers times out, a tab that hangs holding the refresh
 * lock does not hang every other tab, and a page coming back to the foreground
 * or online with an expired token refreshes at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLatchkeyClient, type LatchkeyClient } from '../../packages/client/src/index.js';

const USER = {
  id: 'u1',
  email: 'ada@example.com',
  username: null,
  emailVerified: true,
  profile: { displayName: null, bio: null, avatarUrl: null },
};

/** A server stand-in: answers each operation by its first field; counts them. */
function fakeServer(answers: Record<string, () => unknown>) {
  const calls: string[] = [];
  const fetch = async (_input: unknown, init: RequestInit) => {
    const field = /\{\s*(\w+)/.exec(JSON.parse(String(init.body)).query)?.[1] ?? '?';
    calls.push(field);
    const answer = answers[field];
    if (!answer)
      return new Promise<Response>((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal!.reason)),
      );
    return new Response(JSON.stringify(answer()), { headers: { 'content-type': 'application/json' } });
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const payload = (lifetimeMs: number) => ({
  accessToken: `token-${Math.random()}`,
  accessTokenExpiresAt: new Date(Date.now() + lifetimeMs).toISOString(),
  user: USER,
});
const noSession = () => ({ errors: [{ message: 'No session', extensions: { code: 'UNAUTHENTICATED' } }] });

describe('@latchkey/client resilience', () => {
  const open: LatchkeyClient[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
    delete (globalThis as { document?: unknown }).document;
    delete (globalThis as { window?: unknown }).window;
  });
  const client = (options: Parameters<typeof createLatchkeyClient>[0]) => {
    const c = createLatchkeyClient({ BroadcastChannel: null, locks: null, autoRefresh: false, ...options });
    open.push(c);
    return c;
  };
  /** Signed in with a one-minute token on a clock the test moves; `calls` shows the one refresh that restored it. */
  const signedInOnAClock = async () => {
    let clock = Date.now();
    const server = fakeServer({ refreshToken: () => ({ data: { refreshToken: payload(60_000) } }) });
    const c = client({ fetch: server.fetch, now: () => clock });
    await c.ready();
    expect(server.calls).toEqual(['refreshToken']);
    return { server, c, advance: (ms: number) => (clock += ms) };
  };

  it('gives up on a request the server never answers, with TIMEOUT', async () => {
    const server = fakeServer({ refreshToken: noSession });
    const c = client({ fetch: server.fetch, timeoutMs: 200 });
    await c.ready();
    await expect(c.login({ email: 'ada@example.com', password: 'x' })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(server.calls).toEqual(['refreshToken', 'login']);
  });

  it('takes the refresh lock over from a tab that hangs holding it', async () => {
    const stolen: string[] = [];
    // A lock manager where another tab holds the lock and never lets go.
    const locks = {
      request(name: string, options: { signal?: AbortSignal; steal?: boolean }, task: () => Promise<unknown>) {
        if (options.steal) {
          stolen.push(name);
          return task();
        }
        return new Promise((_resolve, reject) =>
          options.signal?.addEventListener('abort', () => reject(options.signal!.reason)),
        );
      },
    } as unknown as LockManager;
    const server = fakeServer({ refreshToken: () => ({ data: { refreshToken: payload(300_000) } }) });
    const c = client({ fetch: server.fetch, locks, lockTimeoutMs: 200 });
    expect(await c.ready()).toMatchObject({ status: 'signedIn', user: { email: 'ada@example.com' } });
    expect(stolen).toEqual(['latchkey:refresh']);
  });

  it('refreshes when the page becomes visible again with an expired token', async () => {
    const page = new EventTarget() as EventTarget & { visibilityState: string };
    page.visibilityState = 'hidden';
    (globalThis as { document?: unknown }).document = page;
    const { server, c, advance } = await signedInOnAClock();

    // Hidden for two minutes (timers throttled): the token expired meanwhile.
    advance(120_000);
    page.dispatchEvent(new Event('visibilitychange'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.calls).toEqual(['refreshToken']); // still hidden: nothing sent
    page.visibilityState = 'visible';
    page.dispatchEvent(new Event('visibilitychange'));
    await expect.poll(() => server.calls).toEqual(['refreshToken', 'refreshToken']);
    expect(c.getState().status).toBe('signedIn');
  });

  it('refreshes when the network comes back with an expired token', async () => {
    const win = new EventTarget();
    (globalThis as { window?: unknown }).window = win;
    const { server, c, advance } = await signedInOnAClock();

    // Back online with the token still good: nothing to do.
    win.dispatchEvent(new Event('online'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.calls).toEqual(['refreshToken']);
    // Offline for two minutes (the timer's refresh failed meanwhile): the token expired.
    advance(120_000);
    win.dispatchEvent(new Event('online'));
    await expect.poll(() => server.calls).toEqual(['refreshToken', 'refreshToken']);
    expect(c.getState().status).toBe('signedIn');
  });
});
