/**
 * Revocations carried between instances by Redis pub/sub: an instance that
 * ends a session publishes its id, every instance (itself included) adds it
 * to its revoked set at once.
 *
 * Pub/sub is fire-and-forget: a message published while an instance is
 * disconnected never reaches it. That is why it is not the only path — the
 * database is the record of every revocation, each instance polls it (see
 * `sessions.revocationFollower`) and reloads it when Redis comes back. A
 * failed publish is therefore not an error for the user who logged out.
 *
 * Messages are JSON `{ "ids": [...], "until": <ms> }` on the channel
 * `<REDIS_KEY_PREFIX>:revocations`; anything else on the channel is ignored.
 *
 * @example
 *   const bus = redisRevocationBus(redis, 'latchkey');
 *   const revocations = createRevocations({ ttlMs, clock, bus });
 */
import type { RedisLink } from '../shared/redis.js';
import type { RevocationBus } from './revocations.js';

export function redisRevocationBus(redis: RedisLink, prefix: string): RevocationBus {
  const channel = `${prefix}:revocations`;
  return {
    async publish(sessionIds, until) {
      // While Redis is away the database carries the revocation (within the poll interval).
      if (redis.client.status !== 'ready') return;
      await redis.client.publish(channel, JSON.stringify({ ids: sessionIds, until })).catch(() => {});
    },
    subscribe(listener) {
      redis.subscriber.on('message', (from: string, text: string) => {
        if (from !== channel) return;
        const message = parse(text);
        if (message) listener(message.ids, message.until);
      });
      // On every (re)connection, including the first one of an instance started while Redis was
      // away: nothing is queued while disconnected. SUBSCRIBE twice is harmless.
      const join = () => void redis.subscriber.subscribe(channel).catch(() => {});
      redis.subscriber.on('ready', join);
      if (redis.subscriber.status === 'ready') join();
    },
  };
}

function parse(text: string): { ids: string[]; until: number } | undefined {
  try {
    const value = JSON.parse(text) as { ids?: unknown; until?: unknown };
    const { ids, until } = value;
    if (
      !Array.isArray(ids) ||
      !ids.every((id) => typeof id === 'string') ||
      typeof until !== 'number' ||
      !Number.isFinite(until)
    ) {
      return undefined;
    }
    return { ids, until };
  } catch {
    return undefined;
  }
}
