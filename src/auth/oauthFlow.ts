/**
 * The browser's round trip through an external provider (API.md §9.1, docs/oauth.md).
 *
 * `start` makes the authorization URL (PKCE S256, `state`, and `nonce` for OpenID Connect)
 * and the sealed state the browser keeps in a cookie (code verifier, nonce, `next`, who is
 * linking): the cookie binds the flow to this browser, and `state` is also a single-use
 * server challenge, so a replayed callback URL is refused even with the cookie still there.
 * `callback` checks all of it, lets openid-client exchange the code and verify the ID token
 * (issuer, audience, signature, expiry, nonce), then applies the linking rules
 * (oauthLinking.ts) and goes through signIn.ts, so a second factor is still asked for.
 */
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Config } from '../config.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Challenges } from './challenges.js';
import { AuthError, isAuthError } from './errors.js';
import type { Limits } from './limits.js';
import type { OAuthLinking } from './oauthLinking.js';
import { OAuthFlowError, type Provider } from './oauthProviders.js';
import type { Reauth } from './reauth.js';
import type { Sealer } from './sealer.js';
import type { SignedIn, Viewer } from './sessions.js';
import type { SignIn } from './signIn.js';

/** RFC 8176: an external provider. */
const FED_AMR = ['fed'] as const;

/** What the browser keeps between start and callback, sealed (AES-GCM) so it can neither read nor change it. */
interface FlowState {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  next: string | null;
  rememberMe: boolean;
  /** Linking: the account and session that started it. */
  link: { userId: string; sessionId: string } | null;
}

interface StartInput {
  provider: string;
  next?: string | null;
  rememberMe?: boolean | null;
  link?: boolean | null;
}

/** Where the callback sends the browser, and the session it opened (the route sets its cookie). */
interface CallbackOutcome {
  location: string;
  signedIn?: SignedIn;
}

export interface OAuthFlowDeps {
  providers: Map<string, Provider>;
  challenges: Challenges;
  signIn: SignIn;
  reauth: Pick<Reauth, 'requireRecent'>;
  limits: Limits;
  audit: Audit;
  sealer: Sealer;
  config: Pick<Config, 'publicUrl' | 'redirectOrigins'>;
}

export function createOAuthFlow({
  providers,
  challenges,
  signIn,
  reauth,
  limits,
  audit,
  sealer,
  config,
  linking,
}: OAuthFlowDeps & { linking: Pick<OAuthLinking, 'accountFor' | 'linkTo'> }) {
  const redirectUri = (id: string) => `${config.publicUrl}/auth/oauth/${id}/callback`;
  const login = (code: string) => `/login?error=${code}`;

  /** `next` as §9.2 allows it (a path here, or an absolute URL on this origin or REDIRECT_ORIGINS), else null. */
  const allowedNext = (next: string | null | undefined): string | null => {
    if (!next) return null;
    try {
      const url = new URL(next, config.publicUrl);
      if (!/^https?:$/.test(url.protocol)) return null;
      if (url.origin === config.publicUrl)
        return /^\/[/\\]/.test(url.pathname) ? null : url.pathname + url.search + url.hash;
      return config.redirectOrigins.includes(url.origin) ? url.href : null;
    } catch {
      return null;
    }
  };

  const provider = (id: string) => {
    const p = providers.get(id);
    if (!p) throw new AuthError('BAD_USER_INPUT', `No provider ${JSON.stringify(id)}`, { field: 'provider' });
    return p;
  };

  const fail = async (e: OAuthFlowError, providerId: string, meta: RequestMeta, userId: string | null = null) => {
    await audit.record('oauth_failed', userId, meta, { provider: providerId, code: e.code, reason: e.reason });
  };

  return {
    async start(input: StartInput, viewer: Viewer | null, meta: RequestMeta): Promise<{ url: string; cookie: string }> {
      const p = provider(input.provider);
      let link: FlowState['link'] = null;
      if (input.link) {
        if (!viewer) throw new AuthError('UNAUTHENTICATED');
        await reauth.requireRecent(viewer);
        link = { userId: viewer.userId, sessionId: viewer.sessionId };
      } else {
        // Counted like a failed password: the callback gives the point back when it signs in.
        await limits.take('loginIp', meta.ip, meta);
      }
      // One that leaves the site falls back to the default landing page (§9.2), as the web app's does.
      const next = allowedNext(input.next);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const nonce = randomBytes(24).toString('base64url');
      const state = await challenges.issue('oauth_state', {
        userId: link?.userId ?? null,
        rememberMe: !!input.rememberMe,
      });
      const url = await p.authorizationUrl({
        redirectUri: redirectUri(p.id),
        state,
        nonce,
        codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      });
      const flow: FlowState = {
        provider: p.id,
        state,
        nonce,
        codeVerifier,
        next,
        rememberMe: !!input.rememberMe,
        link,
      };
      return { url: url.href, cookie: await sealer.seal(JSON.stringify(flow)) };
    },

    /** The redirect URI's work: where to send the browser; never throws for a bad callback. */
    async callback(
      providerId: string,
      callbackUrl: URL,
      cookie: string | undefined,
      meta: RequestMeta,
    ): Promise<CallbackOutcome> {
      const p = provider(providerId);
      let flow: FlowState | undefined;
      try {
        flow = cookie ? (JSON.parse(await sealer.open(cookie)) as FlowState) : undefined;
      } catch {
        flow = undefined;
      }
      const failed = flow?.link ? (code: string) => `/security?error=${code}` : login;
      try {
        const query = callbackUrl.searchParams;
        const error = query.get('error');
        if (!flow || flow.provider !== p.id || query.get('state') !== flow.state)
          throw new OAuthFlowError('OAUTH_STATE_INVALID', flow ? 'state does not match the cookie' : 'no state cookie');
        // Single use: the same callback URL (or a copy of the cookie) is refused the second time.
        await challenges.consume(flow.state, ['oauth_state']).catch(() => {
          throw new OAuthFlowError('OAUTH_STATE_INVALID', 'state already used or expired');
        });
        if (error)
          throw new OAuthFlowError(
            error === 'access_denied' ? 'ACCESS_DENIED' : 'PROVIDER_ERROR',
            `provider answered ${error.slice(0, 64)}`,
          );
        const who = await p.finish(callbackUrl, flow, redirectUri(p.id));

        if (flow.link) {
          await linking.linkTo(flow.link, p.id, who, meta);
          return { location: flow.next ?? `/security?linked=${p.id}` };
        }

        const { user } = await linking.accountFor(p.id, who, meta);
        try {
          const signedIn = await signIn.finish(user, {
            method: `oauth:${p.id}`,
            amr: FED_AMR,
            rememberMe: flow.rememberMe,
            meta,
          });
          await limits.forgive('loginIp', meta.ip);
          return { location: flow.next ?? '/', signedIn };
        } catch (e) {
          if (!isAuthError(e)) throw e;
          if (e.code === 'SECOND_FACTOR_REQUIRED' || e.code === 'SECOND_FACTOR_ENROLLMENT_REQUIRED') {
            await limits.forgive('loginIp', meta.ip);
            // The challenge in the fragment: never sent to a server, never in a Referer.
            const fragment = new URLSearchParams({
              challenge: String(e.extensions.challenge),
              methods: (e.extensions.methods as string[]).join(','),
            });
            const carry = flow.next ? `?next=${encodeURIComponent(flow.next)}` : '';
            // No factor yet under MFA_REQUIRED: the web app's enrolment step, as after a password.
            const step = e.code === 'SECOND_FACTOR_ENROLLMENT_REQUIRED' ? '/login/enroll' : '/login/verify';
            return { location: `${step}${carry}#${fragment}` };
          }
          if (e.code === 'INVALID_CREDENTIALS') throw new OAuthFlowError('ACCESS_DENIED', 'account deactivated');
          throw e;
        }
      } catch (e) {
        const flowError =
          e instanceof OAuthFlowError
            ? e
            : isAuthError(e) && e.code === 'PROVIDER_ERROR'
              ? new OAuthFlowError('PROVIDER_ERROR', 'provider unavailable')
              : undefined;
        if (!flowError) throw e;
        await fail(flowError, p.id, meta, flow?.link?.userId ?? null);
        return { location: failed(flowError.code) };
      }
    },
  };
}
