/**
 * Opening the database: embedded PGlite (a directory or memory) or a
 * PostgreSQL server through node-postgres. Both are async drivers behind the
 * same Drizzle `pg-core` API, so repositories are written once.
 *
 * @example
 *   const store = await openDatabase({ databaseUrl: 'memory:', dataDir: '' });
 *   await migrate(store);
 *   await store.close();
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A Drizzle database or a transaction on it: repositories accept either. */
export type Executor = Pick<Db, 'select' | 'insert' | 'update' | 'delete' | 'execute' | 'transaction'>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** A cheap round trip, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  /** Pool size for PostgreSQL; small by default because this machine has 2 cores. */
  poolSize?: number;
}

/**
 * A hot statement Drizzle cannot name (a raw `sql` with data-modifying CTEs), as a named
 * prepared statement: PostgreSQL parses and plans it once per connection instead of on
 * every call — on a small machine, planning a rotation cost as much as running it.
 * On PGlite (in process) it is a plain parameterised query. Rows come back as the
 * driver gives them (snake_case columns, timestamptz as Date).
 *
 * @example
 *   const touch = preparedStatement<{ id: string }>(db, 'latchkey_touch', 'update sessions set last_used_at = $1 where id = $2 returning id');
 *   const rows = await touch([new Date().toISOString(), id]);
 */
export function preparedStatement<T>(db: Executor, name: string, text: string): (params: unknown[]) => Promise<T[]> {
  const client = (db as unknown as { $client?: pg.Pool | PGlite }).$client;
  if (client instanceof pg.Pool) return async (values) => (await client.query({ name, text, values })).rows as T[];
  if (client instanceof PGlite) return async (values) => (await client.query<T>(text, values)).rows;
  throw new Error('preparedStatement needs the database handle itself (not a transaction)');
}

/** Open (but do not migrate) the configured database. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const url = options.databaseUrl;
  if (url && url !== 'memory:') return openPostgres(url, options.poolSize ?? 10);
  let client: PGlite;
  if (url === 'memory:') {
    client = await PGlite.create();
  } else {
    await mkdir(options.dataDir, { recursive: true });
    client = await PGlite.create(options.dataDir);
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    close: () => client.close(),
  };
}

function openPostgres(url: string, max: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // Fail fast when PostgreSQL is down instead of queueing requests forever.
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}
