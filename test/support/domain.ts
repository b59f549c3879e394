/**
 * The domain (src/auth and its repositories) without HTTP, for unit tests:
 * in-memory PGlite, migrated, and a manual clock. Services are built by the
 * same `createServices` the server uses, so there is one wiring.
 *
 * @example
 *   const d = await startDomain({ env: { ACCESS_TOKEN_TTL: '1m' } });
 *   const user = await d.accounts.register({ email: uniqueEmail(), password: TEST_PASSWORD }, noMeta);
 *   d.clock.advance(60_000);
 *   await d.close();
 */
import { type ManualClock, manualClock } from '../../src/auth/clock.js';
import { AuthError } from '../../src/auth/errors.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { type Database, openDatabase } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { memoryImage } from './databases.js';
import { type Later, perSuite, resolveLater } from './suite.js';

/** A fixed start for manual clocks: whole seconds, so JWT times (seconds) line up with it. */
export const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** Settings as loadConfig makes them from `env`, quiet and without the common-password list. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ DATABASE_URL: 'memory:', LOG_LEVEL: 'silent', PASSWORD_BLOCK_COMMON: 'false', ...env });
}

/** A migrated in-memory PGlite: a copy of the run's template (migrating it again finds nothing to do). */
export async function memoryDatabase(): Promise<Database> {
  const database = await openDatabase({ databaseUrl: 'memory:', dataDir: '', memoryImage: await memoryImage() });
  await migrate(database);
  return database;
}

export interface Domain extends Services {
  clock: ManualClock;
  /** Run SQL on the database (test setup and assertions only). */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface DomainOptions {
  env?: Record<string, string>;
  clock?: ManualClock;
  /** Another domain's database: this one plays a second instance (or a restart) on it. */
  database?: Database;
}

/**
 * Services on a fresh in-memory database (or `database`, to play a second
 * instance on the same one), on a manual clock starting at T0.
 */
export async function startDomain(options: DomainOptions = {}): Promise<Domain> {
  const clock = options.clock ?? manualClock(T0);
  const database = options.database ?? (await memoryDatabase());
  const services = await createServices({ config: testConfig(options.env), database, clock });
  return {
    ...services,
    clock,
    sql: (query, params) => rawQuery(database, query, params),
    close: async () => {
      await services.close();
      if (!options.database) await database.close();
    },
  };
}

/** The domain of a suite, started before its tests and closed after them (`options` may wait until then). */
export function suiteDomain(options: Later<DomainOptions> = {}): Domain {
  return perSuite(
    () => startDomain(resolveLater(options)),
    (d) => d.close(),
  );
}

/** Plain SQL through the database's own driver (PGlite or node-postgres). */
export async function rawQuery<T>(database: Database, query: string, params: unknown[] = []): Promise<T[]> {
  const client = (database.db as unknown as { $client: { query(q: string, p?: unknown[]): Promise<{ rows: T[] }> } })
    .$client;
  return (await client.query(query, params)).rows;
}

/** How a service call ended: 'ok', or the code of the AuthError it threw (anything else is rethrown). */
export function codeOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'ok',
    (e) => (e instanceof AuthError ? e.code : Promise.reject(e)),
  );
}
