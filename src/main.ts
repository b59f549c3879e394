/**
 * Start: config → database (checked or migrated) → services → app → listen,
 * with graceful shutdown. `latchkey serve` and `npm start` run `startServer`.
 */
import type { FastifyInstance } from 'fastify';
import { type Clock, systemClock } from './auth/clock.js';
import type { RevocationBus } from './auth/revocations.js';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { type Services, createServices } from './services.js';
import { openCheckedDatabase } from './store/open.js';

// Where the database is opened and checked; re-exported for callers that start here.
export { StartupError, openCheckedDatabase } from './store/open.js';

export interface Server {
  app: FastifyInstance;
  services: Services;
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  bus?: RevocationBus;
  /** Listen (default) or only build the app (tests that use inject). */
  listen?: boolean;
  logger?: boolean | object;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<Server> {
  const clock = options.clock ?? systemClock;
  const database = await openCheckedDatabase(config);
  const metrics = createMetrics();
  let services: Services | undefined;
  let app: FastifyInstance;
  try {
    services = await createServices({
      config,
      database,
      clock,
      events: metrics.events,
      bus: options.bus,
      onMailError: (err) => app.log.warn({ err }, 'mail not sent'),
    });
    app = await buildApp({ services, metrics, logger: options.logger });
  } catch (e) {
    await services?.close().catch(() => {});
    await database.close().catch(() => {});
    throw e;
  }

  // Revocations made elsewhere (the CLI, another instance without Redis) reach this
  // process within a second: one indexed query per interval, never one per request.
  const syncRevocations = services.sessions.revocationFollower();
  const timers = [
    setInterval(() => void syncRevocations().catch((err) => app.log.warn({ err }, 'revocation sync failed')), 500),
    setInterval(() => services.revocations.sweep(), 60_000),
    // Keys rotated by another instance or the CLI are picked up within seconds.
    setInterval(() => void services.keys.reload().catch((err) => app.log.warn({ err }, 'key reload failed')), 5_000),
  ];
  for (const t of timers) t.unref();

  let url = '';
  if (options.listen !== false) url = await app.listen({ port: config.port, host: config.host });
  await app.ready();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const t of timers) clearInterval(t);
      await app.close();
      await services.close();
      await database.close();
    })());
  return { app, services, url, close };
}

/** Stop on SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the pool, exit 0 (forced after 10 s). */
export function handleSignals(server: Server): void {
  const stop = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 10_000).unref();
    server.close().then(
      () => process.exit(0),
      (err) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
