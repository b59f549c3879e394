/**
 * Several real Latchkey processes (`node bin/latchkey.js serve`, the compiled
 * server an operator runs) on loopback ports, sharing one PostgreSQL and
 * optionally one Redis: what a load balancer would have behind it. Tests
 * kill, stop and restart them, read their logs, and check the database.
 *
 * @example
 *   const cluster = await startCluster({ size: 3, databaseUrl, env: { REDIS_URL } });
 *   const [a, b] = cluster.instances;
 *   const login = await a.client().gql(LOGIN, { email, password });
 *   await b.kill('SIGKILL');
 *   await cluster.close();
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { latchkey, spawnLatchkey } from './cli.js';
import { freshPostgresDatabase, startOnDatabase } from './databases.js';
import { freePort, waitUntil } from './processes.js';
import { TEST_ADDRESS_LIMITS, createClient, type TestClient } from './server.js';
import { type Later, perSuite, resolveLater } from './suite.js';

/** One line a process logged (pino JSON). */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const WARN = 40;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Instance {
  readonly name: string;
  readonly url: string;
  /** Everything it logged since it was first started (across restarts). */
  readonly logs: LogLine[];
  /** A client talking to this instance (its own cookie jar). */
  client(): TestClient;
  /** Logged lines at `level` or above whose message matches. */
  logged(pattern: RegExp, level?: number): LogLine[];
  /** Send a signal and wait for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
  /** Resolves when the current process ends. */
  exited(): Promise<Exit>;
  /** Start it again (same port and settings) after it ended. */
  start(): Promise<void>;
}

export interface ClusterOptions {
  size: number;
  /** DATABASE_URL shared by every instance (a PostgreSQL URL). */
  databaseUrl: string;
  /** Settings for every instance (on top of the test defaults). */
  env?: Record<string, string>;
  /** Settings for one instance by index. */
  envOf?: (index: number) => Record<string, string>;
}

export interface Cluster {
  instances: Instance[];
  /** Run SQL on the shared database. */
  query<T = any>(text: string, values?: unknown[]): Promise<T[]>;
  /** Run a `latchkey` command against the shared database (e.g. `keys rotate`). */
  latchkey(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

/** Settings every test instance gets; tests add or override. */
function baseEnv(port: number, mailDir: string, databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    // Warnings and errors only: the tests read them; per-request lines would only slow a load test.
    LOG_LEVEL: 'warn',
    MAIL_URL: `file:${mailDir}`,
    // Non-browser clients here: tokens travel in the body, so any instance can be handed any token.
    EXPOSE_REFRESH_TOKEN: 'true',
    ...TEST_ADDRESS_LIMITS,
  };
}

function startProcess(name: string, env: Record<string, string>, logs: LogLine[]): ChildProcess {
  const child = spawnLatchkey(['serve'], { env });
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ level: 30, msg: line });
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    // Lines printed before the logger exists (`latchkey: …`), and crashes.
    for (const line of chunk.split('\n').filter(Boolean)) logs.push({ level: WARN, msg: line, stderr: true });
    if (process.env.TEST_LOG) process.stderr.write(`[${name}] ${chunk}`);
  });
  return child;
}

/** Start one instance and wait until it answers /healthz. */
async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const url = `http://127.0.0.1:${env.PORT}`;
  const logs: LogLine[] = [];
  let child: ChildProcess;
  let exit: Promise<Exit>;
  const instance: Instance = {
    name,
    url,
    logs,
    client: () => createClient(url),
    logged: (pattern, level = WARN) => logs.filter((l) => l.level >= level && pattern.test(l.msg)),
    exited: () => exit,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
    async start() {
      child = startProcess(name, env, logs);
      exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      const ended = exit.then((e) => {
        throw new Error(`${name} exited while starting (${JSON.stringify(e)}): ${logs.map((l) => l.msg).join(' | ')}`);
      });
      ended.catch(() => {});
      try {
        await Promise.race([
          waitUntil(async () => (await fetch(`${url}/healthz`)).ok, `${name} to answer on ${url}`, 60_000),
          ended,
        ]);
      } catch (e) {
        // One that never answered is not left running on a shared machine.
        await instance.kill('SIGKILL');
        throw e;
      }
    },
  };
  await instance.start();
  return instance;
}

/**
 * Migrate the database once (as a deployment would, before rolling out), then
 * start `size` instances side by side.
 */
export async function startCluster({
  size,
  databaseUrl,
  env = {},
  envOf = () => ({}),
}: ClusterOptions): Promise<Cluster> {
  const mailDir = await mkdtemp(join(tmpdir(), 'latchkey-cluster-mail-'));
  const commandEnv = { ...baseEnv(0, mailDir, databaseUrl), ...env };
  const command = async (...args: string[]) => {
    const r = await latchkey(args, { env: commandEnv });
    if (r.status !== 0) throw new Error(`latchkey ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout.trim();
  };
  await command('migrate');
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const started = await Promise.allSettled(
    ports.map((port, i) =>
      startInstance(`instance-${'abc'[i] ?? i}`, { ...baseEnv(port, mailDir, databaseUrl), ...env, ...envOf(i) }),
    ),
  );
  const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    // The suite gets no cluster to close: stop the instances that did start.
    await Promise.all(instances.map((i) => i.kill('SIGKILL')));
    await rm(mailDir, { recursive: true, force: true });
    throw failed.reason;
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => {});
  return {
    instances,
    latchkey: command,
    async query(text, values) {
      return (await pool.query(text, values as unknown[])).rows;
    },
    async close() {
      await Promise.all(instances.map((i) => i.kill('SIGKILL')));
      await pool.end();
      await rm(mailDir, { recursive: true, force: true });
    },
  };
}

export interface SuiteClusterOptions extends Omit<ClusterOptions, 'databaseUrl'> {
  /** The shared database; a fresh one on the test PostgreSQL (dropped afterwards) when not given. */
  databaseUrl?: string;
}

/**
 * The cluster of a suite: started before its tests, closed (and a database it
 * made dropped) after them. `options` may be a function, called when the
 * suite starts (after earlier hooks, e.g. a private Redis's).
 *
 * @example
 *   const cluster = suiteCluster({ size: 3, env: { REDIS_URL } });
 *   it('…', async () => { await registerUser(cluster.instances[0].client()); });
 */
export function suiteCluster(options: Later<SuiteClusterOptions>): Cluster {
  return perSuite(
    async () => {
      const { databaseUrl, ...rest } = resolveLater(options);
      const db = databaseUrl ? { url: databaseUrl, drop: async () => {} } : await freshPostgresDatabase();
      return startOnDatabase(db, (url) => startCluster({ ...rest, databaseUrl: url }));
    },
    (cluster) => cluster.close(),
  );
}

/**
 * The chain invariants of the refresh-token blacklist, checked from the
 * database after a load: each a list of offending rows (empty = holds).
 *  - a used token has exactly one successor, and it exists (none rotated twice, none half-rotated);
 *  - a session has at most one unused token (never two live successors);
 *  - no token is both unused and replaced.
 */
export async function chainViolations(cluster: Pick<Cluster, 'query'>) {
  const [usedWithoutSuccessor, twoLiveTokens, unusedButReplaced, twoPredecessors] = await Promise.all([
    cluster.query(`select t.jti from refresh_tokens t
                   where t.used_at is not null
                     and (t.replaced_by is null or not exists (select 1 from refresh_tokens n where n.jti = t.replaced_by))`),
    cluster.query(`select session_id, count(*)::int as unused from refresh_tokens where used_at is null
                   group by session_id having count(*) > 1`),
    cluster.query(`select jti from refresh_tokens where used_at is null and replaced_by is not null`),
    cluster.query(`select replaced_by, count(*)::int as n from refresh_tokens where replaced_by is not null
                   group by replaced_by having count(*) > 1`),
  ]);
  return { usedWithoutSuccessor, twoLiveTokens, unusedButReplaced, twoPredecessors };
}

/** How an instance answers `me` with this access token: 'ok', or the error code (TOKEN_REVOKED, …). */
export async function viewerCheck(instance: Instance, token: string): Promise<string> {
  const res = await instance.client().gql('{ me { id } }', undefined, { token });
  return res.code ?? (res.body.data?.me?.id ? 'ok' : 'no viewer');
}

/**
 * How an instance judges an access token without any database query
 * (`verifyToken`): 'ok' or the reason. Works while PostgreSQL is down.
 */
export async function tokenCheck(instance: Instance, token: string): Promise<string> {
  const res = await instance
    .client()
    .gql('mutation($t: String!) { verifyToken(token: $t) { valid reason } }', { t: token });
  if (res.code) return res.code;
  const info = res.body.data.verifyToken;
  return info.valid ? 'ok' : info.reason;
}
