/**
 * The Latchkey browser client: sign-in state for an app, with an access token
 * that is kept in memory only and kept fresh — shortly before it expires, and
 * once more if the server still says it expired — so a person working on a page
 * is never thrown out by a token expiry, in any tab.
 */
import { ACCESS_TOKEN_CODES, LatchkeyError, SESSION_ENDING_CODES } from './errors.js';
import { createTabs, type SharedSession } from './tabs.js';
import { retrying } from './retry.js';
import { externalProviderMethods } from './externalProviders.js';
import { secondFactorMethods, signInResult } from './secondFactors.js';
import { accountMethods } from './accounts.js';
import { ownAccountMethods } from './ownAccount.js';
import { tokenLifetimeMs, tokenSessionId } from './claims.js';
import { fieldOf } from './field.js';
import { type Fetch, postGraphQL } from './transport.js';
import { onWake } from './wake.js';
import { LOGIN, LOGOUT, REFRESH, REGISTER, REQUEST_OTP, VERIFY_OTP } from './operations.js';
import type { AuthPayload, LatchkeyUser } from './user.js';
import type { LatchkeyClient, LatchkeyClientOptions, SessionState, SignOutReason } from './clientTypes.js';

export type { LatchkeyClient, LatchkeyClientOptions, SessionState, SignOutReason } from './clientTypes.js';

/** A token this close to expiry is refreshed before use rather than sent. */
const MIN_REMAINING_MS = 500;
/** After a refresh that failed for a passing reason (network, rate limit), try again this much later. */
const RETRY_AFTER_MS = 5000;

/**
 * Create the client for one page (tab). It starts restoring the session from
 * the refresh cookie at once.
 *
 * @example
 *   const latchkey = createLatchkeyClient({ url: 'https://auth.example.com' });
 *   latchkey.subscribe((s) => render(s.status === 'signedIn' ? s.user.email : 'signed out'));
 *   const result = await latchkey.login({ email: 'ada@example.com', password: 'correct horse battery staple' });
 *   if (result.status === 'secondFactorRequired') await latchkey.completeSignIn({ challenge: result.challenge, totpCode });
 *   const { me } = await latchkey.request<{ me: { email: string } }>('{ me { email } }');
 */
export function createLatchkeyClient(options: LatchkeyClientOptions = {}): LatchkeyClient {
  const endpoint = `${(options.url ?? '').replace(/\/+$/, '')}${options.graphqlPath ?? '/graphql'}`;
  const fetchFn: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? Date.now;
  const autoRefresh = options.autoRefresh ?? true;

  let session: (SharedSession & { lifetimeMs: number }) | null = null;
  let state: SessionState =
    options.restore === false
      ? { status: 'signedOut', user: null, reason: null }
      : { status: 'restoring', user: null, reason: null };
  const listeners = new Set<(state: SessionState) => void>();
  let refreshing: Promise<SharedSession> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const gql = <T>(query: string, variables: Record<string, unknown> | undefined, token: string | null) =>
    retrying(() => postGraphQL<T>(fetchFn, endpoint, query, variables, token, options.timeoutMs), options.retry);
  /** Without a bearer token, and with the signed-in person's (the client's `request`, defined below). */
  const anonymous = <T>(query: string, variables?: Record<string, unknown>) => gql<T>(query, variables, null);
  const request = <T>(query: string, variables?: Record<string, unknown>) => client.request<T>(query, variables);
  const anyone = fieldOf(anonymous);

  const setState = (next: SessionState) => {
    state = next;
    for (const listener of [...listeners]) listener(state);
  };

  const usable = (s: SharedSession) => s.expiresAt - now() > MIN_REMAINING_MS;

  const schedule = () => {
    clearTimeout(timer);
    if (!session || !autoRefresh || closed) return;
    const margin = options.refreshMarginMs ?? Math.min(30_000, session.lifetimeMs / 4);
    const token = session.accessToken;
    startTimer(Math.max(0, session.expiresAt - margin - now()), () =>
      refresh(token).catch((e: unknown) => {
        // Signed out already handled; a passing failure is retried (a request would also retry on its own).
        if (session?.accessToken === token) startTimer(RETRY_AFTER_MS, schedule);
        return e;
      }),
    );
  };
  const startTimer = (delay: number, fn: () => unknown) => {
    clearTimeout(timer);
    timer = setTimeout(fn, delay);
    (timer as { unref?: () => void }).unref?.();
  };

  const adopt = (next: SharedSession) => {
    const lifetimeMs = tokenLifetimeMs(next.accessToken) ?? Math.max(0, next.expiresAt - now());
    session = { ...next, lifetimeMs };
    schedule();
    setState({ status: 'signedIn', user: next.user, reason: null });
  };

  /** A new session from an auth payload: adopt it here and hand it to the other tabs. */
  const signedIn = (payload: AuthPayload): LatchkeyUser => {
    const lifetime = tokenLifetimeMs(payload.accessToken) ?? Date.parse(payload.accessTokenExpiresAt) - Date.now();
    const shared: SharedSession = { accessToken: payload.accessToken, expiresAt: now() + lifetime, user: payload.user };
    adopt(shared);
    tabs.post({ type: 'session', session: shared });
    return payload.user;
  };

  const endSession = (reason: SignOutReason | null, broadcast: boolean) => {
    session = null;
    clearTimeout(timer);
    if (state.status !== 'signedOut' || state.reason !== reason) setState({ status: 'signedOut', user: null, reason });
    if (broadcast) tabs.post({ type: 'signed-out', reason });
  };

  const tabs = createTabs({
    channelName: options.channelName ?? 'latchkey',
    locks: options.locks,
    lockTimeoutMs: options.lockTimeoutMs,
    BroadcastChannel: options.BroadcastChannel,
    now,
    onMessage(message) {
      if (message.type === 'session') {
        // Keep the newest token (messages can cross a refresh of our own).
        if (!session || message.session.expiresAt >= session.expiresAt) adopt(message.session);
      } else if (message.type === 'signed-out') {
        endSession(message.reason, false);
      }
    },
  });

  /**
   * Refresh, once per tab at a time and coordinated with the other tabs. `stale`
   * is the token the caller found wanting (null: none); if the session already
   * moved past it (another call or tab refreshed), that session is the answer.
   */
  const refresh = (stale: string | null): Promise<SharedSession> => {
    refreshing ??= (async () => {
      try {
        return await tabs.exclusive(async () => {
          if (session && session.accessToken !== stale && usable(session)) return session;
          // Signed out (here or in another tab) while this refresh waited its turn: do not bring the session back.
          if (stale !== null && session === null)
            throw new LatchkeyError(state.reason ?? 'UNAUTHENTICATED', 'Signed out');
          let payload: AuthPayload;
          try {
            payload = await anyone<AuthPayload>('refreshToken', REFRESH);
          } catch (e) {
            if (e instanceof LatchkeyError && SESSION_ENDING_CODES.has(e.code)) {
              // The shared cookie is dead (or absent): every tab is signed out. At start-up with no cookie
              // there was simply no session — no reason to show, nobody to tell.
              const hadSession = stale !== null || session !== null;
              endSession(hadSession || e.code !== 'UNAUTHENTICATED' ? e.code : null, hadSession);
            }
            throw e;
          }
          signedIn(payload);
          return session!;
        });
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  };

  // Back from the background or offline with an expired token: refresh now, not at the next request.
  const stopWaking = onWake(() => {
    if (session && !usable(session)) refresh(session.accessToken).catch(() => undefined);
  });

  const restoring: Promise<void> =
    options.restore === false
      ? Promise.resolve()
      : refresh(null).then(
          () => undefined,
          (e: unknown) => {
            // Server unreachable at start: nothing to show but the sign-in page; say why.
            if (state.status === 'restoring')
              setState({
                status: 'signedOut',
                user: null,
                reason: e instanceof LatchkeyError ? e.code : 'NETWORK_ERROR',
              });
          },
        );

  const usableToken = async (): Promise<string | null> => {
    await restoring;
    if (!session) return null;
    if (usable(session)) return session.accessToken;
    return (await refresh(session.accessToken)).accessToken;
  };

  const client: LatchkeyClient = {
    ...secondFactorMethods({ anonymous, request, signedIn }),
    ...externalProviderMethods({ anonymous, request }),
    ...accountMethods({
      request,
      signOut: (reason) => endSession(reason, true),
      setUser: (user) => client.setUser(user),
    }),
    ...ownAccountMethods({
      anonymous,
      request,
      getUser: () => state.user,
      setUser: (user) => client.setUser(user),
      sessionId: () => (session ? tokenSessionId(session.accessToken) : null),
      signOut: (reason) => endSession(reason, true),
    }),
    register: async (input) =>
      signedIn(await anyone<AuthPayload>('register', REGISTER, { ...input, rememberMe: input.rememberMe ?? false })),
    login: (input) =>
      signInResult(async () =>
        signedIn(await anyone<AuthPayload>('login', LOGIN, { ...input, rememberMe: input.rememberMe ?? false })),
      ),
    async requestCode(email) {
      await anonymous(REQUEST_OTP, { email });
    },
    loginWithCode: (input) =>
      signInResult(async () =>
        signedIn(
          await anyone<AuthPayload>('verifyOtp', VERIFY_OTP, { ...input, rememberMe: input.rememberMe ?? false }),
        ),
      ),
    async logout({ everywhere = false } = {}) {
      // Under the refresh lock, so no tab is halfway through a refresh that would hand the session back.
      return tabs.exclusive(async () => {
        const token = session?.accessToken ?? null;
        try {
          return (await gql<{ logout: boolean }>(LOGOUT, { everywhere }, token)).logout;
        } catch {
          return false;
        } finally {
          endSession('SIGNED_OUT', true);
        }
      });
    },
    async request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      const token = await usableToken();
      try {
        return await gql<T>(query, variables, token);
      } catch (e) {
        if (token === null || !(e instanceof LatchkeyError) || !ACCESS_TOKEN_CODES.has(e.code)) throw e;
        // The server refused a token we thought good (expired early, clock skew, revoked): refresh once, retry once.
        const fresh = await refresh(token);
        return gql<T>(query, variables, fresh.accessToken);
      }
    },
    getAccessToken: usableToken,
    getUser: () => state.user,
    getState: () => state,
    ready: () => restoring.then(() => state),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setUser(user) {
      if (!session) return;
      session = { ...session, user };
      setState({ status: 'signedIn', user, reason: null });
      tabs.post({ type: 'session', session });
    },
    close() {
      closed = true;
      stopWaking();
      clearTimeout(timer);
      tabs.close();
      listeners.clear();
    },
  };
  return client;
}
