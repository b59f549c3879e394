/**
 * Schema migrations: apply the committed drizzle-kit migrations, and tell
 * whether a database is current. The server refuses to start on a schema that
 * is behind, so the refresh-token blacklist can never be silently missing.
 */
import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTableName, isTable, sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { canonicalizeEmails, type EmailReport } from './canonicalEmails.js';
import type { Database } from './db.js';
import * as schema from './schema.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The committed migrations live in src/store/migrations, whether running from src/ or from dist/src/. */
async function migrationsFolder(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, 'migrations'), join(dir, 'src', 'store', 'migrations')]) {
      if (await exists(join(candidate, 'meta', '_journal.json'))) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error('migrations folder not found');
}

const config = async () => ({
  migrationsFolder: await migrationsFolder(),
  migrationsSchema: 'drizzle',
  migrationsTable: '__drizzle_migrations',
});

/**
 * Bring the schema up to date. Idempotent, and safe to run from several
 * instances at once: they take turns (Drizzle reads the last applied migration
 * before its transaction, so two at once would both apply it and one would fail).
 */
export async function migrate(
  database: Database,
  { checkEmails = false } = {},
): Promise<{ applied: number; emails?: EmailReport }> {
  return database.exclusive('latchkey-migrate', async () => {
    const before = await schemaStatus(database);
    // Drizzle applies all pending migrations in one transaction.
    if (database.kind === 'pglite') await migratePglite(database.db as never, await config());
    else await migratePg(database.db as never, await config());
    // Stored emails become canonical (0001) in code: SQL has no IDNA. Run again by
    // `latchkey migrate` (checkEmails), which lists what could not be converted.
    const emails = before.pending || checkEmails ? await canonicalizeEmails(database) : undefined;
    return { applied: before.pending, emails };
  });
}

export interface SchemaStatus {
  current: boolean;
  applied: number;
  pending: number;
  /** Tables of the schema that are not in the database (dropped by hand, restored partially…). */
  missing: string[];
}

/** Every table the code uses, the refresh-token blacklist among them. */
const requiredTables = Object.values(schema).flatMap((t) => (isTable(t) ? [getTableName(t)] : []));

/** How many committed migrations this database has not applied yet. */
let files: ReturnType<typeof readMigrationFiles> | undefined;

export async function schemaStatus(database: Database): Promise<SchemaStatus> {
  // The committed migrations do not change while the process runs: read them once.
  files ??= readMigrationFiles(await config());
  const exists = await database.db.execute<{ exists: boolean }>(
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`,
  );
  const names = sql.join(
    requiredTables.map((t) => sql`(${t})`),
    sql`, `,
  );
  const missing = rows<{ name: string }>(
    await database.db.execute(
      sql`select name from (values ${names}) as t(name) where to_regclass(name) is null order by name`,
    ),
  ).map((r) => r.name);
  if (!rows<{ exists: boolean }>(exists)[0]?.exists)
    return { current: false, applied: 0, pending: files.length, missing };
  const applied = rows<{ created_at: string }>(
    await database.db.execute(sql`select created_at from drizzle.__drizzle_migrations`),
  ).map((r) => Number(r.created_at));
  const last = applied.length ? Math.max(...applied) : -1;
  const pending = files.filter((f) => f.folderMillis > last).length;
  return { current: pending === 0 && missing.length === 0, applied: applied.length, pending, missing };
}

/**
 * What an operator should read about a schema that is not current, or
 * undefined when it is. Migrations recorded but a table gone is not something
 * `latchkey migrate` can mend: it says so.
 */
export function schemaProblem(status: SchemaStatus): string | undefined {
  if (status.pending)
    return `database schema is behind (${status.pending} migration(s) pending): run \`latchkey migrate\``;
  if (status.missing.length) {
    return `database schema is incomplete: table(s) ${status.missing.join(', ')} missing although every migration is recorded as applied; restore them from a backup (the refresh-token blacklist cannot be skipped)`;
  }
  return undefined;
}

/** node-postgres returns `{ rows }`, PGlite too; Drizzle passes them through. */
export function rows<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}
