/**
 * A fresh PostgreSQL database per benchmark run, dropped afterwards: the bench never
 * touches a database it did not create. The server is LATCHKEY_BENCH_PG (default
 * postgres://postgres@127.0.0.1:5432/postgres, whose `postgres` database is only used
 * to create and drop).
 *
 * @example
 *   const db = await freshDatabase('lk_bench');
 *   … db.url …
 *   await db.drop();
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const BENCH_PG = process.env.LATCHKEY_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface FreshDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_PG, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function freshDatabase(prefix: string): Promise<FreshDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(BENCH_PG);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** The server's version line, for the machine description. */
export async function postgresVersion(): Promise<string> {
  return admin(async (c) => {
    const { rows } = await c.query<{ server_version: string }>('show server_version');
    return `PostgreSQL ${rows[0].server_version.split(' ')[0]}`;
  });
}
