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
 * what it read, since it may be the row from before the change. Gets that miss while a read
 * of the same account is on its way wait for that read (one query, not one per request).
 *
 * @example
 *   const cache = createUserCache(1000);
 *   await cache.get(id, load); // load(id), kept for a second
 *   cache.forget(id);          // after a change: the next get loads again
 */
import { LRUCache } from 'lru-cache';
import type { UserWithProfile } from './ports.js';

/** How a get was answered: from memory, by a read another get had begun, or by a read of its own. */
export type UserCacheAnswer = 'hit' | 'shared' | 'read';

export interface UserCache {
  get(id: string, load: (id: string) => Promise<UserWithProfile | undefined>): Promise<UserWithProfile | undefined>;
  forget(id: string): void;
}

/** Entries at most: a user and profile are ~1 kB, so the cache stays under ~10 MB. */
const MAX_ENTRIES = 10_000;

/** `answered` is told how each get was answered (the metrics of src/http/metrics.ts). */
export function createUserCache(ttlMs: number, answered: (how: UserCacheAnswer) => void = () => {}): UserCache {
  if (ttlMs <= 0)
    return {
      get(id, load) {
        answered('read');
        return load(id);
      },
      forget() {},
    };
  const kept = new LRUCache<string, UserWithProfile>({ max: MAX_ENTRIES, ttl: ttlMs });
  // Reads on their way, one per account: the requests that miss together (an app's parallel
  // calls, or many clients of one account) share a read instead of each making its own.
  const loading = new Map<string, Promise<UserWithProfile | undefined>>();
  return {
    get(id, load) {
      const hit = kept.get(id);
      if (hit) {
        answered('hit');
        return Promise.resolve(hit);
      }
      const pending = loading.get(id);
      if (pending) {
        answered('shared');
        return pending;
      }
      answered('read');
      const read = load(id).then(
        (found) => {
          // Still the account's current read: no forget came while it was on its way.
          if (loading.get(id) === read) {
            loading.delete(id);
            if (found) kept.set(id, found);
          }
          return found;
        },
        (error: unknown) => {
          if (loading.get(id) === read) loading.delete(id);
          throw error;
        },
      );
      loading.set(id, read);
      return read;
    },
    forget(id) {
      kept.delete(id);
      // A read begun before the change may return the row it replaced: later gets read anew,
      // and that read is not kept.
      loading.delete(id);
    },
  };
}
