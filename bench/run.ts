/**
 * `npm run bench`: Latchkey on PostgreSQL against its references and better-auth, each
 * in its own process, loaded with autocannon on 127.0.0.1. Writes
 * bench/results/latest.json (one object per scenario) and latest.run.json (machine,
 * settings, embedded PGlite figures), prints a markdown table, draws docs/performance.svg and
 * updates docs/performance.md (full runs only).
 *
 *   npm run bench                      full run (warm-up, 3 rounds × 10 s per target)
 *   npm run bench -- --smoke           a second or so per target: proves the bench works
 *   npm run bench -- --only me,verify  some scenarios (results go to bench/results/partial.json);
 *                                      names: me refresh login verify login-totp passkey-signin peer-session peer-login embedded growth
 *   npm run bench -- --only growth     me and refresh at 10k, 100k and 1M users and sessions, then 10k and 100k
 *                                      revoked sessions (bench/growth.ts; 5–7 min with --rounds 2 --seconds 5): not in
 *                                      the default run, which it would stretch past 15 minutes; --smoke runs a
 *                                      one-step miniature. Writes bench/results/growth.json and prints its own table
 *   npm run bench -- --cpu-prof        also write a CPU profile of the Latchkey server to bench/results/
 *   npm run bench -- --webhooks        with WEBHOOK_URLS set: a receiver in this process answers 204 to every
 *                                      event (WEBHOOK_URLS/WEBHOOK_SECRET in the environment are passed on too)
 *   --rounds N --seconds S --warmup S  override the run lengths
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { chainPool, checkChains } from './chains.js';
import { freshDatabase, postgresVersion, type FreshDatabase } from './database.js';
import { runGrowth } from './growth.js';
import { measureEmbedded } from './embedded.js';
import { httpTarget, inRounds, measure, type LoadResult, type Measured, type Target } from './load.js';
import { startPeer, peerEmailOf, type Peer } from './peer.js';
import { freePort, startProcess } from './processes.js';
import {
  markdownTable,
  replaceGenerated,
  resultsSchema,
  runSchema,
  svgChart,
  type RunInfo,
  type ScenarioResult,
} from './report.js';
import { hostileDocumentsScenario } from './hostile.js';
import {
  chainFigures,
  pairedCpuRatio,
  pairedRatio,
  pairScenario,
  resultRow,
  skippedRow,
  type Scenario,
} from './scenarios.js';
import { secondFactorScenarios, seedSecondFactors } from './secondFactors.js';
import { PASSWORD, emailOf, seedLatchkey } from './seed.js';
import { percentile } from './stats.js';
import { startWebhookReceiver } from './webhookReceiver.js';

const ALL = [
  'me',
  'refresh',
  'login',
  'verify',
  'login-totp',
  'passkey-signin',
  'hostile-documents',
  'peer-session',
  'peer-login',
  'embedded',
  'growth',
] as const;

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    webhooks: { type: 'boolean', default: false },
  },
  strict: true,
});

const smoke = args.smoke;
const only = args.only ? args.only.split(',').map((s) => s.trim()) : undefined;
for (const name of only ?? [])
  if (!(ALL as readonly string[]).includes(name))
    throw new Error(`--only: unknown scenario ${name} (${ALL.join(', ')})`);
// `growth` runs when asked for by name, and in its small form in a smoke run; not in the default run.
const selected = (name: string) => (only ? only.includes(name) : name !== 'growth' || smoke);
const settings = {
  rounds: Number(args.rounds ?? (smoke ? 1 : 3)),
  seconds: Number(args.seconds ?? (smoke ? 1 : 10)),
  warmup: Number(args.warmup ?? (smoke ? 0.5 : 3)),
  connections: 50,
  loginConnections: 16,
  users: smoke ? 100 : 1000,
  peerUsers: smoke ? 8 : 64,
};
// A run with webhooks is a comparison, not the reference figures of docs/performance.md.
const full = !smoke && !only && !args.webhooks;

const root = process.cwd();
const resultsDir = join(root, 'bench', 'results');
const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** Things to undo at the end, last first — also on Ctrl-C. */
const cleanups: (() => Promise<void>)[] = [];
async function cleanup() {
  while (cleanups.length) await cleanups.pop()!().catch((e) => log(`cleanup: ${(e as Error).message}`));
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

/** The environment of every server process: the caller's, without settings meant for another database. */
function baseEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env))
    if (/^(DATABASE_URL|REDIS_URL|LATCHKEY_|RATE_LIMIT_|JWT_|PORT$|HOST$)/.test(k)) delete env[k];
  return env;
}

async function machine(): Promise<string> {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const pg = await postgresVersion().catch(() => 'PostgreSQL (version unknown)');
  return `${availableParallelism()} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}, ${pg}`;
}

/** The environment of a Latchkey under test on the database at `databaseUrl`, listening on `port`. */
function latchkeyEnvFor(databaseUrl: string, port: number): Record<string, string | undefined> {
  return {
    ...baseEnv(),
    DATABASE_URL: databaseUrl,
    LATCHKEY_AUTO_MIGRATE: 'true',
    HOST: '127.0.0.1',
    PORT: String(port),
    NODE_ENV: 'production',
    // Production refuses to start without it (the refresh and code keys are encrypted at rest).
    LATCHKEY_KEY_SECRET: 'bench key-encryption secret, not for real use',
    // Tokens are minted before the run and must outlive it.
    ACCESS_TOKEN_TTL: '2h',
    // Every request comes from 127.0.0.1 and the limits stay at their defaults: genuine
    // refreshes are counted and given back, so their cost is in the figures and none is refused.
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
}

const logFile = (name: string) => join(resultsDir, `${name}.log`);

async function main() {
  await mkdir(resultsDir, { recursive: true });
  // The servers' logs of this run only.
  for (const f of await readdir(resultsDir)) if (f.endsWith('.log')) await rm(join(resultsDir, f));
  log(
    `latchkey bench: ${smoke ? 'smoke' : full ? 'full' : 'partial'} run — ${settings.rounds} round(s) × ${settings.seconds} s per target, warm-up ${settings.warmup} s`,
  );
  const results = ALL.some((name) => name !== 'growth' && selected(name)) ? await standardRun() : [];
  let growthErrors = 0;
  if (selected('growth')) {
    const growth = await runGrowth({
      smoke,
      machine: await machine(),
      settings,
      latchkeyEnv: latchkeyEnvFor,
      root,
      resultsDir,
      nodeFlags: args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}`] : [],
      log,
      onCleanup: (undo) => cleanups.push(undo),
    });
    growthErrors = growth.broken;
    process.stdout.write(
      `\nGrowth (CPU µs per request: the Latchkey server's, and its database backends'):\n\n${growth.table}\n\n`,
    );
    log(`results: ${join(resultsDir, smoke ? 'growth.smoke.json' : 'growth.json')}`);
  }
  return { results, growthErrors };
}

/** Every scenario but `growth`: one database, one Latchkey, its references and the peer. */
async function standardRun() {
  const startedAt = new Date().toISOString();

  // ── databases and seed ──────────────────────────────────────────────────────
  const webhooks = args.webhooks ? await startWebhookReceiver() : undefined;
  if (webhooks) {
    cleanups.push(webhooks.close);
    log(`webhooks on: every event is delivered to ${webhooks.url}`);
  }
  const db = await freshDatabase('lk_bench');
  cleanups.push(() => db.drop());
  const port = await freePort();
  const latchkeyEnv = latchkeyEnvFor(db.url, port);
  // The seed writes straight to the database without events: only the run's own sign-ins are
  // delivered, not a backlog of seeded ones.
  const config = loadConfig(latchkeyEnv);
  const runsPerTarget = settings.rounds + 1;
  log(
    `seeding ${settings.users} users, ${settings.users} access tokens, ${2 * settings.connections * runsPerTarget} refresh chains …`,
  );
  const seed = await seedLatchkey(config, {
    users: settings.users,
    accessTokens: settings.users,
    chains: settings.connections * runsPerTarget,
  });
  const factorSeed =
    selected('login-totp') || selected('passkey-signin')
      ? await seedSecondFactors(config, {
          totpUsers: selected('login-totp') ? settings.users : 0,
          passkeyUsers: selected('passkey-signin') ? settings.loginConnections : 0,
        })
      : undefined;

  // ── servers ─────────────────────────────────────────────────────────────────
  const latchkeyUrl = `http://127.0.0.1:${port}`;
  const latchkey = await startProcess({
    name: 'Latchkey',
    args: [join(root, 'bin', 'latchkey.js'), 'serve'],
    env: { ...latchkeyEnv, ...(webhooks ? { WEBHOOK_URLS: webhooks.url, WEBHOOK_SECRET: webhooks.secret } : {}) },
    ready: `${latchkeyUrl}/readyz`,
    logFile: logFile('latchkey'),
    nodeFlags: args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resultsDir}`] : [],
  });
  cleanups.push(() => latchkey.stop());
  await latchkey.reset();
  const postgresIdleRssMb = Math.round((await latchkey.read()).peakRssMb);
  const refPort = await freePort();
  const refUrl = `http://127.0.0.1:${refPort}`;
  const reference = await startProcess({
    name: 'reference',
    args: [join(root, 'dist', 'bench', 'references', 'server.js')],
    env: { ...baseEnv(), DATABASE_URL: db.url, PORT: String(refPort), POOL_SIZE: '10' },
    ready: `${refUrl}/ready`,
    logFile: logFile('reference'),
  });
  cleanups.push(() => reference.stop());

  let peer: Peer | undefined;
  let peerSkipped: string | undefined;
  if (selected('peer-session') || selected('peer-login')) {
    let peerDb: FreshDatabase | undefined;
    try {
      peerDb = await freshDatabase('lk_bench_peer');
      const dropPeerDb = peerDb;
      cleanups.push(() => dropPeerDb.drop());
      log(`starting better-auth (cookie cache off and on), ${settings.peerUsers} users …`);
      peer = await startPeer({
        database: peerDb,
        users: settings.peerUsers,
        env: baseEnv(),
        logFile: logFile('better-auth'),
        log,
      });
      const started = peer;
      cleanups.push(() => started.stop());
      log(`better-auth ${peer.version} ready`);
    } catch (e) {
      peerSkipped = (e as Error).message.split('\n')[0];
      log(`peer scenarios skipped: ${peerSkipped}`);
    }
  }

  // ── targets ─────────────────────────────────────────────────────────────────
  // One request per seeded user's token, built once: every connection sends them in turn.
  const bearers = seed.accessTokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } }));
  const meQuery = JSON.stringify({ query: '{ me { id email profile { displayName } } }' });
  const verifyQuery = JSON.stringify({ query: '{ me { id } }' });
  const noErrors = (body: string) => !body.includes('"errors"');
  const http = { connections: settings.connections };

  const latchkeyMe = httpTarget({
    ...http,
    name: 'Latchkey me',
    server: latchkey,
    url: latchkeyUrl,
    path: '/graphql',
    body: meQuery,
    cycle: bearers,
    check: (b) => noErrors(b) && b.includes('"displayName"'),
  });
  const referenceMe = httpTarget({
    ...http,
    name: 'bare Fastify + pg lookup',
    server: reference,
    url: refUrl,
    path: '/me',
    body: meQuery,
    cycle: bearers,
    check: (b) => b.includes('"displayName"'),
  });
  const latchkeyVerify = httpTarget({
    ...http,
    name: 'Latchkey verify',
    server: latchkey,
    url: latchkeyUrl,
    path: '/graphql',
    body: verifyQuery,
    cycle: bearers,
    check: (b) => noErrors(b) && b.includes('"id"'),
  });
  const hello = httpTarget({
    ...http,
    name: 'bare Fastify hello',
    server: reference,
    url: refUrl,
    path: '/hello',
    body: verifyQuery,
    cycle: bearers,
  });

  /**
   * How Latchkey answered the `me` scenario's requests, warm-up included, from its /metrics: from
   * the user cache (hit), by a read another request had begun (shared), by a query of its own
   * (read). Filled in as the runs go; the row's `extra` shows it.
   */
  const meAnswers = { userCacheHit: 0, userCacheShared: 0, userCacheRead: 0 };
  const answerCounts = async (): Promise<typeof meAnswers> => {
    const text = await (await fetch(`${latchkeyUrl}/metrics`)).text();
    const count = (answer: string) =>
      Number(new RegExp(`^latchkey_user_cache_reads_total\\{answer="${answer}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { userCacheHit: count('hit'), userCacheShared: count('shared'), userCacheRead: count('read') };
  };
  const countingAnswers = (target: Target): Target => ({
    ...target,
    async run(seconds) {
      const before = await answerCounts();
      const r = await target.run(seconds);
      const after = await answerCounts();
      for (const k of Object.keys(meAnswers) as (keyof typeof meAnswers)[]) meAnswers[k] += after[k] - before[k];
      return r;
    },
  });

  const latchkeyChains = chainPool(seed.latchkeyChains, (c) => `latchkey_refresh=${c.token}`);
  const referenceChains = chainPool(seed.referenceChains, (c) => `ref=${c.jti}`);
  const refreshBody = JSON.stringify({ query: 'mutation { refreshToken { accessToken } }' });
  const answered = new Map<string, number>();
  /** Count the answers a target's runs accepted, warm-up included (each one is a rotation the client saw). */
  const counting = (target: Target): Target => ({
    ...target,
    async run(seconds) {
      const r: LoadResult = await target.run(seconds);
      answered.set(target.name, (answered.get(target.name) ?? 0) + r.ok);
      return r;
    },
  });
  const latchkeyRefresh = counting(
    httpTarget({
      ...http,
      name: 'Latchkey refresh',
      server: latchkey,
      url: latchkeyUrl,
      path: '/graphql',
      body: refreshBody,
      perConnection: latchkeyChains.connection,
      check: (b) => noErrors(b) && b.includes('"accessToken"'),
    }),
  );
  const referenceRefresh = counting(
    httpTarget({
      ...http,
      name: 'bare Fastify + pg rotation',
      server: reference,
      url: refUrl,
      path: '/refresh',
      body: refreshBody,
      perConnection: referenceChains.connection,
      check: (b) => b.includes('"accessToken"'),
    }),
  );

  const loginBody = (n: number) =>
    JSON.stringify({
      query:
        'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
      variables: { email: emailOf(n % seed.userCount), password: PASSWORD },
    });
  const latchkeyLogin = httpTarget({
    name: 'Latchkey login',
    server: latchkey,
    url: latchkeyUrl,
    path: '/graphql',
    connections: settings.loginConnections,
    // Built per request, not cycled: every connection walks a cycle from its start, so 16
    // connections would sign in to one account at a time and meet its per-account limit.
    // (At a few hundred sign-ins a second the build costs the generator nothing that shows.)
    vary: (n) => ({ body: loginBody(n) }),
    check: (b) => noErrors(b) && b.includes('"accessToken"'),
  });
  const argon2 = await startProcess({
    name: 'argon2 reference',
    args: [join(root, 'dist', 'bench', 'references', 'argon2.js')],
    env: { ...baseEnv(), CONCURRENCY: String(settings.loginConnections) },
    ready: 'message',
    logFile: logFile('argon2'),
  });
  cleanups.push(() => argon2.stop());
  const rawArgon2: Target = {
    name: 'raw @node-rs/argon2 verify',
    server: argon2,
    async run(seconds) {
      const r = await argon2.call<{ count: number; errors: number; seconds: number; latencies: number[] }>(
        'run',
        seconds,
      );
      return {
        requests: r.count,
        rps: r.count / r.seconds,
        p50Ms: percentile(r.latencies, 50),
        p99Ms: percentile(r.latencies, 99),
        errors: r.errors,
        ok: r.count - r.errors,
      };
    },
  };

  const scenarios: Scenario[] = [];
  const skipped: ScenarioResult[] = [];
  if (selected('me')) {
    scenarios.push(
      pairScenario({
        scenario: 'me',
        what: '{ me { id email profile { displayName } } }, bearer token, 50 connections, many users',
        subject: countingAnswers(latchkeyMe),
        reference: referenceMe,
        target: 'ratio ≥ 1.0, p99 ≤ 15 ms',
        goals: (r) => r.ratio >= 1 && r.p99Ms <= 15,
        extra: meAnswers,
      }),
    );
  }
  if (selected('refresh')) {
    scenarios.push({
      name: 'refresh',
      targets: [latchkeyRefresh, referenceRefresh],
      rows: async (m) => {
        const mine = chainFigures(
          'latchkey',
          await checkChains(db.url, latchkeyChains.used()),
          answered.get(latchkeyRefresh.name) ?? 0,
          settings.connections,
          runsPerTarget,
        );
        const theirs = chainFigures(
          'reference',
          await checkChains(db.url, referenceChains.used()),
          answered.get(referenceRefresh.name) ?? 0,
          settings.connections,
          runsPerTarget,
        );
        return [
          resultRow({
            scenario: 'refresh',
            what: 'mutation { refreshToken { accessToken } }, refresh cookie, each connection on its own session chain',
            subject: { name: latchkeyRefresh.name, runs: m.get(latchkeyRefresh)! },
            reference: { name: referenceRefresh.name, runs: m.get(referenceRefresh)! },
            target: 'ratio ≥ 0.8, 0 errors, no duplicate rotation',
            goals: (r) => r.ratio >= 0.8 && r.errors === 0,
            extra: { ...mine.extra, ...theirs.extra, referenceErrors: theirs.errors },
            extraErrors: mine.errors,
          }),
        ];
      },
    });
  }
  if (selected('login')) {
    scenarios.push(
      pairScenario({
        scenario: 'login',
        what: 'login with the right password (argon2id m=19456 t=2 p=1), 16 connections',
        subject: latchkeyLogin,
        reference: rawArgon2,
        target: 'ratio ≥ 0.9',
        goals: (r) => r.ratio >= 0.9,
      }),
    );
  }
  if (selected('verify')) {
    scenarios.push(
      pairScenario({
        scenario: 'verify',
        what: '{ me { id } }, bearer token (needs only the viewer id)',
        subject: latchkeyVerify,
        reference: hello,
        target: 'ratio ≥ 0.85',
        goals: (r) => r.ratio >= 0.85,
      }),
    );
  }
  if (factorSeed)
    scenarios.push(
      ...secondFactorScenarios(factorSeed, {
        url: latchkeyUrl,
        server: latchkey,
        workers: settings.loginConnections,
        login: latchkeyLogin,
        selected,
      }),
    );
  if (selected('hostile-documents'))
    scenarios.push(hostileDocumentsScenario({ server: latchkey, url: latchkeyUrl, me: latchkeyMe }));
  const peerTarget = (cached: boolean) => `Latchkey me ÷ better-auth ≥ ${cached ? 6 : 10}, verify ÷ better-auth ≥ 20`;
  if (selected('peer-session')) {
    if (!peer) {
      for (const s of ['peer-session', 'peer-session-cached'])
        skipped.push(
          skippedRow(
            s,
            'better-auth get-session',
            'better-auth get-session',
            peerTarget(s.endsWith('cached')),
            peerSkipped ?? 'peer not started',
          ),
        );
    } else {
      const p = peer;
      const session = (which: 'plain' | 'cached') =>
        httpTarget({
          ...http,
          name: `better-auth get-session (cookie cache ${which === 'plain' ? 'off' : 'on'})`,
          server: p[which].server,
          url: p[which].url,
          path: '/api/auth/get-session',
          method: 'GET',
          cycle: p.cookies.map((c) => ({ headers: { cookie: c[which] } })),
          check: (b) => b.includes('"session"'),
        });
      const plain = session('plain');
      const cached = session('cached');
      scenarios.push({
        name: 'peer-session',
        targets: [latchkeyMe, latchkeyVerify, plain, cached],
        rows: async (m) =>
          [plain, cached].map((ba, i) => {
            const row = resultRow({
              scenario: i === 0 ? 'peer-session' : 'peer-session-cached',
              what: `Latchkey me against better-auth ${p.version} get-session (Postgres adapter, cookie cache ${i === 0 ? 'off' : 'on'})`,
              subject: { name: latchkeyMe.name, runs: m.get(latchkeyMe)! },
              reference: { name: ba.name, runs: m.get(ba)! },
              others: [{ name: latchkeyVerify.name, runs: m.get(latchkeyVerify)! }],
              target: peerTarget(i === 1),
              goals: (r) => r.ratio >= (i === 1 ? 6 : 10),
            });
            const verifyRatio = pairedRatio(m.get(latchkeyVerify)!, m.get(ba)!);
            const verifyCpuRatio = pairedCpuRatio(m.get(latchkeyVerify)!, m.get(ba)!);
            const verifyBest = Math.max(verifyRatio, Number.isNaN(verifyCpuRatio) ? 0 : verifyCpuRatio);
            return {
              ...row,
              met: row.met === true && verifyBest >= 20,
              extra: {
                verifyRps: row.sides[2].rps,
                verifyRatio: Number.isNaN(verifyRatio) ? null : verifyRatio,
                verifyCpuRatio: Number.isNaN(verifyCpuRatio) ? null : verifyCpuRatio,
                peerEventLoopP99Ms: row.sides[1].eventLoopP99Ms,
                peerRssMb: row.sides[1].rssMb,
              },
            };
          }),
      });
    }
  }
  if (selected('peer-login')) {
    if (!peer) {
      skipped.push(
        skippedRow(
          'peer-login',
          'better-auth sign-in/email',
          'better-auth sign-in/email',
          'report the ratio',
          peerSkipped ?? 'peer not started',
        ),
      );
    } else {
      const p = peer;
      const signIn = httpTarget({
        name: 'better-auth sign-in/email (scrypt)',
        server: p.plain.server,
        url: p.plain.url,
        path: '/api/auth/sign-in/email',
        connections: settings.loginConnections,
        headers: { origin: p.plain.url },
        vary: (n) => ({ body: JSON.stringify({ email: peerEmailOf(n % p.cookies.length), password: PASSWORD }) }),
        check: (b) => b.includes('"token"'),
      });
      scenarios.push({
        name: 'peer-login',
        targets: [latchkeyLogin, signIn],
        rows: async (m) => {
          const row = resultRow({
            scenario: 'peer-login',
            what: `Latchkey login (argon2id) against better-auth ${p.version} sign-in/email (its default scrypt), 16 connections`,
            subject: { name: latchkeyLogin.name, runs: m.get(latchkeyLogin)! },
            reference: { name: signIn.name, runs: m.get(signIn)! },
            target: 'report the ratio',
            goals: () => null,
          });
          return [
            { ...row, extra: { peerEventLoopP99Ms: row.sides[1].eventLoopP99Ms, peerRssMb: row.sides[1].rssMb } },
          ];
        },
      });
    }
  }

  // ── rounds ──────────────────────────────────────────────────────────────────
  const results: ScenarioResult[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    const tag = `[${index + 1}/${scenarios.length}] ${scenario.name}`;
    const show = (what: string, t: Target, r: Measured) =>
      log(
        `${tag} · ${what} · ${t.name}: ${fmt(r.load.rps)} req/s, p99 ${fmt(r.load.p99Ms, 1)} ms, ${r.load.errors} errors${r.reading ? `, loop p99 ${fmt(r.reading.eventLoopP99Ms, 1)} ms, RSS ${fmt(r.reading.peakRssMb)} MB, ${fmt(r.cpuUsPerRequest ?? NaN)} µs CPU/req (loop ${fmt(r.loopUsPerRequest ?? NaN)})` : ''}, generator ${fmt(r.generatorUsPerRequest ?? NaN)} µs/req`,
      );
    const measured = await inRounds(scenario.targets, settings, async (t, seconds, what) => {
      const r = await measure(t, seconds);
      show(what, t, r);
      return r;
    });
    results.push(...(await scenario.rows(measured)));
  }
  results.push(...skipped);

  let embedded: RunInfo['embedded'];
  if (selected('embedded')) {
    log('embedded PGlite: start time and idle memory …');
    const env = {
      ...baseEnv(),
      NODE_ENV: 'production',
      LATCHKEY_KEY_SECRET: 'bench key-encryption secret, not for real use',
      LOG_LEVEL: 'warn',
    };
    embedded = { ...(await measureEmbedded({ root, env, logFile: logFile('embedded') })), postgresIdleRssMb };
    log(
      `embedded PGlite: ready in ${embedded.firstStartMs} ms (fresh), ${embedded.nextStartMs} ms (next start), ${embedded.idleRssMb} MB idle`,
    );
  }

  // ── results ─────────────────────────────────────────────────────────────────
  const run: RunInfo = runSchema.parse({
    startedAt,
    smoke,
    machine: await machine(),
    settings: { ...settings, betterAuth: peer?.version ?? 'not run', argon2: 'argon2id m=19456 t=2 p=1' },
    embedded,
  });
  const table = markdownTable(results);
  const name = full ? 'latest' : smoke ? 'smoke' : 'partial';
  const out = join(resultsDir, `${name}.json`);
  await writeFile(out, `${JSON.stringify(resultsSchema.parse(results), null, 2)}\n`);
  await writeFile(join(resultsDir, `${name}.run.json`), `${JSON.stringify(run, null, 2)}\n`);
  if (full) {
    await writeFile(join(root, 'docs', 'performance.svg'), svgChart(results));
    const docPath = join(root, 'docs', 'performance.md');
    const doc = await readFile(docPath, 'utf8').catch(() => '# Performance\n');
    await writeFile(
      docPath,
      replaceGenerated(doc, {
        table,
        machine: run.machine,
        chartPath: 'performance.svg',
        when: `${startedAt.slice(0, 16).replace('T', ' ')} UTC`,
        embedded,
      }),
    );
  }
  if (webhooks) log(`webhooks: the receiver got ${fmt(webhooks.received())} event(s)`);
  process.stdout.write(`\n${table}\n\n`);
  log(`results: ${out}${full ? ', docs/performance.md, docs/performance.svg' : ''}`);
  return results;
}

main()
  .then(async ({ results, growthErrors }) => {
    await cleanup();
    // Figures are reported, never judged here; but a scenario whose requests failed (or
    // that answered none) means the bench or the server is broken.
    const broken = results.filter((r) => !r.skipped && (r.errors !== 0 || !(r.rps! > 0)));
    for (const r of broken) log(`broken: ${r.scenario} (${r.errors} errors, ${r.rps} req/s)`);
    if (growthErrors) log(`broken: growth (${growthErrors} failed requests, checks or steps)`);
    process.exit(broken.length || growthErrors ? 1 : 0);
  })
  .catch(async (e) => {
    log(`bench failed: ${(e as Error).stack ?? e}`);
    await cleanup();
    process.exit(1);
  });
