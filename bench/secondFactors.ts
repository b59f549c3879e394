/**
 * The second-factor scenarios (issue 11): `login-totp` — a password login that stops at the
 * second step, then `completeSignIn` with a valid TOTP code — and `passkey-signin` — options,
 * then an assertion signed by the bench with a software key (bench/softAuthenticator.ts) —
 * each a whole sign-in per iteration, as a ratio to plain `login` in the same run.
 *
 * Both flows are two requests, so they are driven by a small in-process loop (fetch, N
 * workers) rather than autocannon; the sign-ins per second are what is compared.
 *
 * Seeding goes through Latchkey's services (no SQL): TOTP users get a secret turned on with
 * a code, passkey users a passkey registered through the real ceremony.
 */
import { Secret, TOTP } from 'otpauth';
import type { Config } from '../src/config.js';
import { createServices } from '../src/services.js';
import { openDatabase } from '../src/store/db.js';
import { hashPassword } from '../src/auth/passwords.js';
import type { LoadResult, Target } from './load.js';
import { pairScenario, type Scenario } from './scenarios.js';
import type { ServerProcess } from './processes.js';
import { PASSWORD } from './seed.js';
import { softAuthenticator, type SoftAuthenticator } from './softAuthenticator.js';
import { percentile } from './stats.js';

const totpEmail = (i: number) => `totp${i}@bench.example`;
const passkeyEmail = (i: number) => `passkey${i}@bench.example`;
const STEP_MS = 30_000;

export interface SecondFactorSeed {
  totpSecrets: string[];
  passkeys: SoftAuthenticator[];
}

/** `totpUsers` accounts with TOTP on, and `passkeyUsers` accounts with a software passkey each. */
export async function seedSecondFactors(
  config: Config,
  counts: { totpUsers: number; passkeyUsers: number },
): Promise<SecondFactorSeed> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: '' });
  const services = await createServices({ config, database });
  try {
    const passwordHash = await hashPassword(PASSWORD);
    const user = async (email: string) => {
      const created = await services.repos.users.create({ email, passwordHash, createdAt: new Date() });
      if (!('user' in created)) throw new Error(`seeding: ${email} already taken`);
      return created.user;
    };
    const totpSecrets: string[] = [];
    for (let i = 0; i < counts.totpUsers; i++) {
      const u = await user(totpEmail(i));
      const { secret } = await services.totp.start(u);
      // The step before now: the bench's first sign-in may use the current one.
      await services.totp.confirm(
        u.id,
        new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() - STEP_MS }),
      );
      totpSecrets.push(secret);
    }
    const passkeys: SoftAuthenticator[] = [];
    for (let i = 0; i < counts.passkeyUsers; i++) {
      const u = await user(passkeyEmail(i));
      const key = await softAuthenticator({ origin: config.publicUrl, rpId: config.webauthnRpId });
      await services.passkeys.register(
        u.id,
        key.register(await services.passkeys.registrationOptions(u, null)),
        'bench key',
      );
      passkeys.push(key);
    }
    return { totpSecrets, passkeys };
  } finally {
    await services.close();
    await database.close();
  }
}

/** Run `iteration(worker)` from `workers` loops for `seconds`: one sign-in per iteration. */
async function loop(
  seconds: number,
  workers: number,
  iteration: (worker: number) => Promise<boolean>,
): Promise<LoadResult> {
  const end = Date.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (Date.now() < end) {
        const started = performance.now();
        const ok = await iteration(w).catch(() => false);
        latencies.push(performance.now() - started);
        if (!ok) errors++;
      }
    }),
  );
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
    ok: latencies.length - errors,
  };
}

export function secondFactorTargets(
  seed: SecondFactorSeed,
  { url, server, workers }: { url: string; server: ServerProcess; workers: number },
) {
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as {
      data?: Record<string, any> | null;
      errors?: { extensions?: Record<string, unknown> }[];
    };
  };

  // Each TOTP code is accepted once (replay): a user signs in at most once per step, with the
  // next step's code when this one is used (±1 step is accepted).
  const lastStep = seed.totpSecrets.map(() => -1);
  let nextUser = 0;
  const pickTotp = (): { i: number; code: string } | undefined => {
    const now = Math.floor(Date.now() / STEP_MS);
    for (let tries = 0; tries < seed.totpSecrets.length; tries++) {
      const i = nextUser++ % seed.totpSecrets.length;
      const step = lastStep[i] < now ? now : lastStep[i] === now ? now + 1 : undefined;
      if (step === undefined) continue;
      lastStep[i] = step;
      return {
        i,
        code: new TOTP({ secret: Secret.fromBase32(seed.totpSecrets[i]) }).generate({ timestamp: step * STEP_MS }),
      };
    }
    return undefined;
  };

  const loginTotp: Target = {
    name: 'Latchkey login + completeSignIn (TOTP)',
    server,
    run: (seconds) =>
      loop(seconds, workers, async () => {
        const user = pickTotp();
        if (!user) return false;
        const first = await gql(
          'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
          { e: totpEmail(user.i), p: PASSWORD },
        );
        const challenge = first.errors?.[0]?.extensions?.challenge;
        if (typeof challenge !== 'string') return false;
        const done = await gql(
          'mutation($c: String!, $t: String) { completeSignIn(challenge: $c, totpCode: $t) { accessToken } }',
          { c: challenge, t: user.code },
        );
        return typeof done.data?.completeSignIn?.accessToken === 'string';
      }),
  };

  // One software key per worker: its signature counter only ever goes up.
  const passkeySignIn: Target = {
    name: 'Latchkey passkey sign-in (options + assertion)',
    server,
    run: (seconds) =>
      loop(seconds, Math.min(workers, seed.passkeys.length), async (w) => {
        const options = await gql('mutation($e: String) { startPasskeySignIn(email: $e) }', { e: passkeyEmail(w) });
        if (!options.data?.startPasskeySignIn) return false;
        const done = await gql('mutation($r: JSON!) { finishPasskeySignIn(response: $r) { accessToken } }', {
          r: seed.passkeys[w].assert(options.data.startPasskeySignIn),
        });
        return typeof done.data?.finishPasskeySignIn?.accessToken === 'string';
      }),
  };
  return { loginTotp, passkeySignIn };
}

/** The two scenarios, each against plain `login` (the same target as the login scenario) in the same rounds. */
export function secondFactorScenarios(
  seed: SecondFactorSeed,
  {
    url,
    server,
    workers,
    login,
    selected,
  }: { url: string; server: ServerProcess; workers: number; login: Target; selected(name: string): boolean },
): Scenario[] {
  const { loginTotp, passkeySignIn } = secondFactorTargets(seed, { url, server, workers });
  const scenario = (name: string, subject: Target, what: string): Scenario =>
    pairScenario({
      scenario: name,
      what,
      subject,
      reference: login,
      target: 'report the ratio to plain login',
      goals: () => null,
    });
  return [
    ...(selected('login-totp')
      ? [
          scenario(
            'login-totp',
            loginTotp,
            `password login, then completeSignIn with a valid TOTP code, ${workers} workers (sign-ins/s)`,
          ),
        ]
      : []),
    ...(selected('passkey-signin')
      ? [
          scenario(
            'passkey-signin',
            passkeySignIn,
            `startPasskeySignIn, then finishPasskeySignIn with an ES256 assertion, one software key per worker, ${workers} workers (sign-ins/s)`,
          ),
        ]
      : []),
  ];
}
