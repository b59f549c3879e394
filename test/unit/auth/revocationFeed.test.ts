/**
 * The revocation feed's cursor (API.md §9.3): a revocation whose number is lower than one already
 * visible may still be committing, so the cursor a follower is given stops before such a gap
 * until it is old enough to be a rollback — a follower must never be moved past a revocation.
 */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../../src/auth/clock.js';
import {
  FEED_GAP_PATIENCE_MS,
  type RevocationFeedRepository,
  type RevocationFeedRow,
  createRevocationFeed,
} from '../../../src/auth/revocationFeed.js';

const T0 = Date.parse('2026-12-06T12:00:00Z');

/** The stored revocations, as the database would page them (the edge of this unit). */
function feedOver(rows: RevocationFeedRow[], clock = manualClock(T0)) {
  const repo: RevocationFeedRepository = {
    page: async (after, _revokedAfter, limit) => rows.filter((r) => after === null || r.seq > after).slice(0, limit),
    last: async () => Math.max(0, ...rows.map((r) => r.seq)),
  };
  return { feed: createRevocationFeed({ repo, lifetimeMs: 300_000, clock }), clock };
}
const row = (seq: number, agoMs: number): RevocationFeedRow => ({
  sid: `s${seq}`,
  seq,
  revokedAt: new Date(T0 - agoMs),
});

describe('revocation feed cursor', () => {
  it('moves to the last revocation when the numbers follow each other', async () => {
    const { feed } = feedOver([row(5, 1000), row(6, 500), row(7, 10)]);
    expect(await feed.read('4', 100)).toMatchObject({ cursor: '7' });
  });

  it('stops before a recent gap (a revocation still committing) but sends what lies past it', async () => {
    const { feed } = feedOver([row(5, 1000), row(7, 10)]);
    const page = await feed.read('4', 100);
    expect(page.revocations.map((r) => r.sid)).toEqual(['s5', 's7']);
    expect(page.cursor).toBe('5');
  });

  it('stops before a gap right after the cursor', async () => {
    const { feed } = feedOver([row(7, 10)]);
    expect((await feed.read('5', 100)).cursor).toBe('5');
  });

  it('passes a gap older than the patience: a rollback, not a revocation to wait for', async () => {
    const { feed, clock } = feedOver([row(5, 1000), row(7, 10)]);
    clock.advance(FEED_GAP_PATIENCE_MS);
    expect((await feed.read('4', 100)).cursor).toBe('7');
  });
});
