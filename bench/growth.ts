/**
 * Scenario `growth` (issue 18): how the cost of a request grows with the work — `me` and
 * `refresh` on a database of 10k, 100k and 1M accounts and sessions, then with 10k and
 * 100k revoked sessions in the server's in-process set. The rows exercised (1,000 users'
 * access tokens, one refresh chain per connection and run) are made by Latchkey's own
 * services (bench/seed.ts); the filler around them is inserted by SQL
 * (bench/growthDatabase.ts), growing the database in place between steps. Latchkey is
 * started afresh for every step, so each loads the revoked set from the database as a
 * restarted instance does. Each step reports the server's CPU time per request — the
 * steady figure on a shared machine — with req/s, and the CPU time of the database's
 * backends per request, where the cost of a bigger table would show; and a control,
 * `{ me { id } }` (no query), whose cost moves only with the machine's load.
 *
 * Not part of the default run (5–7 minutes with 2 rounds of 5 s, a minute or two of it
 * inserting the million rows): `npm run bench -- --only growth`; `--smoke` runs a one-step
 * miniature.
 *
 * @example
 *   const { rows, table } = await runGrowth({ settings, smoke: false, latchkeyEnv, … });
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../src/auth/passwords.js';
import { loadConfig } from '../src/config.js';
import { chainPool, checkChains } from './chains.js';
import { freshDatabase } from './database.js';
import { growthDatabase, type GrowthCounts } from './growthDatabase.js';
import { httpTarget, inRounds, measure, type HttpTargetOptions, type LoadResult, type Target } from './load.js';
import { freePort, startProcess, type ServerProcess } from './processes.js';
import { chainFigures, side } from './scenarios.js';
import { PASSWORD, seedLatchkey } from './seed.js';
import { median, round } from './stats.js';

interface GrowthStep {
  /** Accounts in the database (each filler account has one session). */
  users: number;
  /** Revoked sessions, loaded by the server at start into its in-process set. */
  revoked: number;
}

const STEPS: GrowthStep[] = [
  { users: 10_000, revoked: 0 },
  { users: 100_000, revoked: 0 },
  { users: 1_000_000, revoked: 0 },
  { users: 1_000_000, revoked: 10_000 },
  { users: 1_000_000, revoked: 100_000 },
];
/** Smoke: one small step that goes through every part (filler, revocations, restart, both requests). */
const SMOKE_STEPS: GrowthStep[] = [{ users: 2_000, revoked: 1_000 }];

/** One request type at one step. */
interface GrowthFigures {
  rps: number;
  p99Ms: number;
  errors: number;
  /** Highest resident memory of the server during these runs. */
  rssMb: number | null;
  /** The Latchkey process's CPU time per request (µs, all threads; median of rounds). */
  cpuUsPerRequest: number | null;
  /** The database's backends' CPU time per request (µs, median of rounds); null when PostgreSQL is not on this machine. */
  dbCpuUsPerRequest: number | null;
  eventLoopP99Ms: number | null;
  /** req/s, server CPU and database CPU µs per request of each round, in order: the spread behind the medians. */
  rounds: number[];
  cpuUsRounds: (number | null)[];
  dbCpuUsRounds: (number | null)[];
}

interface GrowthRow {
  step: GrowthStep;
  counts: GrowthCounts;
  /** Sessions in the server's revoked set after its start (its `latchkey_revoked_sessions` gauge). */
  revokedSet: number | null;
  /** Seconds to grow the database to this step (filler, revocations, VACUUM ANALYZE, CHECKPOINT). */
  growSeconds: number;
  /** From spawning the server to its first ready answer. */
  startMs: number;
  /** Resident memory of the server once ready, before any load (the revoked set's load's garbage included). */
  idleRssMb: number;
  me: GrowthFigures;
  refresh: GrowthFigures;
  /**
   * The control: `{ me { id } }`, answered from the token alone (no query), the same at every
   * step — when its cost moves, the machine's load moved, not the work.
   */
  verify: GrowthFigures;
}

export interface GrowthOptions {
  smoke: boolean;
  /** The machine, as the run describes it. */
  machine: string;
  settings: { rounds: number; seconds: number; warmup: number; connections: number; users: number };
  /** The environment of a Latchkey under test on this database and port. */
  latchkeyEnv(databaseUrl: string, port: number): Record<string, string | undefined>;
  root: string;
  resultsDir: string;
  /** Extra node flags for the server (e.g. --cpu-prof). */
  nodeFlags: string[];
  log(line: string): void;
  /** Register something to undo at the end of the bench (also on Ctrl-C). */
  onCleanup(undo: () => Promise<void>): void;
}

const fmt = (n: number | null, d = 0) =>
  n === null ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * Run the growth steps; returns the rows (also written to bench/results/growth.json), their
 * markdown table, and how many failures there were (failed requests or chain checks, silent steps).
 */
export async function runGrowth(o: GrowthOptions): Promise<{ rows: GrowthRow[]; table: string; broken: number }> {
  const steps = o.smoke ? SMOKE_STEPS : STEPS;
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const db = await freshDatabase('lk_bench_growth');
  o.onCleanup(() => db.drop());
  const config = loadConfig(o.latchkeyEnv(db.url, 0));
  const runsPerStep = o.settings.rounds + (o.settings.warmup > 0 ? 1 : 0);
  // One chain per connection and run, and a run's worth to spare for a connection autocannon reopens.
  const chains = (steps.length * runsPerStep + 1) * o.settings.connections;
  o.log(`growth: seeding ${o.settings.users} users with access tokens and ${chains} refresh chains …`);
  const seed = await seedLatchkey(config, {
    users: o.settings.users,
    accessTokens: o.settings.users,
    chains,
    referenceChains: 0,
  });
  const grown = await growthDatabase(db.url);
  o.onCleanup(() => grown.close());
  const passwordHash = await hashPassword(PASSWORD);
  const pool = chainPool(seed.latchkeyChains, (c) => `latchkey_refresh=${c.token}`);
  // One request per seeded user's token, built once: every connection sends them in turn.
  const bearers = seed.accessTokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } }));
  let refreshAnswered = 0;

  const rows: GrowthRow[] = [];
  let filler = seed.userCount;
  let running: ServerProcess | undefined;
  o.onCleanup(async () => running?.stop());
  for (const [index, step] of steps.entries()) {
    const tag = `growth [${index + 1}/${steps.length}] ${fmt(step.users)} users, ${fmt(step.revoked)} revoked`;
    const growStart = performance.now();
    const before = await grown.counts();
    const more = Math.max(0, step.users - before.users);
    o.log(`${tag}: adding ${fmt(more)} filler accounts, revoking up to ${fmt(step.revoked)} sessions …`);
    await grown.addFiller(filler, filler + more, passwordHash);
    filler += more;
    await grown.revokeFiller(step.revoked);
    await grown.settle();
    const counts = await grown.counts();
    const growSeconds = round((performance.now() - growStart) / 1000, 1);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const spawned = performance.now();
    const server = await startProcess({
      name: 'Latchkey (growth)',
      args: [join(o.root, 'bin', 'latchkey.js'), 'serve'],
      // The user cache off: every `me` reads the tables whose growth this measures.
      env: { ...o.latchkeyEnv(db.url, port), USER_CACHE_TTL: '0' },
      ready: `${url}/readyz`,
      logFile: join(o.resultsDir, 'latchkey-growth.log'),
      nodeFlags: o.nodeFlags,
    });
    const startMs = Math.round(performance.now() - spawned);
    running = server;
    try {
      await server.reset();
      const idleRssMb = round((await server.read()).peakRssMb, 1);
      const metrics = await fetch(`${url}/metrics`).then((r) => r.text());
      const gauge = /^latchkey_revoked_sessions (\d+)/m.exec(metrics);
      const revokedSet = gauge ? Number(gauge[1]) : null;
      o.log(
        `${tag}: ${fmt(counts.users)} users, ${fmt(counts.sessions)} sessions, ${fmt(counts.refreshTokens)} refresh tokens, ` +
          `${fmt(counts.auditEvents)} audit events (grown in ${growSeconds} s); server ready in ${fmt(startMs)} ms, ` +
          `${fmt(idleRssMb)} MB, revoked set ${fmt(revokedSet)}`,
      );

      /** A GraphQL target on this step's server whose answers must hold `field` and no errors. */
      const graphqlTarget = (
        name: string,
        query: string,
        field: string,
        how: Pick<HttpTargetOptions, 'cycle' | 'perConnection'>,
      ) => {
        const wanted = `"${field}"`;
        return httpTarget({
          name,
          server,
          url,
          path: '/graphql',
          connections: o.settings.connections,
          body: JSON.stringify({ query }),
          ...how,
          check: (b) => !b.includes('"errors"') && b.includes(wanted),
        });
      };
      const me = graphqlTarget('me', '{ me { id email profile { displayName } } }', 'displayName', { cycle: bearers });
      const refreshTarget = graphqlTarget('refresh', 'mutation { refreshToken { accessToken } }', 'accessToken', {
        perConnection: pool.connection,
      });
      const verify = graphqlTarget('verify (control)', '{ me { id } }', 'id', { cycle: bearers });
      const refresh: Target = {
        ...refreshTarget,
        async run(seconds) {
          const r: LoadResult = await refreshTarget.run(seconds);
          refreshAnswered += r.ok;
          return r;
        },
      };

      const once = async (t: Target, seconds: number, what: string) => {
        const dbBefore = await grown.backendCpuMs();
        const m = await measure(t, seconds);
        const dbAfter = await grown.backendCpuMs();
        const dbUs =
          dbBefore !== undefined && dbAfter !== undefined && m.load.requests
            ? Math.round(((dbAfter - dbBefore) * 1000) / m.load.requests)
            : null;
        o.log(
          `${tag} · ${what} · ${t.name}: ${fmt(m.load.rps)} req/s, p99 ${fmt(m.load.p99Ms, 1)} ms, ${m.load.errors} errors, ` +
            `${fmt(m.cpuUsPerRequest ?? null)} µs CPU/req (database ${fmt(dbUs)})`,
        );
        return { m, dbUs };
      };
      const runs = await inRounds([me, refresh, verify], o.settings, once);
      const figures = (t: Target): GrowthFigures => {
        const measured = runs.get(t)!;
        const s = side(
          t.name,
          measured.map((x) => x.m),
        );
        const db = measured.flatMap((x) => (x.dbUs === null ? [] : [x.dbUs]));
        return {
          rps: s.rps,
          p99Ms: s.p99Ms,
          errors: s.errors,
          rssMb: s.rssMb,
          cpuUsPerRequest: s.cpuUsPerRequest,
          dbCpuUsPerRequest: db.length ? round(median(db), 0) : null,
          eventLoopP99Ms: s.eventLoopP99Ms,
          rounds: s.rounds,
          cpuUsRounds: measured.map((x) => x.m.cpuUsPerRequest ?? null),
          dbCpuUsRounds: measured.map((x) => x.dbUs),
        };
      };
      rows.push({
        step,
        counts,
        revokedSet,
        growSeconds,
        startMs,
        idleRssMb,
        me: figures(me),
        refresh: figures(refresh),
        verify: figures(verify),
      });
    } finally {
      await server.stop();
    }
  }

  // Every chain still one chain: no token rotated twice, no session revoked by reuse detection.
  const refreshRuns = steps.length * runsPerStep;
  const check = chainFigures(
    'latchkey',
    await checkChains(db.url, pool.used()),
    refreshAnswered,
    o.settings.connections,
    refreshRuns,
  );
  // Failed requests and chain checks, and steps that answered nothing: the bench or the server is broken.
  const broken =
    rows.flatMap((r) => [r.me, r.refresh, r.verify]).reduce((n, f) => n + f.errors + (f.rps > 0 ? 0 : 1), 0) +
    check.errors;
  const table = growthTable(rows);
  const result = {
    startedAt,
    smoke: o.smoke,
    machine: o.machine,
    settings: {
      rounds: o.settings.rounds,
      seconds: o.settings.seconds,
      warmup: o.settings.warmup,
      connections: o.settings.connections,
      exercisedUsers: o.settings.users,
    },
    loadAverage: { before: loadBefore.map((x) => round(x, 2)), after: loadavg().map((x) => round(x, 2)) },
    chains: { ...check.extra, errors: check.errors },
    steps: rows,
  };
  await writeFile(
    join(o.resultsDir, o.smoke ? 'growth.smoke.json' : 'growth.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  return { rows, table, broken };
}

/** The steps as a markdown table: what each request cost Latchkey and the database, and how fast it went. */
function growthTable(rows: readonly GrowthRow[]): string {
  const head = [
    'users',
    'sessions',
    'revoked set',
    'me CPU µs/req',
    'me DB µs/req',
    'me req/s',
    'refresh CPU µs/req',
    'refresh DB µs/req',
    'refresh req/s',
    'control CPU µs/req',
    'start ms',
    'idle RSS MB',
  ];
  const lines = rows.map((r) =>
    [
      fmt(r.counts.users),
      fmt(r.counts.sessions),
      fmt(r.revokedSet),
      fmt(r.me.cpuUsPerRequest),
      fmt(r.me.dbCpuUsPerRequest),
      fmt(r.me.rps),
      fmt(r.refresh.cpuUsPerRequest),
      fmt(r.refresh.dbCpuUsPerRequest),
      fmt(r.refresh.rps),
      fmt(r.verify.cpuUsPerRequest),
      fmt(r.startMs),
      fmt(r.idleRssMb),
    ].join(' | '),
  );
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---:').join('|')}|`, ...lines.map((l) => `| ${l} |`)].join(
    '\n',
  );
}
