/**
 * Sign in with an external provider, and link or unlink one (API.md §9.1, docs/oauth.md).
 *
 * This file assembles the parts: the providers themselves (oauthProviders.ts), the browser's
 * round trip through one — state cookie, code exchange, ID-token checks, sign-in (oauthFlow.ts) —
 * and the linking rules that decide which account an identity belongs to (oauthLinking.ts).
 *
 * @example
 *   const { url, cookie } = await oauth.start({ provider: 'google', next: '/' }, null, meta);
 *   const outcome = await oauth.callback('google', callbackUrl, cookie, meta);
 */
import { createOAuthFlow, type OAuthFlowDeps } from './oauthFlow.js';
import { createOAuthLinking, type OAuthLinkingDeps } from './oauthLinking.js';

export function createOAuth(deps: OAuthFlowDeps & OAuthLinkingDeps) {
  const { providers } = deps;
  const linking = createOAuthLinking(deps);
  const { start, callback } = createOAuthFlow({ ...deps, linking });
  return {
    /** Discover every provider (at start); those that failed, with why. */
    async warmUp(): Promise<{ provider: string; reason: string }[]> {
      const results = await Promise.all(
        [...providers.values()].map(async (p) => ({ provider: p.id, reason: await p.warmUp() })),
      );
      return results.filter((r): r is { provider: string; reason: string } => r.reason !== undefined);
    },

    /** The providers people can choose, in OAUTH_PROVIDERS order. */
    list: () => [...providers.values()].map((p) => ({ id: p.id, name: p.name })),

    start,
    callback,
    identities: linking.identities,
    unlink: linking.unlink,
  };
}
