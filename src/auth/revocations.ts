/**
 * The revoked-session set: how access tokens of a logged-out or revoked
 * session are refused within a second without a database query per request.
 *
 * Each entry lives until every access token of that session has expired:
 * from the revocation (on the database's clock) for the access-token TTL plus
 * leeway, and at least until the `exp` + leeway of any of its tokens presented
 * meanwhile — judged by the token's own claims, not by the clock of the
 * instance that revoked it. After that the token's own `exp` refuses it.
 * The set is filled on revoke, loaded from the database at start, and (when REDIS_URL is set) fed by other instances through a
 * `RevocationBus` — a plain Map, not an LRU: an evicted entry would
 * silently un-revoke a session.
 *
 * @example
 *   const revoked = createRevocations({ ttlMs: 300_000, clock });
 *   await revoked.revoke(['session-id']);
 *   revoked.has('session-id'); // true
 */
import { type Clock, pinnedTime } from './clock.js';
import type { RevocationRow, SessionsRepository } from './ports.js';

/** Carries revocations between instances (Redis pub/sub); optional. */
export interface RevocationBus {
  publish(sessionIds: string[], until: number): Promise<void>;
  subscribe(listener: (sessionIds: string[], until: number) => void): void;
}

export interface Revocations {
  /** How long an entry lives: the access-token lifetime plus leeway. */
  readonly ttlMs: number;
  has(sessionId: string): boolean;
  /** Whether this access token's session is revoked; if so, its entry is kept until the token's own `exp` + leeway. */
  refuses(claims: { sid: string; exp: number }): boolean;
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
  leewayMs = 0,
  clock,
  bus,
  onRevoke,
}: {
  ttlMs: number;
  /** JWT_LEEWAY: a token is accepted this long past its `exp`. */
  leewayMs?: number;
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
  const has = (id: string) => {
    const end = until.get(id);
    if (end === undefined) return false;
    if (end > clock.now()) return true;
    until.delete(id);
    return false;
  };
  return {
    ttlMs,
    has,
    refuses({ sid, exp }) {
      if (!has(sid)) return false;
      add([sid], exp * 1000 + leewayMs + 1000);
      return true;
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
 * one). It follows the database's revocation sequence, not a clock — a skewed clock
 * cannot make it miss one — and rereads the numbers of its last `lag` calls, since a
 * number taken earlier may commit later than one taken after it; adding twice is
 * harmless. Each entry lives for the time left until the session's access tokens
 * expire, worked out on the database's clock.
 */
export function createRevocationSync({
  repo,
  revocations,
  clock,
  lag = 2,
}: {
  repo: Pick<SessionsRepository, 'revocationsAfter' | 'lastRevocation'>;
  revocations: Revocations;
  clock: Clock;
  /** How many earlier polls' numbers each poll reads again (cover the longest a revoking statement may take). */
  lag?: number;
}) {
  /** The number the last full load read up to: where a follower starts. */
  let loadedUpTo: number | undefined;
  const addRows = (rows: RevocationRow[]) => {
    const now = clock.now();
    for (const r of rows) if (r.remainingMs > 0) revocations.add([r.id], now + r.remainingMs);
  };
  return {
    async load() {
      const last = await repo.lastRevocation();
      const rows = await repo.revocationsAfter(null, revocations.ttlMs, pinnedTime(clock));
      addRows(rows);
      loadedUpTo = last;
      return rows.length;
    },
    follower() {
      const seen: number[] = [];
      return async () => {
        seen.push(seen.length ? seen[seen.length - 1] : (loadedUpTo ?? (await repo.lastRevocation())));
        if (seen.length > lag + 1) seen.shift();
        const rows = await repo.revocationsAfter(seen[0], revocations.ttlMs, pinnedTime(clock));
        addRows(rows);
        if (rows.length) seen[seen.length - 1] = Math.max(seen[seen.length - 1], rows[rows.length - 1].seq);
      };
    },
  };
}
