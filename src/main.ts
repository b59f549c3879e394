/**
 * Start: config → database (checked or migrated) → services → app → listen,
 * with graceful shutdown. `latchkey serve` and `npm start` run `startServer`.
 */
import type { FastifyInstance } from 'fastify';
import { type Clock, correctedClock, systemClock } from './auth/clock.js';
import type { RevocationBus } from './auth/revocations.js';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import type { LogStream } from './http/logging.js';
import { createMetrics } from './http/metrics.js';
import type { Log } from './shared/log.js';
import { type Services, createServices } from './services.js';
import { StartupError, openCheckedDatabase } from './store/open.js';
import type { Database } from './store/db.js';
import { warmUpPasskeys } from './auth/passkeys.js';

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
  /** Where the server's own logger writes (stdout when omitted; ignored with `logger`). */
  logStream?: LogStream;
  /** A database already opened and migrated (tests: an in-memory copy of one); closed with the server. */
  database?: Database;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<Server> {
  // Without it the refresh and code keys sit in plain text in the database: whoever reads a
  // backup or a replica can forge a refresh token for any live session.
  if (config.production && !config.keySecret) {
    throw new StartupError(
      'NODE_ENV=production requires LATCHKEY_KEY_SECRET (at least 16 characters): it encrypts the signing, refresh and code keys stored in the database',
    );
  }
  const database = options.database ?? (await openCheckedDatabase(config));
  // Every instance keeps the database's time, whatever its own clock says: tokens are stamped
  // and judged on one clock across the cluster (a test's injected clock is kept as it is).
  const corrected = options.clock || database.kind === 'pglite' ? undefined : correctedClock();
  const readDatabaseClock = async () => {
    const sentAt = Date.now();
    const reference = await database.clock();
    corrected?.observe(reference, sentAt, Date.now());
  };
  if (corrected) await readDatabaseClock().catch(() => {});
  const clock = options.clock ?? corrected ?? systemClock;
  const metrics = createMetrics();
  let services: Services | undefined;
  let app: FastifyInstance | undefined;
  // The app (and its logger) is built after the services; news from before goes to stderr.
  const log: Log = {
    warn: (details, message) => (app ? app.log.warn(details, message) : console.error(`latchkey: ${message}`)),
    info: (details, message) => app?.log.info(details, message),
  };
  try {
    services = await createServices({
      config,
      database,
      clock,
      events: metrics.events,
      bus: options.bus,
      log,
      onMailError: (err) => log.warn({ err }, 'mail not sent'),
      webhookEvents: metrics.webhookEvents,
      userCacheAnswers: metrics.userCacheAnswers,
    });
    app = await buildApp({ services, metrics, logger: options.logger, logStream: options.logStream });
    startWarnings(config, database.kind, app.log);
  } catch (e) {
    await services?.close().catch(() => {});
    await database.close().catch(() => {});
    throw e;
  }

  // Every failed tick is counted (a metric), though only the first of an outage is logged.
  const failed = (task: string) => metrics.backgroundFailures.inc({ task });
  const timers = [
    setInterval(() => services.revocations.sweep(), 60_000),
    // Keys rotated by another instance or the CLI are picked up within seconds.
    every(5_000, 'signing-key reload', () => services.keys.reload(), log, failed),
  ];
  if (corrected) timers.push(every(5_000, 'database clock reading', readDatabaseClock, log, failed));
  // Revocations made elsewhere (the CLI, another instance, one whose Redis message was lost)
  // reach this process within a second: one indexed query per interval, never one per request.
  // The database is the record; Redis pub/sub only makes it faster.
  if (config.revocationPollMs > 0) {
    timers.push(every(config.revocationPollMs, 'revocation sync', services.revocationSync.follower(), log, failed));
  }
  for (const t of timers) t.unref();
  // Delivers the webhook outbox (every instance; rows are leased, so none posts one twice at once).
  services.webhookWorker.start();

  let url = '';
  if (options.listen !== false) url = await listen(app, config);
  await app.ready();
  // The WebAuthn library is loaded after the start, not before it (nor by CLI commands).
  void warmUpPasskeys();
  // Discover the external providers now, without holding the start: one that cannot be reached
  // is said once here, answers PROVIDER_ERROR, and is tried again when next used.
  void services.oauth.warmUp().then((failures) => {
    for (const { provider, reason } of failures)
      log.warn(
        { provider, reason },
        `sign-in provider ${provider} is unavailable (discovery failed); its button answers PROVIDER_ERROR until it answers`,
      );
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const t of timers) clearInterval(t);
      // Stops accepting at once; resolves when the requests in flight have been answered and
      // their connections closed. Fastify closes the keep-alive connections idle at that moment;
      // one busy then would stay open until the client drops it, so close each as it turns idle.
      const stopped = app.close();
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      await stopped.finally(() => clearInterval(sweep));
      await services.close();
      await database.close();
    })());
  return { app, services, url, close };
}

/** Listen on HOST:PORT; a failure says which setting to change, not only the system's code. */
async function listen(app: FastifyInstance, config: Config): Promise<string> {
  try {
    return await app.listen({ port: config.port, host: config.host });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES')
      throw new StartupError(
        `PORT=${config.port} cannot be used on HOST=${config.host} (${code}): expected a free port`,
      );
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EADDRNOTAVAIL')
      throw new StartupError(
        `HOST=${config.host} cannot be listened on (${code}): expected an address of this machine, or a name that resolves to one`,
      );
    throw e;
  }
}

/** What an operator must hear at every start: a weakness they chose, or a default they may not know. */
function startWarnings(config: Config, kind: 'pglite' | 'postgres', log: FastifyInstance['log']): void {
  if (!config.keySecret && kind === 'postgres') {
    log.warn(
      'LATCHKEY_KEY_SECRET is not set: the refresh-token and one-time-code keys are stored in plain text in PostgreSQL. ' +
        'Anyone who reads the signing_keys table (a backup, a replica, a dump) can forge a refresh token for any live session. ' +
        'Set LATCHKEY_KEY_SECRET on every instance (NODE_ENV=production refuses to start without it).',
    );
  }
  if (!config.production) {
    log.info(
      'NODE_ENV is not "production": GraphQL introspection and "Did you mean" suggestions are on (NODE_ENV=production turns them off)',
    );
  }
}

/**
 * Run `task` every `ms` ms in the background. An outage (the database down) is
 * one warning when the task starts failing and one line when it works again,
 * not a warning per tick; a tick is skipped while the previous run is still
 * waiting (a slow database must not pile up queries).
 */
function every(ms: number, name: string, task: () => Promise<unknown>, log: Log, failed: (task: string) => void) {
  let running = false;
  let failing = false;
  return setInterval(() => {
    if (running) return;
    running = true;
    task()
      .then(
        () => {
          if (failing) log.info({ task: name }, `${name} works again`);
          failing = false;
        },
        (err) => {
          failed(name);
          if (!failing)
            log.warn({ err, task: name }, `${name} failed; retrying every ${ms} ms, quietly until it works`);
          failing = true;
        },
      )
      .finally(() => {
        running = false;
      });
  }, ms);
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
