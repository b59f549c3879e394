/**
 * The databases integration tests run on: in-memory PGlite always, and a real
 * PostgreSQL when one is reachable (LATCHKEY_TEST_PG, default
 * postgres://postgres@127.0.0.1:5432/test). CI sets LATCHKEY_REQUIRE_PG=1,
 * which turns "PostgreSQL unreachable" from a printed skip into a failure.
 * Each test suite gets its own fresh PostgreSQL database, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_BASE_URL = process.env.LATCHKEY_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REQUIRE_PG = process.env.LATCHKEY_REQUIRE_PG === '1' || process.env.CI === 'true';

let reachable: Promise<boolean> | undefined;
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

/** A new, empty PostgreSQL database; `drop()` removes it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `lk_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_BASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_BASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_BASE_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface DatabaseTarget {
  name: 'pglite' | 'postgres';
  /** Make a fresh database and return its DATABASE_URL, plus cleanup. */
  create(): Promise<{ url: string; drop(): Promise<void> }>;
}

const pglite: DatabaseTarget = { name: 'pglite', create: async () => ({ url: 'memory:', drop: async () => {} }) };
const postgres: DatabaseTarget = { name: 'postgres', create: freshPostgresDatabase };

/**
 * The targets to run a suite on. PostgreSQL is included when reachable; when
 * it is not, a reason is printed and (under CI) the run fails.
 */
export async function databaseTargets(): Promise<DatabaseTarget[]> {
  if (await postgresReachable()) return [pglite, postgres];
  if (REQUIRE_PG) throw new Error(`PostgreSQL is required (LATCHKEY_REQUIRE_PG/CI) but unreachable at ${PG_BASE_URL}`);
  console.warn(`[skip] PostgreSQL unreachable at ${PG_BASE_URL}: running on PGlite only`);
  return [pglite];
}
