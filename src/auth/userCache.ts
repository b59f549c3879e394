/**
 * The signed-in user's own row and profile, kept for `USER_CACHE_TTL` (1 s by default), so
 * `me` — the request an app sends most — is answered without the database most of the time.
 *
 * Fresh enough, and why: every change to an account is audited, and the audit tells this
 * cache (src/services.ts), so a change made through this instance is seen by the next `me`
 * at once. A change made elsewhere (another instance, the CLI, SQL) shows within the TTL —
 * the bound revocations already have when Redis is away. Who may use the account is never
 * decided here: a deactivated or deleted account's sessions are revoked, and the token
 * check refuses them before `me` reads this. A read that overlapped a forget does not store
 * what it read, since it may be the row from before the change.
 *
 * @example
 *   const cache = createUserCache(1000);
 *   await cache.get(id, load); // load(id), kept for a second
 *   cache.forget(id);          // after a change: the next get loads again
 */
import { LRUCache } from 'lru-cache';
import type { UserWithProfile } from './ports.js';

export interface UserCache {
  get(id: string, load: (id: string) => Promise<UserWithProfile | undefined>): Promise<UserWithProfile | undefined>;
  forget(id: string): void;
}

/** Entries at most: a user and profile are ~1 kB, so the cache stays under ~10 MB. */
const MAX_ENTRIES = 10_000;

export function createUserCache(ttlMs: number): UserCache {
  if (ttlMs <= 0) return { get: (id, load) => load(id), forget() {} };
  const kept = new LRUCache<string, UserWithProfile>({ max: MAX_ENTRIES, ttl: ttlMs });
  // Counts forgets: a load that saw it move may have read what the change replaced.
  let forgets = 0;
  return {
    async get(id, load) {
      const hit = kept.get(id);
      if (hit) return hit;
      const before = forgets;
      const found = await load(id);
      if (found && before === forgets) kept.set(id, found);
      return found;
    },
    forget(id) {
      kept.delete(id);
      forgets++;
    },
  };
}
