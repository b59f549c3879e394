/**
 * Sign in with other providers (API.md §9.1) for the client: the configured providers, the
 * authorization URL to send the browser to (the server sets the state cookie on the way),
 * and the identities linked to the signed-in account.
 *
 * @example
 *   window.location.assign(await latchkey.startOAuth({ provider: 'google', next: '/profile' }));
 */
import { fieldOf } from './field.js';

export interface OAuthProvider {
  id: string;
  name: string;
}

export interface Identity {
  id: string;
  provider: string;
  email: string | null;
  linkedAt: string;
}

export interface ExternalProviderMethods {
  /** The providers people can sign in with ("Continue with NAME"); empty when none is configured. */
  oauthProviders(): Promise<OAuthProvider[]>;
  /**
   * The provider's authorization URL: send the browser there. It comes back to `next` signed in,
   * to `/login/verify#challenge=…` for a second factor, or to `/login?error=CODE`. `link: true`
   * links the provider to the signed-in account instead (needs a recent sign-in).
   */
  startOAuth(input: { provider: string; next?: string; rememberMe?: boolean; link?: boolean }): Promise<string>;
  /** The provider identities linked to the signed-in account. */
  identities(): Promise<Identity[]>;
  /** Remove a linked identity (recent sign-in; LAST_SIGN_IN_METHOD when it is the last way in). */
  unlinkIdentity(id: string): Promise<boolean>;
}

interface Deps {
  anonymous<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

const START =
  'mutation LatchkeyStartOAuth($p: ID!, $n: String, $r: Boolean, $l: Boolean) { startOAuth(provider: $p, next: $n, rememberMe: $r, link: $l) }';

export function externalProviderMethods({ anonymous, request }: Deps): ExternalProviderMethods {
  const one = fieldOf(request);
  const anyone = fieldOf(anonymous);
  return {
    oauthProviders: () => anyone('oauthProviders', 'query LatchkeyProviders { oauthProviders { id name } }'),
    startOAuth: ({ provider, next, rememberMe = false, link = false }) =>
      (link ? one : anyone)('startOAuth', START, { p: provider, n: next ?? null, r: rememberMe, l: link }),
    identities: async () =>
      (
        await one<{ identities: Identity[] }>(
          'mySecurity',
          'query LatchkeyIdentities { mySecurity { identities { id provider email linkedAt } } }',
        )
      ).identities,
    unlinkIdentity: (id) =>
      one('unlinkIdentity', 'mutation LatchkeyUnlink($id: ID!) { unlinkIdentity(id: $id) }', { id }),
  };
}
