/**
 * The databases integration tests run on: in-memory PGlite always, and a real
 * PostgreSQL when one is reachable (LATCHKEY_TEST_PG, default
 * postgres://postgres@127.0.0.1:5432/test). CI sets LATCHKEY_REQUIRE_PG=1,
 * which turns "PostgreSQL unreachable" from a printed skip into a failure.
 * Each test suite gets its own fresh PostgreSQL database, dropped afterwards.
 * Tests that take PostgreSQL away start a private server (`startPrivatePostgres`).
 */
import { randomBytes } from 'node:crypto';
import { access, chown, cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, run } from './processes.js';

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
export async function freshPostgresDatabase(): Promise<OwnedDatabase> {
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

/** A database a test made, and how to remove it. */
export interface OwnedDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * Start something (a server, a cluster) on a database made for it: closing it
 * also drops the database, and a start that fails drops it at once.
 *
 * @example
 *   const t = await startOnDatabase(await freshPostgresDatabase(), (url) => startTestServer({ db: url }));
 *   await t.close(); // …and the database is gone
 */
export async function startOnDatabase<T extends { close(): Promise<void> }>(
  db: OwnedDatabase,
  start: (url: string) => Promise<T>,
): Promise<T> {
  try {
    const started = await start(db.url);
    return { ...started, close: () => started.close().finally(db.drop) };
  } catch (e) {
    await db.drop();
    throw e;
  }
}

export interface DatabaseTarget {
  name: 'pglite' | 'postgres';
  /** Make a fresh database and return its DATABASE_URL, plus cleanup. */
  create(): Promise<OwnedDatabase>;
}

/** In-memory PGlite: nothing to create or drop. */
export const pglite: DatabaseTarget = {
  name: 'pglite',
  create: async () => ({ url: 'memory:', drop: async () => {} }),
};
/** A fresh database on the test PostgreSQL (see `postgresAvailable`). */
export const postgres: DatabaseTarget = { name: 'postgres', create: freshPostgresDatabase };

/**
 * Whether PostgreSQL is reachable; when it is not, prints that `skipped` is
 * not run, and under CI (LATCHKEY_REQUIRE_PG) fails instead.
 *
 * @example
 *   const pgAvailable = await postgresAvailable('command-line tests on PostgreSQL');
 *   describe.runIf(pgAvailable)('…', () => { … });
 */
export async function postgresAvailable(skipped: string): Promise<boolean> {
  if (await postgresReachable()) return true;
  if (REQUIRE_PG) throw new Error(`PostgreSQL is required (LATCHKEY_REQUIRE_PG/CI) but unreachable at ${PG_BASE_URL}`);
  console.warn(`[skip] PostgreSQL unreachable at ${PG_BASE_URL}: ${skipped} not run`);
  return false;
}

/** The targets to run a suite on: PGlite, and PostgreSQL when available. */
export async function databaseTargets(): Promise<DatabaseTarget[]> {
  return (await postgresAvailable('the suite on PostgreSQL')) ? [pglite, postgres] : [pglite];
}

/**
 * A migrated embedded database of the test's own: a copy of the run's template
 * (test/support/template.ts) in a new temporary directory, for `LATCHKEY_DATA_DIR`.
 * `remove()` deletes it.
 */
export async function migratedDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  // Loaded here, not at the top: test/soak imports this file outside Vitest.
  const { inject } = await import('vitest');
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-data-'));
  await cp(inject('pgliteTemplate'), dir, { recursive: true });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

let image: Promise<Blob> | undefined;
/**
 * The run's migrated database as a PGlite archive (test/support/template.ts), read once per
 * worker: an in-memory database opened from it starts current, without initdb or migrations.
 */
export function memoryImage(): Promise<Blob> {
  image ??= (async () => {
    const { inject } = await import('vitest');
    return new Blob([await readFile(inject('pgliteImage'))]);
  })();
  return image;
}

/** A PostgreSQL server of a test's own (its own data directory and port): stop and start it to cause outages. */
export interface PrivatePostgres {
  /** The `postgres` database on it. */
  url: string;
  /** Stop it (fast shutdown: sessions are cut, as when a server goes down) and wait until it is gone. */
  stop(): Promise<void>;
  /** Start it again on the same port and data, and wait until it accepts connections. */
  start(): Promise<void>;
  /** Stop it for good and delete its data. */
  destroy(): Promise<void>;
  /**
   * Freeze every one of its processes (SIGSTOP): connections stay open and nothing answers —
   * a stalled server, not a stopped one. `thaw()` (SIGCONT) lets them go on where they were.
   */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

/** Where this machine's PostgreSQL programs are (LATCHKEY_PG_BIN, else the newest /usr/lib/postgresql/N/bin). */
async function postgresBin(): Promise<string | undefined> {
  if (process.env.LATCHKEY_PG_BIN) return process.env.LATCHKEY_PG_BIN;
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  for (const v of versions.sort((a, b) => Number(b) - Number(a))) {
    const bin = join('/usr/lib/postgresql', v, 'bin');
    if (
      await access(join(bin, 'initdb')).then(
        () => true,
        () => false,
      )
    )
      return bin;
  }
  return undefined;
}

/**
 * Start a private PostgreSQL from the machine's own binaries, so that a test
 * may stop it: the shared server on 5432 serves other tests meanwhile and is
 * never touched. initdb refuses to run as root, so as root (CI) every command
 * runs as the `postgres` OS user, in a directory it owns. No binaries: a
 * printed skip (undefined) locally, a failure under CI.
 */
export async function startPrivatePostgres({
  settings = [],
}: {
  settings?: string[];
} = {}): Promise<PrivatePostgres | undefined> {
  const bin = await postgresBin();
  if (!bin) {
    if (REQUIRE_PG)
      throw new Error(
        'PostgreSQL server binaries are required (LATCHKEY_REQUIRE_PG/CI) but none were found in /usr/lib/postgresql',
      );
    console.warn('[skip] no PostgreSQL server binaries (/usr/lib/postgresql/N/bin): database outage tests not run');
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    await chown(dir, Number(uid.stdout), Number(gid.stdout));
  }
  const pgRun = (program: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args]) : run(join(bin, program), args);

  await pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  // Durability off: a test server's data need not survive a power cut, and fsync is slow here.
  const options = [
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    ...settings.map((s) => `-c ${s}`),
  ].join(' ');
  /** The postmaster, then its children (backends and helpers): this server's processes only, by id. */
  const pids = async () => {
    const postmaster = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const children = (await run('ps', ['-o', 'pid=', '--ppid', String(postmaster)]).catch(() => ({ stdout: '' })))
      .stdout;
    return [
      postmaster,
      ...children
        .split('\n')
        .map((l) => Number(l.trim()))
        .filter((n) => n > 0),
    ];
  };
  const signal = async (sig: NodeJS.Signals) => {
    for (const pid of await pids()) {
      try {
        process.kill(pid, sig);
      } catch {
        // A backend that ended meanwhile.
      }
    }
  };
  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await pgRun('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
    },
    async stop() {
      await pgRun('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
    },
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    async destroy() {
      await signal('SIGCONT').catch(() => {});
      await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
