/**
 * revocations.ts: the revoked-session set that refuses access tokens without a
 * database query — entry lifetime, sweeping, and the fan-out to other
 * instances (the bus is faked at the edge: an in-memory pub/sub).
 */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../../src/auth/clock.js';
import { createRevocations, type RevocationBus } from '../../../src/auth/revocations.js';
import { T0 } from '../../support/domain.js';

const TTL = 5 * 60_000;

/** One in-memory channel that several instances publish to and listen on. */
function memoryBus(): { bus: () => RevocationBus; published: { ids: string[]; until: number }[] } {
  const listeners: ((ids: string[], until: number) => void)[] = [];
  const published: { ids: string[]; until: number }[] = [];
  return {
    published,
    bus: () => ({
      publish: async (ids, until) => {
        published.push({ ids, until });
        for (const l of listeners) l(ids, until);
      },
      subscribe: (l) => void listeners.push(l),
    }),
  };
}

describe('revoked-session set', () => {
  it('holds a revoked session for the access-token lifetime, then forgets it', async () => {
    const clock = manualClock(T0);
    const counted: number[] = [];
    const set = createRevocations({ ttlMs: TTL, clock, onRevoke: (n) => counted.push(n) });
    expect(set.has('a')).toBe(false);
    await set.revoke(['a', 'b']);
    expect(set.has('a') && set.has('b')).toBe(true);
    expect(set.has('c')).toBe(false);
    expect(counted).toEqual([2]);
    clock.advance(TTL - 1);
    expect(set.has('a')).toBe(true);
    clock.advance(1);
    expect(set.has('a')).toBe(false);
    expect(set.size()).toBe(1);
    set.sweep();
    expect(set.size()).toBe(0);
  });

  it('never shortens an entry: a later, longer revocation wins, an earlier one does not cut it', async () => {
    const clock = manualClock(T0);
    const set = createRevocations({ ttlMs: TTL, clock });
    await set.revoke(['a']);
    set.add(['a'], T0 + 1000);
    clock.advance(TTL - 1);
    expect(set.has('a')).toBe(true);
    set.add(['a'], T0 + 2 * TTL);
    clock.advance(TTL);
    expect(set.has('a')).toBe(true);
  });

  it('ignores an empty revoke and sweeps only expired entries', async () => {
    const clock = manualClock(T0);
    const counted: number[] = [];
    const set = createRevocations({ ttlMs: TTL, clock, onRevoke: (n) => counted.push(n) });
    await set.revoke([]);
    expect(counted).toEqual([]);
    set.add(['old'], T0 + 1000);
    set.add(['new'], T0 + TTL);
    clock.advance(1000);
    set.sweep();
    expect(set.size()).toBe(1);
    expect(set.has('new')).toBe(true);
  });

  it('tells other instances, which refuse the session until the same moment', async () => {
    const clock = manualClock(T0);
    const channel = memoryBus();
    const here = createRevocations({ ttlMs: TTL, clock, bus: channel.bus() });
    const there = createRevocations({ ttlMs: TTL, clock, bus: channel.bus() });
    await here.revoke(['s1']);
    expect(channel.published).toEqual([{ ids: ['s1'], until: T0 + TTL }]);
    expect(there.has('s1')).toBe(true);
    clock.advance(TTL);
    expect(there.has('s1')).toBe(false);
  });

  it('does not count sessions another instance revoked (each instance counts its own)', async () => {
    const clock = manualClock(T0);
    const channel = memoryBus();
    const counted: number[] = [];
    const here = createRevocations({ ttlMs: TTL, clock, bus: channel.bus() });
    createRevocations({ ttlMs: TTL, clock, bus: channel.bus(), onRevoke: (n) => counted.push(n) });
    await here.revoke(['s1', 's2']);
    expect(counted).toEqual([]);
  });
});
