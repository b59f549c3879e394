/**
 * The client's public shape: its options, its sign-in state and its methods. The
 * implementation is `createLatchkeyClient` (client.ts).
 */
import type { AccountMethods } from './accounts.js';
import type { OwnAccountMethods } from './ownAccount.js';
import type { RetryOptions } from './retry.js';
import type { ExternalProviderMethods } from './externalProviders.js';
import type { SecondFactorMethods, SignInResult } from './secondFactors.js';
import type { TabOptions } from './tabs.js';
import type { Fetch } from './transport.js';
import type { LatchkeyUser } from './user.js';

export interface LatchkeyClientOptions {
  /** The Latchkey server's base URL; '' (default) is the page's own origin. GraphQL is at `${url}${graphqlPath}`. */
  url?: string;
  /** Where the server's GraphQL endpoint is (its GRAPHQL_PATH); default `/graphql`. */
  graphqlPath?: string;
  /** fetch to use (default: the global one). In Node, pass `createCookieFetch().fetch` from `@latchkey/client/node`. */
  fetch?: Fetch;
  /** Tabs that share a channel name share a session (default `latchkey`). */
  channelName?: string;
  /** Web Locks for cross-tab refreshes; `null` turns them off. Default: `navigator.locks` when present. */
  locks?: TabOptions['locks'];
  /** BroadcastChannel constructor; `null` turns cross-tab messages off. Default: the global one. */
  BroadcastChannel?: TabOptions['BroadcastChannel'];
  /** Refresh this long before the access token expires. Default: a quarter of its lifetime, at most 30 s. */
  refreshMarginMs?: number;
  /** Refresh on a timer before expiry (default true). Off, refreshes happen only when a request needs one. */
  autoRefresh?: boolean;
  /** Restore the session from the refresh cookie at start (default true). */
  restore?: boolean;
  /** The local clock (ms). */
  now?: () => number;
  /**
   * How a SERVICE_UNAVAILABLE answer (the server's database busy or away) is retried: default 3
   * more tries, backoff from 250 ms honouring `retryAfter`. Never a reason to sign anyone out.
   */
  retry?: RetryOptions;
  /** Give up on a request after this long (default 15 s): TIMEOUT, which signs nobody out. */
  timeoutMs?: number;
  /** Wait this long for another tab's refresh lock before taking it over (ms, default 10 s). */
  lockTimeoutMs?: number;
}

/** Why a person is signed out: `SIGNED_OUT` (they or another tab chose to), or the server's code. `null`: never signed in. */
export type SignOutReason =
  | 'SIGNED_OUT'
  | 'ACCOUNT_DELETED'
  | 'TOKEN_REVOKED'
  | 'TOKEN_REUSED'
  | 'SESSION_EXPIRED'
  | (string & {});

export type SessionState =
  | { status: 'restoring'; user: null; reason: null }
  | { status: 'signedIn'; user: LatchkeyUser; reason: null }
  | { status: 'signedOut'; user: null; reason: SignOutReason | null };

export interface LatchkeyClient
  extends SecondFactorMethods,
    ExternalProviderMethods,
    AccountMethods,
    OwnAccountMethods {
  register(input: {
    email: string;
    password: string;
    displayName?: string;
    username?: string;
    rememberMe?: boolean;
  }): Promise<LatchkeyUser>;
  /**
   * Signed in, or the second step still needed (`secondFactorRequired` with the challenge and methods).
   * `code`: with the server's REQUIRE_EMAIL_VERIFICATION, the VERIFY_EMAIL code mailed after EMAIL_NOT_VERIFIED.
   */
  login(input: { email: string; password: string; rememberMe?: boolean; code?: string }): Promise<SignInResult>;
  /** Ask for a one-time sign-in code by email (the server answers the same whether or not the address is known). */
  requestCode(email: string): Promise<void>;
  loginWithCode(input: { email: string; code: string; rememberMe?: boolean }): Promise<SignInResult>;
  /** End this session (or every session) on the server and in every tab. True when the server confirmed. */
  logout(options?: { everywhere?: boolean }): Promise<boolean>;
  /** A GraphQL request with the bearer token attached; refreshes and retries once on an expired token. */
  request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** A usable access token (refreshed if needed), or null when signed out: for calling other services. */
  getAccessToken(): Promise<string | null>;
  getUser(): LatchkeyUser | null;
  getState(): SessionState;
  /** Resolves once the session has been restored from the cookie (or found absent). */
  ready(): Promise<SessionState>;
  /** Called on every change of sign-in state (not immediately); returns an unsubscribe function. */
  subscribe(listener: (state: SessionState) => void): () => void;
  /** Replace the cached user (after a profile edit), telling subscribers. */
  setUser(user: LatchkeyUser): void;
  /** Stop timers and leave the tab channel. */
  close(): void;
}
