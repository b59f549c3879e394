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
import { access, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { sql } from 'drizzle-orm';
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
  /**
   * A round trip on a connection of its own, closed afterwards, that gives up after
   * `timeoutMs`: /readyz answers in time and never holds a pooled connection, however
   * busy or stalled the database is.
   */
  probe(timeoutMs: number): Promise<void>;
  /** The database's clock (ms since the epoch), read now. */
  clock(): Promise<number>;
  /**
   * Run `fn` while holding a database-wide lock named `name` (a PostgreSQL
   * advisory lock: instances on other machines wait too). The embedded
   * database has one process, which the directory lock already guarantees.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Close the connections (and release the embedded directory); calling it again is harmless. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  /** Pool size for PostgreSQL; small by default because this machine has 2 cores. */
  poolSize?: number;
  /** Longest a statement may run, on the server and waited for by the client (default: unbounded, as `latchkey migrate` wants). */
  queryTimeoutMs?: number;
  /** Longest a caller waits for a pooled (or new) connection (default 3 s). */
  poolTimeoutMs?: number;
  /**
   * For 'memory:': start from this data directory (a PGlite `dumpDataDir` archive) instead
   * of an empty one — tests copy one migrated database rather than run initdb and every
   * migration for each server (about a second each).
   */
  memoryImage?: Blob;
}

/** The embedded database directory is open in another process (or already in this one). */
export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
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
  // Inside a transaction (repositories bound to one, see `transactions`): the same text, sent
  // as a parameterised query on the transaction's connection.
  return async (values) => {
    const parts = text.split(/\$(\d+)/);
    const chunks = parts.map((part, i) => (i % 2 ? sql.param(values[Number(part) - 1]) : sql.raw(part)));
    const result = (await db.execute(sql.join(chunks))) as unknown as { rows: T[] };
    return result.rows;
  };
}

/** Extensions the embedded database loads: PostgreSQL ships them, PGlite bundles them apart (pg_trgm: the admin search). */
export const embeddedExtensions = { pg_trgm };

/** Open (but do not migrate) the configured database. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const url = options.databaseUrl;
  if (url && url !== 'memory:')
    return openPostgres(url, options.poolSize ?? 10, options.queryTimeoutMs, options.poolTimeoutMs ?? 3000);
  let client: PGlite;
  let unlock = async () => {};
  if (url === 'memory:') {
    client = await PGlite.create({ extensions: embeddedExtensions, loadDataDir: options.memoryImage });
  } else {
    await mkdir(options.dataDir, { recursive: true });
    // initdb wants an empty directory: a new one is locked right after it is made.
    const fresh = !(await exists(join(options.dataDir, 'PG_VERSION')));
    if (!fresh) unlock = await lockDataDir(options.dataDir);
    try {
      client = await PGlite.create(options.dataDir, { extensions: embeddedExtensions });
    } catch (e) {
      await unlock();
      throw e;
    }
    if (fresh) {
      try {
        unlock = await lockDataDir(options.dataDir);
      } catch (e) {
        await client.close().catch(() => {});
        throw e;
      }
    }
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  let closed: Promise<void> | undefined;
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    // In process: nothing to wait for but the process itself.
    probe: async () => {
      await client.query('select 1');
    },
    clock: async () => readClock((text) => client.query<{ ms: number }>(text)),
    exclusive: (_name, fn) => fn(),
    close: () => (closed ??= client.close().finally(unlock)),
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Data directories this process holds (a lock file naming our pid, left by a crash, is not ours). */
const held = new Set<string>();

/**
 * PGlite is a single-process database: a second process opening the same
 * directory (the CLI next to a running server) wedges both. So the directory
 * is taken with a lock file naming the owner's pid; a lock whose process is
 * gone is stale and taken over.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = join(resolve(dir), 'latchkey.pid');
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(String(process.pid));
      await file.close();
      held.add(path);
      return async () => {
        held.delete(path);
        await rm(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const pid = Number(await readFile(path, 'utf8').catch(() => ''));
      if (held.has(path) || (pid !== process.pid && isRunning(pid))) {
        throw new DatabaseInUseError(
          `the embedded database in ${dir} is in use by process ${pid} (a running \`latchkey serve\`?): stop it first, ` +
            `or run on PostgreSQL (DATABASE_URL) to use the command line next to the server; if no such process runs, delete ${path}`,
        );
      }
      await rm(path, { force: true });
    }
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const CLOCK = `select (extract(epoch from clock_timestamp()) * 1000)::float8 as ms`;
const readClock = async (query: (text: string) => Promise<{ rows: { ms: number }[] }>) =>
  Number((await query(CLOCK)).rows[0].ms);

/**
 * Every statement is bounded: PostgreSQL cancels one that runs longer than `queryTimeoutMs`
 * (statement_timeout) and ends a session left idle inside a transaction as long
 * (idle_in_transaction_session_timeout, so a stalled client cannot hold locks); the client
 * stops waiting after the same time plus a margin (query_timeout: a frozen server that
 * cannot cancel anything) and drops that connection. A request waits at most
 * `poolTimeoutMs` for a connection (pool full or server slow to accept).
 */
function openPostgres(url: string, max: number, queryTimeoutMs: number | undefined, poolTimeoutMs: number): Database {
  const limits = queryTimeoutMs
    ? {
        statement_timeout: queryTimeoutMs,
        idle_in_transaction_session_timeout: queryTimeoutMs,
        query_timeout: queryTimeoutMs + 500,
      }
    : {};
  const pool = new pg.Pool({
    connectionString: url,
    max,
    ...limits,
    // Fail fast when PostgreSQL is down or every connection is busy instead of queueing requests forever.
    connectionTimeoutMillis: poolTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Nor may a checked-out one (inside a transaction, between two statements): node-postgres
  // then emits 'error' on the client, and the pool listens only while it is idle. Its queries
  // still fail (INTERNAL_SERVER_ERROR for that request) and the pool drops it on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  let closed: Promise<void> | undefined;
  return {
    db,
    kind: 'postgres',
    ping: async () => {
      await pool.query('select 1');
    },
    async probe(timeoutMs) {
      const client = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: timeoutMs,
        query_timeout: timeoutMs,
        statement_timeout: timeoutMs,
      });
      client.on('error', () => {});
      const timer = setTimeout(() => void client.end().catch(() => {}), timeoutMs);
      try {
        await client.connect();
        await client.query('select 1');
      } finally {
        clearTimeout(timer);
        void client.end().catch(() => {});
      }
    },
    clock: () => readClock((text) => pool.query<{ ms: number }>(text)),
    async exclusive(name, fn) {
      // A session lock on a connection of its own, held while `fn` works on others.
      const holder = await pool.connect();
      try {
        await holder.query('select pg_advisory_lock(hashtext($1))', [name]);
        try {
          return await fn();
        } finally {
          await holder.query('select pg_advisory_unlock(hashtext($1))', [name]);
        }
      } finally {
        holder.release();
      }
    },
    close: () => (closed ??= pool.end()),
  };
}
