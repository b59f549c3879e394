/**
 * Simulated users for load under faults: each signs in, refreshes and asks
 * `me`, like a client behind a load balancer. A request that finds its
 * instance gone (connection refused or reset, or 503 while it shuts down) is sent again, with the same
 * token, to the next instance — exactly what a balancer's retry or a user's
 * reload does. Being signed out (TOKEN_REUSED, TOKEN_REVOKED, …) is recorded:
 * a user here only loses a session they logged out of themselves (and signs
 * in again at once), so nobody should be.
 *
 * @example
 *   const users = await signUpUsers(cluster.instances, 10);
 *   await Promise.all(users.map((u) => u.refresh()));
 *   users.flatMap((u) => u.signedOut); // []
 */
import type { Instance } from './cluster.js';
import { LOGIN, REFRESH, TEST_PASSWORD, createClient, uniqueEmail } from './server.js';

export interface SimulatedUser {
  email: string;
  accessToken: string;
  refreshToken: string;
  /** Operations answered without error. */
  done: number;
  /** Requests that met an instance that was down (then retried elsewhere). */
  unreachable: number;
  /** INTERNAL_SERVER_ERROR answers: the token is kept and tried again later. */
  internalErrors: number;
  /** SERVICE_UNAVAILABLE answers (the database away or overloaded): the token is kept and tried again later. */
  unavailable: number;
  /** Every answer that signed this user out, with what was asked: must stay empty. */
  signedOut: string[];
  /** Times this user logged out on purpose (and signed in again). */
  logouts: number;
  login(): Promise<void>;
  refresh(): Promise<void>;
  me(): Promise<void>;
  /** Log out (this session only), then sign in again. */
  logoutAndBack(): Promise<void>;
}

/** Codes that mean the user has lost their session. */
const SIGNED_OUT = new Set([
  'TOKEN_REUSED',
  'TOKEN_REVOKED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'SESSION_EXPIRED',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
]);

let turn = 0;

/**
 * A user on `instances` (the array is read at each request, so a test may
 * restart an instance under it). Call `login()` (or use `signUpUsers`) first.
 */
export function simulatedUser(instances: readonly Instance[], email: string): SimulatedUser {
  /** POST to one instance after another until one answers; undefined if none did. */
  const send = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const start = turn++;
    for (let i = 0; i < instances.length * 2; i++) {
      const instance = instances[(start + i) % instances.length];
      try {
        const res = await createClient(instance.url).gql(query, variables, { token });
        // 503 without GraphQL errors: the instance is shutting down and refused to start the request.
        if (res.status !== 503 || res.body.errors) return res;
      } catch {
        // Connection refused or reset: the instance is down.
      }
      user.unreachable++;
      if (i >= instances.length - 1) await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  };
  /** Note what came back; true when it succeeded. */
  const judge = (what: string, res: Awaited<ReturnType<typeof send>>) => {
    if (!res) return false;
    if (!res.code && !res.body.data)
      throw new Error(`${what} answered ${res.status} without data: ${JSON.stringify(res.body)}`);
    if (!res.code) {
      user.done++;
      return true;
    }
    if (res.code === 'INTERNAL_SERVER_ERROR') user.internalErrors++;
    else if (res.code === 'SERVICE_UNAVAILABLE') user.unavailable++;
    else if (SIGNED_OUT.has(res.code)) user.signedOut.push(`${what}: ${res.code}`);
    else if (res.code !== 'RATE_LIMITED')
      throw new Error(`${what} answered ${res.code}: ${JSON.stringify(res.body.errors)}`);
    return false;
  };

  const user: SimulatedUser = {
    email,
    accessToken: '',
    refreshToken: '',
    done: 0,
    unreachable: 0,
    internalErrors: 0,
    unavailable: 0,
    signedOut: [],
    logouts: 0,
    async login() {
      const res = await send(LOGIN, { email, password: TEST_PASSWORD });
      if (judge('login', res)) {
        user.accessToken = res!.body.data.login.accessToken;
        user.refreshToken = res!.body.data.login.refreshToken;
      }
    },
    async refresh() {
      const res = await send(REFRESH, { refreshToken: user.refreshToken });
      if (judge('refresh', res)) {
        user.accessToken = res!.body.data.refreshToken.accessToken;
        user.refreshToken = res!.body.data.refreshToken.refreshToken;
      }
    },
    async me() {
      judge('me', await send('{ me { id } }', {}, user.accessToken));
    },
    async logoutAndBack() {
      const res = await send('mutation { logout }', {}, user.accessToken);
      // TOKEN_REVOKED: an earlier try did log out, on an instance that died before answering.
      if (res?.code !== 'TOKEN_REVOKED' && !judge('logout', res)) return;
      user.logouts++;
      await user.login();
    },
  };
  return user;
}

/** Register `n` users (spread over the instances) and sign each in. */
export async function signUpUsers(instances: readonly Instance[], n: number): Promise<SimulatedUser[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const email = uniqueEmail('sim');
      const res = await createClient(instances[i % instances.length].url).gql(
        `mutation($email: String!, $password: String!) { register(email: $email, password: $password) { accessToken refreshToken } }`,
        { email, password: TEST_PASSWORD },
      );
      if (res.body.errors) throw new Error(`register failed: ${JSON.stringify(res.body.errors)}`);
      const user = simulatedUser(instances, email);
      user.accessToken = res.body.data.register.accessToken;
      user.refreshToken = res.body.data.register.refreshToken;
      return user;
    }),
  );
}

/**
 * One refresh by a client that gives up after `patienceMs`: the rotated token, the code it was
 * refused with, or 'retry' (given up, refused connection, or SERVICE_UNAVAILABLE: the same token
 * is to be sent again).
 */
export async function impatientRefresh(
  instance: Instance,
  token: string,
  patienceMs: number,
): Promise<{ code?: string; refreshToken?: string } | 'retry'> {
  try {
    const res = await fetch(`${instance.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: REFRESH, variables: { refreshToken: token } }),
      signal: AbortSignal.timeout(patienceMs),
    });
    const body = (await res.json().catch(() => ({}))) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    const code = body.errors?.[0]?.extensions?.code;
    if (code === 'SERVICE_UNAVAILABLE' || (!code && !body.data)) return 'retry';
    return code ? { code } : { refreshToken: body.data.refreshToken.refreshToken };
  } catch {
    return 'retry';
  }
}
