/** The limit on password hashes in flight: never more than its slots, first come first served, errors free their slot. */
import { describe, expect, it } from 'vitest';
import { concurrencyLimit } from '../../src/auth/passwords.js';

describe('concurrencyLimit', () => {
  it('runs at most `slots` tasks at once, in arrival order, and all of them', async () => {
    const limit = concurrencyLimit(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      limit(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise<void>((r) => gates.push(r));
        running--;
        return i;
      }),
    );
    // Release the tasks one by one as they start.
    while (gates.length || started.length < 6) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('frees the slot of a task that fails', async () => {
    const limit = concurrencyLimit(1);
    await expect(limit(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit(async () => 'next')).toBe('next');
  });
});
