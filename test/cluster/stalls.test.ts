/**
 * PostgreSQL frozen (SIGSTOP on every one of its processes: connections stay open,
 * nothing answers) for longer than REFRESH_REUSE_GRACE, under a refresh load from
 * impatient clients: each gives up on a request after 400 ms and sends the same
 * refresh token again, to the next instance. After SIGCONT nobody may be signed
 * out: the rotations that waited are stamped when they ran (the database's clock),
 * those that could not run in time did nothing, one the freeze caught before its
 * commit is answered after it (stallWitness.ts), and every retry is answered with
 * the session's current successor or a retryable error. The same with an instance
 * stopped (SIGTERM) during the freeze. Meanwhile /readyz says not ready; it does not hang.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type Instance, chainViolations, suiteCluster } from '../support/cluster.js';
import { startPrivatePostgres } from '../support/databases.js';
import { type SimulatedUser, impatientRefresh, signUpUsers } from '../support/load.js';
import { waitUntil } from '../support/processes.js';

const postgres = await startPrivatePostgres();

const intact = { usedWithoutSuccessor: [], twoLiveTokens: [], unusedButReplaced: [], twoPredecessors: [] };
/** What a client gives up after: shorter than the freeze, the grace and the server's own limits. */
const PATIENCE_MS = 400;
/**
 * Not a measure: a guard, well past /readyz's own bound (a second for each of its two checks), so a
 * probe that waits on the frozen database fails here instead of holding the freeze until the test's timeout.
 */
const HUNG_MS = 10_000;

/** A user who refreshes again and again, giving up on slow answers and retrying the same token elsewhere. */
interface Impatient {
  email: string;
  token: string;
  /** Successful refreshes. */
  done: number;
  /** Tries given up (timeout, refused connection) or answered SERVICE_UNAVAILABLE: then the same token is sent again. */
  retries: number;
  /** Presented refresh token → every refresh token it was answered with (must be one). */
  answers: Map<string, Set<string>>;
  /** Answers that would sign the person out: must stay empty. */
  signedOut: string[];
}

/** Refresh until `stop()` says so, each refresh retried with the same token until it is answered. */
async function impatientLoad(instances: readonly Instance[], users: Impatient[], stop: (u: Impatient) => boolean) {
  let turn = 0;
  await Promise.all(
    users.map(async (u) => {
      while (!stop(u) && !u.signedOut.length) {
        const presented = u.token;
        for (;;) {
          const answer = await impatientRefresh(instances[turn++ % instances.length], presented, PATIENCE_MS);
          if (answer === 'retry') {
            u.retries++;
            // A client's pause between tries (not a synchronisation): a dead instance refuses at once.
            await new Promise((r) => setTimeout(r, 50));
            continue;
          }
          if (answer.code) {
            u.signedOut.push(answer.code);
            break;
          }
          const seen = u.answers.get(presented) ?? new Set();
          seen.add(answer.refreshToken!);
          u.answers.set(presented, seen);
          u.token = answer.refreshToken!;
          u.done++;
          break;
        }
      }
    }),
  );
}

const impatient = (users: SimulatedUser[]): Impatient[] =>
  users.map((u) => ({ email: u.email, token: u.refreshToken, done: 0, retries: 0, answers: new Map(), signedOut: [] }));

describe.runIf(postgres)('PostgreSQL frozen for longer than the grace under refresh load', () => {
  const pg = postgres!;
  // Declared first, so run last: after the cluster closed.
  afterAll(async () => {
    await pg.destroy();
  });
  const cluster = suiteCluster(() => ({
    size: 3,
    databaseUrl: pg.url,
    // Short limits keep the test short: a 4 s grace, statements bounded at 1 s, a connection waited for 1 s.
    env: { REFRESH_REUSE_GRACE: '4s', DATABASE_QUERY_TIMEOUT: '1s', DATABASE_POOL_TIMEOUT: '1s' },
  }));

  /** Run the load through a freeze (with `during` done while frozen), and check that nobody was signed out. */
  async function throughFreeze(during: () => Promise<void>) {
    const users = impatient(await signUpUsers(cluster.instances, 8));
    let thawed = false;
    const doneAtThaw = new Map<Impatient, number>();
    const load = impatientLoad(cluster.instances, users, (u) => thawed && u.done >= (doneAtThaw.get(u) ?? 0) + 3);
    await waitUntil(() => users.every((u) => u.done >= 2), 'the load to get going');

    await pg.freeze();
    const retriesAtFreeze = users.map((u) => u.retries);
    // Frozen until every client has given up on the same token at least 11 times (≥ 4.4 s): past the 4 s grace.
    await waitUntil(
      () => users.every((u, i) => u.retries >= retriesAtFreeze[i] + 11),
      'every client to retry through the freeze',
      30_000,
    );
    await during();
    for (const u of users) doneAtThaw.set(u, u.done);
    thawed = true;
    await pg.thaw();
    await load;

    expect(users.flatMap((u) => u.signedOut)).toEqual([]);
    // Every retry of a token that was answered got one and the same successor: the session stayed one chain.
    for (const u of users) for (const [, successors] of u.answers) expect(successors.size).toBe(1);
    const emails = users.map((u) => u.email);
    const revoked = await cluster.query(
      `select s.revoke_reason from sessions s join users u on u.id = s.user_id where u.email = any($1) and s.revoked_at is not null`,
      [emails],
    );
    expect(revoked).toEqual([]);
    expect(await chainViolations(cluster)).toEqual(intact);
    // One rotation per answered refresh, none lost, none twice.
    const lengths = await cluster.query(
      `select u.email, count(t.*)::int as n from refresh_tokens t join sessions s on s.id = t.session_id join users u on u.id = s.user_id
       where u.email = any($1) group by u.email`,
      [emails],
    );
    for (const u of users) expect(lengths.find((r) => r.email === u.email)?.n).toBe(u.done + 1);
    return users;
  }

  it('signs nobody out: late rotations are stamped when they ran, and every retry gets the current successor; /readyz says not ready', async () => {
    const users = await throughFreeze(async () => {
      // A frozen database accepts connections and answers nothing: readiness gives up on it and says so.
      const answers = await Promise.all(
        cluster.instances.map(async (instance) => {
          const res = await fetch(`${instance.url}/readyz`, { signal: AbortSignal.timeout(HUNG_MS) });
          return { status: res.status, body: await res.json() };
        }),
      );
      expect(answers).toEqual(
        cluster.instances.map(() => ({ status: 503, body: { status: 'unavailable', reason: 'database unreachable' } })),
      );
    });
    expect(users.reduce((n, u) => n + u.retries, 0)).toBeGreaterThan(0);
  });

  it('signs nobody out when an instance is stopped (SIGTERM) during the freeze', async () => {
    const b = cluster.instances[1];
    let exit: Awaited<ReturnType<Instance['kill']>> | undefined;
    await throughFreeze(async () => {
      // Its requests waiting on the frozen database are answered (503) within the query limit, then it exits.
      exit = await b.kill('SIGTERM');
    });
    expect(exit?.signal ?? null).toBeNull();
    await b.start();
  });
});
