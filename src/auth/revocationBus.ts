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

export function redisRevocationBus(redis: RedisLink, prefix: string, now: () => number = Date.now): RevocationBus {
  const channel = `${prefix}:revocations`;
  const later: { message: string; until: number }[] = [];
  const retry = setInterval(async () => {
    while (later.length && later[0].until <= now()) later.shift();
    if (!later.length || redis.client.status !== 'ready') return;
    try {
      await redis.client.publish(channel, later[0].message);
      later.shift();
    } catch {
      // Still away: the next tick tries again.
    }
  }, 500);
  retry.unref();
  return {
    async publish(sessionIds, until) {
      const message = JSON.stringify({ ids: sessionIds, until });
      // A request never waits on Redis longer than the breaker allows; a message that could not go
      // now (Redis skipped, slow or away) is sent again in the background until it goes or is moot.
      // The database poll carries it meanwhile.
      const sent =
        redis.client.status === 'ready' &&
        (await redis.breaker.run(
          () => redis.client.publish(channel, message).then(() => true),
          () => false,
        ));
      if (!sent) later.push({ message, until });
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
