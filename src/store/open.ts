/**
 * Opening the configured database for the server and the CLI, checked: its
 * schema must be current before anything uses it (no HTTP here, so commands
 * start without loading the web stack).
 *
 * @example
 *   const database = await openCheckedDatabase(config); // or StartupError: run `latchkey migrate`
 */
import { type Config, hideUrlPassword } from '../config.js';
import { describeEmailReport } from './canonicalEmails.js';
import { type Database, openDatabase } from './db.js';
import { migrate, schemaProblem, schemaStatus } from './migrate.js';

export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * Open the configured database and make sure its schema is current. The
 * embedded database is migrated automatically; a PostgreSQL server only with
 * LATCHKEY_AUTO_MIGRATE=true — otherwise a schema that is behind stops the start
 * (the refresh-token blacklist must never be silently missing).
 */
export async function openCheckedDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'autoMigrate'> &
    Partial<Pick<Config, 'databaseQueryTimeoutMs' | 'databasePoolTimeoutMs'>>,
): Promise<Database> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    queryTimeoutMs: config.databaseQueryTimeoutMs,
    poolTimeoutMs: config.databasePoolTimeoutMs,
  });
  try {
    await database.ping().catch((e: Error) => {
      const where = config.databaseUrl ? hideUrlPassword(config.databaseUrl) : config.dataDir;
      throw new StartupError(`cannot reach the database at ${where}: ${rootCause(e).message.split('\n')[0]}`);
    });
    const autoMigrate = database.kind === 'pglite' || config.autoMigrate;
    if (autoMigrate) {
      const { emails } = await migrate(database);
      if (emails) for (const line of describeEmailReport(emails)) console.error(`latchkey: ${line}`);
    }
    // Checked after migrating too: a table dropped by hand is not something migrations restore.
    const status = await schemaStatus(database);
    const problem = schemaProblem(status);
    if (problem)
      throw new StartupError(
        status.pending && !autoMigrate ? `${problem} (or set LATCHKEY_AUTO_MIGRATE=true)` : problem,
      );
    return database;
  } catch (e) {
    await database.close().catch(() => {});
    throw e;
  }
}

/** The innermost `cause` of an error (drivers wrap the useful one). */
function rootCause(e: Error): Error {
  let inner = e;
  for (let i = 0; i < 10 && inner.cause instanceof Error; i++) inner = inner.cause;
  return inner;
}
