/**
 * The revocation feed (API.md §9.3): the sessions revoked after a cursor, each with
 * the time until which its access tokens could still be valid, so another service
 * can refuse them as fast as Latchkey does without a call per request.
 *
 * The cursor is the revocation's number in the database's order (a sequence, not a
 * clock, so a follower misses nothing to clock skew), sent as an opaque string.
 * Without a cursor the feed starts at the oldest revocation whose tokens may still
 * be valid. Pages are bounded; a follower asks again with the cursor it was given.
 * A revocation still committing when a higher number is read is not skipped: the
 * cursor waits before it (FEED_GAP_PATIENCE_MS).
 *
 * @example
 *   const feed = createRevocationFeed({ repo, lifetimeMs: 300_000, clock });
 *   await feed.read(undefined, 500); // { revocations: [{ sid, until }], cursor: '42' }
 */
import type { Clock } from './clock.js';
import { AuthError } from './errors.js';

/** One revocation as stored: the session, its number in the order, when it was revoked. */
export interface RevocationFeedRow {
  sid: string;
  seq: number;
  revokedAt: Date;
}

/** What the feed needs from storage (implemented in src/store). */
export interface RevocationFeedRepository {
  /** Revocations numbered after `after` (or, when null, revoked after `revokedAfter`), in order, at most `limit`. */
  page(after: number | null, revokedAfter: Date, limit: number): Promise<RevocationFeedRow[]>;
  /** The last revocation's number (0: none yet). */
  last(): Promise<number>;
}

export interface RevocationFeedPage {
  revocations: { sid: string; until: string }[];
  cursor: string;
}

export const FEED_MAX_PAGE = 1000;

/**
 * A revocation takes its number inside its transaction, so a number can become visible after a
 * higher one: a gap in the numbers may be a revocation still committing. The cursor stops before
 * a gap younger than this (the rows past it are still sent, and sent again next time — a
 * follower's set of revoked sessions takes a repeat as it is). An older gap is a transaction
 * that rolled back, or a row `tokens flush-expired` removed, and is passed.
 */
export const FEED_GAP_PATIENCE_MS = 60_000;

/** The highest number up to which no revocation can still appear: before the first young gap. */
function settledCursor(rows: RevocationFeedRow[], after: number | null, now: number): number | null {
  let settled = after;
  for (const row of rows) {
    const gap = settled !== null && row.seq !== settled + 1;
    if (gap && now - row.revokedAt.getTime() < FEED_GAP_PATIENCE_MS) break;
    settled = row.seq;
  }
  return settled;
}

export function createRevocationFeed({
  repo,
  lifetimeMs,
  clock,
}: {
  repo: RevocationFeedRepository;
  lifetimeMs: number;
  clock: Clock;
}) {
  return {
    /** @throws AuthError BAD_USER_INPUT for a cursor this feed did not hand out. */
    async read(since: string | undefined, limit: number): Promise<RevocationFeedPage> {
      if (since !== undefined && !/^\d{1,15}$/.test(since))
        throw new AuthError('BAD_USER_INPUT', 'since: a cursor from an earlier answer');
      const after = since === undefined ? null : Number(since);
      const rows = await repo.page(
        after,
        new Date(clock.now() - lifetimeMs),
        Math.min(Math.max(limit, 1), FEED_MAX_PAGE),
      );
      // An empty page keeps the cursor; an empty first page starts from the newest revocation.
      const cursor = settledCursor(rows, after, clock.now()) ?? (await repo.last());
      return {
        revocations: rows.map((r) => ({
          sid: r.sid,
          until: new Date(r.revokedAt.getTime() + lifetimeMs).toISOString(),
        })),
        cursor: String(cursor),
      };
    },
  };
}
