/**
 * Fail closed (API.md §4.7): the refresh-token blacklist can never be silently
 * off. On PostgreSQL a schema that is behind (a fresh database, migrations
 * rolled back) or missing a table stops `latchkey serve` with a message saying
 * what to do; LATCHKEY_AUTO_MIGRATE=true migrates; `latchkey migrate` is
 * idempotent; /readyz reports the schema. The embedded database migrates itself.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/main.js';
import { latchkey, serve } from '../support/cli.js';
import { freshPostgresDatabase, postgresAvailable } from '../support/databases.js';

const pgAvailable = await postgresAvailable('fail-closed tests on PostgreSQL');

/** How many migrations the repository ships (each one is a pending step on a fresh database). */
const MIGRATIONS: number = JSON.parse(
  await readFile(new URL('../../src/store/migrations/meta/_journal.json', import.meta.url), 'utf8'),
).entries.length;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function database() {
  const db = await freshPostgresDatabase();
  cleanups.push(db.drop);
  return db.url;
}

/** One-off SQL on a database (as an operator with psql would). */
async function psql(url: string, query: string): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(query)).rows;
  } finally {
    await client.end();
  }
}

const start = (env: Record<string, string>) =>
  startServer(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', ...env }), { logger: false });
const tables = async (url: string) =>
  (await psql(url, `select tablename from pg_tables where schemaname = 'public' order by 1`)).map((r) => r.tablename);
const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
};

describe.runIf(pgAvailable)('fail closed on PostgreSQL', () => {
  it('refuses to serve a fresh database, saying to run latchkey migrate, and creates nothing', async () => {
    const url = await database();
    await expect(start({ DATABASE_URL: url })).rejects.toThrow(/schema is behind.*run `latchkey migrate`/);
    const r = await latchkey(['serve'], { env: { DATABASE_URL: url, PORT: '0' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `^latchkey: database schema is behind \\(${MIGRATIONS} migration\\(s\\) pending\\): run \`latchkey migrate\`.*\n$`,
      ),
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await tables(url)).toEqual([]);
  });

  it('migrates with latchkey migrate, idempotently, and then serves', async () => {
    const url = await database();
    expect(await latchkey(['migrate'], { env: { DATABASE_URL: url } })).toMatchObject({
      status: 0,
      stdout: `applied ${MIGRATIONS} migration(s); schema is current\n`,
    });
    expect(await latchkey(['migrate'], { env: { DATABASE_URL: url } })).toMatchObject({
      status: 0,
      stdout: 'schema is already current\n',
    });
    expect(await tables(url)).toEqual([
      'audit_events',
      'auth_challenges',
      'identities',
      'otp_codes',
      'passkeys',
      'profiles',
      'recovery_codes',
      'refresh_tokens',
      'sessions',
      'signing_keys',
      'totp_factors',
      'user_roles',
      'users',
      'webhook_outbox',
    ]);
    const server = await start({ DATABASE_URL: url });
    expect(await readyz(server.url)).toEqual({ status: 200, body: { status: 'ready' } });
    await server.close();
  });

  it('migrates by itself with LATCHKEY_AUTO_MIGRATE=true, and stops cleanly on SIGTERM', async () => {
    const url = await database();
    const running = await serve({ env: { DATABASE_URL: url, LATCHKEY_AUTO_MIGRATE: 'true' } });
    expect(await readyz(running.url)).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await running.stop()).toBe(0);
    expect(await tables(url)).toContain('refresh_tokens');
  });

  it('lets several instances auto-migrate one fresh database at the same moment', async () => {
    const url = await database();
    const servers = await Promise.all([1, 2, 3].map(() => start({ DATABASE_URL: url, LATCHKEY_AUTO_MIGRATE: 'true' })));
    for (const server of servers) expect((await readyz(server.url)).status).toBe(200);
    await Promise.all(servers.map((s) => s.close()));
    expect(await psql(url, 'select count(*)::int as n from drizzle.__drizzle_migrations')).toEqual([{ n: MIGRATIONS }]);
  });

  it('reports a schema rolled back under a running server on /readyz, and refuses to start on it', async () => {
    const url = await database();
    await latchkey(['migrate'], { env: { DATABASE_URL: url } });
    const server = await start({ DATABASE_URL: url });
    const [applied] = await psql(url, 'select * from drizzle.__drizzle_migrations order by created_at desc limit 1');
    await psql(url, `delete from drizzle.__drizzle_migrations where hash = '${applied.hash}'`);
    const behind = await readyz(server.url);
    expect(behind.status).toBe(503);
    expect(behind.body.reason).toMatch(/behind \(1 migration\(s\) pending\): run `latchkey migrate`/);
    await expect(start({ DATABASE_URL: url })).rejects.toThrow(/schema is behind.*latchkey migrate/);

    await psql(
      url,
      `insert into drizzle.__drizzle_migrations (hash, created_at) values ('${applied.hash}', ${applied.created_at})`,
    );
    expect((await readyz(server.url)).status).toBe(200);
    await server.close();
  });

  it('refuses to start when a blacklist table is missing, though every migration is recorded', async () => {
    const url = await database();
    await latchkey(['migrate'], { env: { DATABASE_URL: url } });
    const server = await start({ DATABASE_URL: url });
    await psql(url, 'drop table refresh_tokens');
    const missing = await readyz(server.url);
    expect(missing.status).toBe(503);
    expect(missing.body.reason).toMatch(/refresh_tokens/);
    await server.close();
    await expect(start({ DATABASE_URL: url })).rejects.toThrow(/refresh_tokens/);
    // Migrating finds nothing to do, and the check after it still stops the start.
    const r = await latchkey(['serve'], { env: { DATABASE_URL: url, PORT: '0', LATCHKEY_AUTO_MIGRATE: 'true' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^latchkey: database schema is incomplete: table\(s\) refresh_tokens missing.*\n$/);
  });
});

describe('the embedded database', () => {
  it('is migrated by the server itself on a new data directory, and a missing table still stops it', {
    timeout: 60_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-data-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const server = await start({ LATCHKEY_DATA_DIR: dir });
    expect(await readyz(server.url)).toEqual({ status: 200, body: { status: 'ready' } });
    await server.services.database.db.execute('drop table refresh_tokens' as never);
    await server.close();
    await expect(start({ LATCHKEY_DATA_DIR: dir })).rejects.toThrow(/refresh_tokens/);
  });
});
