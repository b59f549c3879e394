/** Wiring of revoked-session state: the in-process set, its Redis fan-out, the database poll and the feed. */
import type { AuthEvents } from '../auth/audit.js';
import type { Clock } from '../auth/clock.js';
import type { SessionsRepository } from '../auth/ports.js';
import { redisRevocationBus } from '../auth/revocationBus.js';
import { createRevocationFeed, type RevocationFeedRepository } from '../auth/revocationFeed.js';
import { type RevocationBus, createRevocationSync, createRevocations } from '../auth/revocations.js';
import type { Config } from '../config.js';
import type { Log } from '../shared/log.js';
import type { RedisLink } from '../shared/redis.js';

interface Deps {
  config: Config;
  clock: Clock;
  redis: RedisLink | undefined;
  /** Carries revocations between instances; default: Redis pub/sub when there is a connection. */
  bus: RevocationBus | undefined;
  events: AuthEvents | undefined;
  sessions: SessionsRepository;
  feed: RevocationFeedRepository;
}

export function revocationServices({ config, clock, redis, bus, events, sessions, feed }: Deps) {
  // A revoked session stays in the set as long as one of its access tokens could still be valid.
  const revokedFor = config.accessTokenTtlMs + config.jwtLeewayMs + 1000;
  const revocations = createRevocations({
    ttlMs: revokedFor,
    leewayMs: config.jwtLeewayMs,
    clock,
    bus: bus ?? (redis && redisRevocationBus(redis, config.redisKeyPrefix)),
    onRevoke: events?.revoked,
  });
  // Each poll rereads the revocation numbers of as many earlier polls as a revoking statement may take.
  const lag = config.revocationPollMs > 0 ? Math.ceil(config.databaseQueryTimeoutMs / config.revocationPollMs) + 1 : 2;
  const revocationSync = createRevocationSync({ repo: sessions, revocations, clock, lag });
  const revocationFeed = createRevocationFeed({ repo: feed, lifetimeMs: revocations.ttlMs, clock });
  return { revocations, revocationSync, revocationFeed };
}

/**
 * Fill the revoked set from the database (when `load`), and again each time Redis comes back.
 * Called last: every other service is built by then.
 */
export async function followRevocations({
  load,
  revocationSync,
  redis,
  log,
}: {
  load: boolean;
  revocationSync: Pick<ReturnType<typeof createRevocationSync>, 'load'>;
  redis: RedisLink | undefined;
  log: Log;
}): Promise<void> {
  // A start that fails now must not leave Redis connections keeping the process alive.
  if (load)
    await revocationSync.load().catch(async (e) => {
      await redis?.close();
      throw e;
    });
  // Pub/sub drops what is published while an instance is disconnected: reread it from the database.
  redis?.onReconnect(
    () =>
      void revocationSync.load().then(
        (n) => log.info({ revocations: n }, 'revocations reloaded from the database after Redis returned'),
        (err) =>
          log.warn({ err }, 'revocations could not be reloaded after Redis returned; the database poll will catch up'),
      ),
  );
}
