/**
 * `npm run soak`: many simulated users sign in, refresh, ask `me` and now and
 * then log out, across three instances, for minutes, while one instance is
 * SIGKILLed and restarted, Redis is killed and restarted, and another instance
 * is stopped with SIGTERM and restarted. Then the database is asked whether
 * the blacklist held:
 *  - no session with two live tokens, no token with two predecessors (two live successors);
 *  - no token both unused and replaced; every used token has its successor;
 *  - nobody signed out who did not log out: every client kept its session,
 *    every user has a live session at the end, and every revoked session was
 *    revoked by its own logout;
 *  - one warning per instance for the Redis outage.
 *
 *   npm run soak                    # 3 minutes, 40 users
 *   npm run soak -- --duration 10m --users 100
 *   npm run soak -- --short         # about 45 s (CI, after npm test)
 *
 * Everything runs on loopback, against a private PostgreSQL and Redis (the
 * machine's shared servers are never touched). Exits 1 when a check fails.
 */
import { parseArgs } from 'node:util';
import ms from 'ms';
import buildServer from '../support/build.js';
import { type Instance, chainViolations, startCluster } from '../support/cluster.js';
import { REQUIRE_PG, startPrivatePostgres } from '../support/databases.js';
import { type SimulatedUser, signUpUsers } from '../support/load.js';
import { startPrivateRedis } from '../support/redis.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '3m' },
    users: { type: 'string', default: '40' },
    short: { type: 'boolean', default: false },
  },
});
const durationMs = values.short ? 45_000 : ms(values.duration as ms.StringValue);
const userCount = values.short ? 20 : Number(values.users);
if (!Number.isFinite(durationMs) || durationMs < 10_000 || !Number.isInteger(userCount) || userCount < 1) {
  console.error('soak: --duration must be at least 10s and --users a whole number');
  process.exit(2);
}

const sleep = (n: number) => new Promise((r) => setTimeout(r, n));
const log = (message: string) => console.log(`soak ${new Date().toISOString().slice(11, 19)} ${message}`);

await buildServer();
const postgres = await startPrivatePostgres();
const redis = await startPrivateRedis();
if (!postgres || !redis) {
  await postgres?.destroy();
  await redis?.stop();
  console.log('soak: skipped (no PostgreSQL server binaries or redis-server here)');
  process.exit(REQUIRE_PG ? 1 : 0);
}

const cluster = await startCluster({
  size: 3,
  databaseUrl: postgres.url,
  env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'soak', RATE_LIMIT_LOGIN_ACCOUNT: '1000/15m' },
});
let failed = false;
try {
  const [, b, c] = cluster.instances;
  log(`${cluster.instances.length} instances, ${userCount} users, ${ms(durationMs)}`);
  const users = await signUpUsers(cluster.instances, userCount);
  const deadline = Date.now() + durationMs;

  /** One user's life: mostly refresh and me, sometimes a fresh sign-in or a logout, with think time. */
  const live = async (user: SimulatedUser) => {
    while (Date.now() < deadline) {
      const roll = Math.random();
      if (roll < 0.45) await user.refresh();
      else if (roll < 0.9) await user.me();
      else if (roll < 0.97) await user.login();
      else await user.logoutAndBack();
      await sleep(20 + Math.random() * 80);
    }
  };
  const restart = async (instance: Instance, signal: NodeJS.Signals) => {
    const exit = await instance.kill(signal);
    log(`${instance.name} stopped (${JSON.stringify(exit)})`);
    await sleep(1000);
    await instance.start();
    log(`${instance.name} back`);
  };
  const redisOutage = { from: 0, to: 0 };
  /** The faults, spread over the run. */
  const faults = async () => {
    await sleep(durationMs * 0.2);
    await restart(b, 'SIGKILL');
    await sleep(durationMs * 0.2);
    redisOutage.from = Date.now();
    await redis.stop();
    log('redis stopped');
    await sleep(Math.min(5000, durationMs * 0.1));
    await redis.start();
    redisOutage.to = Date.now();
    log('redis back');
    await sleep(durationMs * 0.15);
    await restart(c, 'SIGTERM');
  };
  await Promise.all([...users.map(live), faults()]);

  const sum = (key: 'done' | 'unreachable' | 'internalErrors' | 'unavailable' | 'logouts') =>
    users.reduce((n, u) => n + u[key], 0);
  const signedOut = users.flatMap((u) => u.signedOut.map((what) => `${u.email} ${what}`));
  const chains = await chainViolations(cluster);
  const wrongRevocations = await cluster.query(`select revoke_reason, count(*)::int as n from sessions
                                                where revoked_at is not null and revoke_reason <> 'logout' group by revoke_reason`);
  // Every user still has a live session at the end (the last sign-in, or the chain they kept refreshing).
  const withoutSession = await cluster.query(`select email from users u where not exists (
      select 1 from sessions s join refresh_tokens t on t.session_id = s.id and t.used_at is null
      where s.user_id = u.id and s.revoked_at is null and t.expires_at > now())`);
  const [{ rotations }] = await cluster.query(
    `select count(*)::int as rotations from refresh_tokens where used_at is not null`,
  );
  // One Redis outage: one warning per instance, not one per request. Outside the outage (up to the
  // breaker's 5 s cooldown after it), a Redis answer slower than REDIS_COMMAND_TIMEOUT on this loaded
  // machine is a short outage of its own, by design, and may warn once more — never per request.
  const duringOutage = (time: number) => time >= redisOutage.from - 500 && time <= redisOutage.to + 7000;
  const warnings = cluster.instances.map((i) => i.logged(/Redis unreachable/));
  const redisWarnings = warnings.map((lines) => lines.filter((l) => duringOutage(Number(l.time))).length);
  const redisWarningsInAll = warnings.map((lines) => lines.length);
  const report = {
    answered: sum('done'),
    rotations,
    logouts: sum('logouts'),
    retriedElsewhere: sum('unreachable'),
    internalErrors: sum('internalErrors'),
    unavailable: sum('unavailable'),
    signedOut,
    ...chains,
    wrongRevocations,
    withoutSession,
    redisWarnings,
    redisWarningsInAll,
  };
  console.log(JSON.stringify(report, null, 2));
  const checks: [string, boolean][] = [
    ['requests were answered', report.answered > 0],
    ['nobody was signed out who did not log out', signedOut.length === 0],
    ['every revoked session was revoked by its own logout', wrongRevocations.length === 0],
    ['every user has a live session', withoutSession.length === 0],
    [
      'every used token has one successor, none rotated twice',
      chains.usedWithoutSuccessor.length === 0 && chains.twoPredecessors.length === 0,
    ],
    ['no session has two live tokens', chains.twoLiveTokens.length === 0],
    ['no token is both unused and replaced', chains.unusedButReplaced.length === 0],
    ['one Redis warning per instance for the outage', redisWarnings.every((n) => n <= 1)],
    [
      'a few Redis warnings per instance in the whole run, not one per request',
      redisWarningsInAll.every((n) => n <= 3),
    ],
  ];
  for (const [name, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
  const failures = checks.filter(([, ok]) => !ok).length;
  failed = failures > 0;
  console.log(`soak: ${checks.length - failures} passed, ${failures} failed`);
} finally {
  await cluster.close();
  await redis.stop();
  await postgres.destroy();
}
process.exit(failed ? 1 : 0);
