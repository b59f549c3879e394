/**
 * The revoked-session set: how access tokens of a logged-out or revoked
 * session are refused within a second without a database query per request.
 *
 * Each entry lives until every access token of that session has expired
 * (revocation time + access-token TTL + leeway); after that the token's own
 * `exp` refuses it. The set is filled on revoke, loaded from the database at
 * start, and (when REDIS_URL is set) fed by other instances through a
 * `RevocationBus` — a plain Map, not an LRU: an evicted entry would
 * silently un-revoke a session.
 *
 * @example
 *   const revoked = createRevocations({ ttlMs: 300_000, clock });
 *   await revoked.revoke(['session-id']);
 *   revoked.has('session-id'); // true
 */
import type { Clock } from './clock.js';
import type { SessionsRepository } from './ports.js';

/** Carries revocations between instances (Redis pub/sub); optional. */
export interface RevocationBus {
  publish(sessionIds: string[], until: number): Promise<void>;
  subscribe(listener: (sessionIds: string[], until: number) => void): void;
}

export interface Revocations {
  /** How long an entry lives: the access-token lifetime plus leeway. */
  readonly ttlMs: number;
  has(sessionId: string): boolean;
  /** Record locally and tell other instances. */
  revoke(sessionIds: string[]): Promise<void>;
  /** Record what another instance (or the database) says was revoked. */
  add(sessionIds: string[], until: number): void;
  size(): number;
  /** Drop entries whose tokens have all expired. */
  sweep(): void;
}

export function createRevocations({
  ttlMs,
  clock,
  bus,
  onRevoke,
}: {
  ttlMs: number;
  clock: Clock;
  bus?: RevocationBus;
  /** Told how many sessions this instance revoked (metrics). */
  onRevoke?: (n: number) => void;
}): Revocations {
  const until = new Map<string, number>();
  const add = (ids: string[], end: number) => {
    for (const id of ids) if ((until.get(id) ?? 0) < end) until.set(id, end);
  };
  // Another instance's word is trusted to revoke, never to pin memory: an end further off than
  // twice the lifetime (a broken clock, a forged message) is cut back.
  bus?.subscribe((ids, end) => add(ids, Math.min(end, clock.now() + 2 * ttlMs)));
  return {
    ttlMs,
    has(id) {
      const end = until.get(id);
      if (end === undefined) return false;
      if (end > clock.now()) return true;
      until.delete(id);
      return false;
    },
    async revoke(ids) {
      if (!ids.length) return;
      const end = clock.now() + ttlMs;
      add(ids, end);
      onRevoke?.(ids.length);
      await bus?.publish(ids, end);
    },
    add,
    size: () => until.size,
    sweep() {
      const now = clock.now();
      for (const [id, end] of until) if (end <= now) until.delete(id);
    },
  };
}

/**
 * The revoked set kept in step with the database, the record: `load` fills it (at
 * start, and when Redis returns) with the sessions whose access tokens may still be
 * live; `follower` makes a function that, each time it is called, adds the sessions
 * revoked since its last call (by the CLI, or by an instance that cannot reach this
 * one). It overlaps by a few seconds for clock skew; adding twice is harmless.
 */
export function createRevocationSync({
  repo,
  revocations,
  clock,
}: {
  repo: Pick<SessionsRepository, 'revokedSince'>;
  revocations: Revocations;
  clock: Clock;
}) {
  const addSince = async (since: number) => {
    const rows = await repo.revokedSince(new Date(since));
    for (const r of rows) revocations.add([r.id], r.revokedAt.getTime() + revocations.ttlMs);
    return rows.length;
  };
  return {
    load: () => addSince(clock.now() - revocations.ttlMs),
    follower() {
      let last = clock.now();
      return async () => {
        const started = clock.now();
        await addSince(last - 5000);
        last = started;
      };
    },
  };
}
