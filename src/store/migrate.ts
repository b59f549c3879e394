/**
 * Schema migrations: apply the committed drizzle-kit migrations, and tell
 * whether a database is current. The server refuses to start on a schema that
 * is behind, so the refresh-token blacklist can never be silently missing.
 */
import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { Database } from './db.js';

const exists = (path: string) => access(path).then(() => true, () => false);

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

const config = async () => ({ migrationsFolder: await migrationsFolder(), migrationsSchema: 'drizzle', migrationsTable: '__drizzle_migrations' });

/** Bring the schema up to date. Idempotent. */
export async function migrate(database: Database): Promise<{ applied: number }> {
  const before = await schemaStatus(database);
  // Drizzle applies all pending migrations in one transaction.
  if (database.kind === 'pglite') await migratePglite(database.db as never, await config());
  else await migratePg(database.db as never, await config());
  return { applied: before.pending };
}

export interface SchemaStatus {
  current: boolean;
  applied: number;
  pending: number;
}

/** How many committed migrations this database has not applied yet. */
let files: ReturnType<typeof readMigrationFiles> | undefined;

export async function schemaStatus(database: Database): Promise<SchemaStatus> {
  // The committed migrations do not change while the process runs: read them once.
  files ??= readMigrationFiles(await config());
  const exists = await database.db.execute<{ exists: boolean }>(
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`,
  );
  if (!rows<{ exists: boolean }>(exists)[0]?.exists) return { current: files.length === 0, applied: 0, pending: files.length };
  const applied = rows<{ created_at: string }>(
    await database.db.execute(sql`select created_at from drizzle.__drizzle_migrations`),
  ).map((r) => Number(r.created_at));
  const last = applied.length ? Math.max(...applied) : -1;
  const pending = files.filter((f) => f.folderMillis > last).length;
  return { current: pending === 0, applied: applied.length, pending };
}

/** node-postgres returns `{ rows }`, PGlite too; Drizzle passes them through. */
export function rows<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}
