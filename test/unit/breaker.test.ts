/**
 * The circuit breaker in front of Redis (src/shared/breaker.ts), on an injected
 * clock: a call that fails or hangs opens it, calls then go straight to their
 * fallback for the cooldown, one "outage" is reported however many calls fail,
 * and an answer that is not an outage ("over the limit") passes through.
 */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/auth/clock.js';
import { createBreaker } from '../../src/shared/breaker.js';

describe('circuit breaker', () => {
  const setup = () => {
    const clock = manualClock(0);
    const news: string[] = [];
    const breaker = createBreaker({
      timeoutMs: 20,
      cooldownMs: 5000,
      now: clock.now,
      onOpen: () => news.push('open'),
      onClose: () => news.push('close'),
    });
    return { clock, news, breaker };
  };

  it('falls back on a hang, skips the helper for the cooldown, tries again after it, and reports the outage once', async () => {
    const { clock, news, breaker } = setup();
    let tries = 0;
    const hang = () => (tries++, new Promise<string>(() => {}));
    expect(await breaker.run(hang, () => 'local')).toBe('local');
    expect(breaker.isOpen()).toBe(true);
    // Skipped: the helper is not even called.
    expect(await breaker.run(hang, () => 'local')).toBe('local');
    expect(tries).toBe(1);
    clock.advance(5000);
    expect(await breaker.run(hang, () => 'local')).toBe('local');
    expect(tries).toBe(2);
    expect(news).toEqual(['open']);
    clock.advance(5000);
    expect(
      await breaker.run(
        async () => 'shared',
        () => 'local',
      ),
    ).toBe('shared');
    expect(news).toEqual(['open', 'close']);
    expect(breaker.trips()).toBe(2);
  });

  it('passes on an answer that is not an outage, and stays closed', async () => {
    const { news, breaker } = setup();
    const overLimit = new Error('over the limit');
    await expect(
      breaker.run(
        () => Promise.reject(overLimit),
        () => 'local',
        (e) => e !== overLimit,
      ),
    ).rejects.toBe(overLimit);
    expect(breaker.isOpen()).toBe(false);
    expect(news).toEqual([]);
  });
});
