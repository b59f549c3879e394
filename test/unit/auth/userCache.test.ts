/** The user cache behind `me`: kept for its TTL, forgotten on a change, never storing a read that raced a change. */
import { describe, expect, it, vi } from 'vitest';
import type { UserWithProfile } from '../../../src/auth/ports.js';
import { createUserCache } from '../../../src/auth/userCache.js';

const account = (displayName: string): UserWithProfile =>
  ({ user: { id: 'u1', email: 'a@example.test' }, profile: { displayName } }) as unknown as UserWithProfile;

describe('user cache', () => {
  it('reads the database once within its TTL, and again after a forget', async () => {
    const cache = createUserCache(60_000);
    const load = vi.fn(async () => account('Ann'));
    await cache.get('u1', load);
    expect((await cache.get('u1', load))?.profile?.displayName).toBe('Ann');
    expect(load).toHaveBeenCalledTimes(1);

    cache.forget('u1');
    load.mockResolvedValueOnce(account('Anna'));
    expect((await cache.get('u1', load))?.profile?.displayName).toBe('Anna');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('reads again once the TTL has passed', async () => {
    const cache = createUserCache(20);
    const load = vi.fn(async () => account('Ann'));
    await cache.get('u1', load);
    await vi.waitUntil(
      async () => {
        await cache.get('u1', load);
        return load.mock.calls.length === 2;
      },
      { timeout: 2000, interval: 10 },
    );
  });

  it('does not keep a row read while a change was being made: the next get reads again', async () => {
    const cache = createUserCache(60_000);
    let finish!: (row: UserWithProfile) => void;
    const slow = vi.fn(() => new Promise<UserWithProfile>((resolve) => (finish = resolve)));
    const pending = cache.get('u1', slow);
    cache.forget('u1'); // the change committed while the read was on its way
    finish(account('before the change'));
    expect((await pending)?.profile?.displayName).toBe('before the change');

    const load = vi.fn(async () => account('after the change'));
    expect((await cache.get('u1', load))?.profile?.displayName).toBe('after the change');
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('makes one read for gets that miss together, and a new one for a get after a change', async () => {
    const answers: string[] = [];
    const cache = createUserCache(60_000, (how) => answers.push(how));
    let finish!: (row: UserWithProfile) => void;
    const slow = vi.fn(() => new Promise<UserWithProfile>((resolve) => (finish = resolve)));
    const together = [cache.get('u1', slow), cache.get('u1', slow), cache.get('u1', slow)];
    expect(slow).toHaveBeenCalledTimes(1);
    expect(answers).toEqual(['read', 'shared', 'shared']);

    cache.forget('u1'); // a change while that read is on its way: later gets must not wait for it
    const after = vi.fn(async () => account('after the change'));
    expect((await cache.get('u1', after))?.profile?.displayName).toBe('after the change');
    finish(account('before the change'));
    expect((await Promise.all(together)).map((r) => r?.profile?.displayName)).toEqual(
      Array(3).fill('before the change'),
    );

    // The read from before the change was not kept over the one after it.
    expect((await cache.get('u1', slow))?.profile?.displayName).toBe('after the change');
    expect(after).toHaveBeenCalledTimes(1);
    expect(slow).toHaveBeenCalledTimes(1);
    expect(answers).toEqual(['read', 'shared', 'shared', 'read', 'hit']);
  });

  it('shares a failed read with the gets that waited for it, and reads again on the next get', async () => {
    const cache = createUserCache(60_000);
    const failing = vi.fn(async (): Promise<UserWithProfile> => {
      throw new Error('database unavailable');
    });
    const waits = [cache.get('u1', failing), cache.get('u1', failing)];
    for (const w of waits) await expect(w).rejects.toThrow('database unavailable');
    expect(failing).toHaveBeenCalledTimes(1);

    const load = vi.fn(async () => account('Ann'));
    expect((await cache.get('u1', load))?.profile?.displayName).toBe('Ann');
  });

  it('keeps nothing with a TTL of 0, and nothing for an account that is not there', async () => {
    const answers: string[] = [];
    const off = createUserCache(0, (how) => answers.push(how));
    const load = vi.fn(async () => account('Ann'));
    await off.get('u1', load);
    await off.get('u1', load);
    expect(load).toHaveBeenCalledTimes(2);
    expect(answers).toEqual(['read', 'read']);

    const on = createUserCache(60_000);
    const missing = vi.fn(async () => undefined);
    await on.get('gone', missing);
    await on.get('gone', missing);
    expect(missing).toHaveBeenCalledTimes(2);
  });
});
