/**
 * The one place this server connects to Redis (REDIS_URL): a connection for
 * commands (rate-limit counters, publishing revocations) and one for
 * SUBSCRIBE (a subscribed connection can run no other command).
 *
 * Redis helps; it is never needed to serve. The server starts without it,
 * commands fail fast while it is away (no offline queue), and callers go
 * through `breaker`: a command waits at most REDIS_COMMAND_TIMEOUT (100 ms),
 * and after one failed or timed out Redis is skipped for REDIS_BREAKER_COOLDOWN
 * — limits count in this process's memory, revocations travel by the database
 * poll — so a frozen Redis (connected but silent) costs one short wait per
 * cooldown, not one per request. An outage is logged once when it starts and
 * once when it ends (not once per request, nor per reconnect attempt), and the
 * listeners given to `onReconnect` run when Redis answers again, to resync
 * what pub/sub could not deliver meanwhile.
 *
 * @example
 *   const redis = await connectRedis('redis://127.0.0.1:6379', log);
 *   redis.onReconnect(() => reloadRevocations());
 *   await redis.client.publish('channel', 'message');
 *   await redis.close();
 */
import type { Redis, RedisOptions } from 'ioredis';
import { type Breaker, createBreaker } from './breaker.js';
import type { Log } from './log.js';

export interface RedisLink {
  /** Commands; fails fast while Redis is unreachable. */
  readonly client: Redis;
  /** Subscriptions only: subscribe again on each 'ready' (nothing is queued while it is down). */
  readonly subscriber: Redis;
  /** Every command of a request goes through it (see the top of this file). */
  readonly breaker: Breaker;
  /** Run `listener` each time Redis is back after an outage. */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

const options: RedisOptions = {
  lazyConnect: true,
  // Fail at once rather than queue while disconnected: a login must not wait for Redis.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 3000,
  // Try again every second at most, so a returning Redis is used (and resynced) within about a second.
  retryStrategy: (times) => Math.min(times * 100, 1000),
};

/**
 * Connect to Redis. Resolves once both connections are up or have failed
 * their first attempt (then they keep retrying in the background, and the
 * failure is logged once): an unreachable Redis never stops the start.
 */
export async function connectRedis(
  url: string,
  log: Log,
  { commandTimeoutMs = 100, cooldownMs = 5000 }: { commandTimeoutMs?: number; cooldownMs?: number } = {},
): Promise<RedisLink> {
  // The breaker bounds every wait a request makes; ioredis's own timeout is only a backstop that
  // clears commands a frozen Redis never answers (a short one would fire, like any timer, ahead
  // of a reply already read off the socket after an event-loop stall, and trip the breaker).
  // Loaded only when Redis is configured: most CLI commands and single-instance servers never need it.
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { ...options, commandTimeout: Math.max(1000, commandTimeoutMs * 10) });
  const subscriber = client.duplicate();
  const down = new Set<Redis>([client, subscriber]);
  const listeners: (() => void)[] = [];
  let outage = false;
  let closing = false;

  const started = (err?: unknown) => {
    if (closing || outage) return;
    outage = true;
    log.warn(
      { err, redis: redacted(url) },
      'Redis unreachable: rate limits count in this instance only and revocations travel through the database until it returns',
    );
  };
  const ended = () => {
    if (!outage || down.size || breaker.failing()) return;
    outage = false;
    log.info({ redis: redacted(url) }, 'Redis reachable again');
    for (const listener of listeners) listener();
  };
  // A frozen Redis keeps its connections open: only commands that time out tell.
  const breaker = createBreaker({ timeoutMs: commandTimeoutMs, cooldownMs, onOpen: started, onClose: ended });
  const lost = (conn: Redis, err?: Error) => {
    if (closing) return;
    down.add(conn);
    started(err);
  };
  const back = (conn: Redis) => {
    down.delete(conn);
    // Reconnected: try it again at once rather than after the cooldown.
    if (!down.size) breaker.reset();
    ended();
  };
  for (const conn of [client, subscriber]) {
    conn.on('error', (err: Error) => lost(conn, err));
    conn.on('close', () => lost(conn));
    conn.on('ready', () => back(conn));
  }
  await Promise.all([client.connect().catch(() => {}), subscriber.connect().catch(() => {})]);

  return {
    client,
    subscriber,
    breaker,
    onReconnect: (listener) => void listeners.push(listener),
    async close() {
      closing = true;
      // QUIT lets pending replies arrive; a connection that is down is just dropped.
      await Promise.all(
        [client, subscriber].map((conn) =>
          conn.status === 'ready' ? conn.quit().catch(() => conn.disconnect()) : conn.disconnect(),
        ),
      );
    },
  };
}

/** The URL without its password, for logs. */
function redacted(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = 'redacted';
  return u.toString();
}
