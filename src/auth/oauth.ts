/**
 * Sign in with an external provider, and link or unlink one (API.md §9.1, docs/oauth.md).
 *
 * `start` makes the authorization URL (PKCE S256, `state`, and `nonce` for OpenID Connect)
 * and the sealed state the browser keeps in a cookie (code verifier, nonce, `next`, who is
 * linking): the cookie binds the flow to this browser, and `state` is also a single-use
 * server challenge, so a replayed callback URL is refused even with the cookie still there.
 * `callback` checks all of it, lets openid-client exchange the code and verify the ID token
 * (issuer, audience, signature, expiry, nonce), then applies the linking rules and goes
 * through the one sign-in pipeline (signIn.ts), so a second factor is still asked for.
 *
 * Linking rules: an identity seen before signs its account in; an unknown identity whose
 * email matches an account is linked only when the provider asserts the email verified AND
 * the account's own email is verified, otherwise ACCOUNT_EXISTS (sign in, then link from the
 * security page); one issuer + subject belongs to one account, ever. Failures create nothing.
 *
 * @example
 *   const { url, cookie } = await oauth.start({ provider: 'google', next: '/' }, null, meta);
 *   const outcome = await oauth.callback('google', callbackUrl, cookie, meta);
 */
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Config } from '../config.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Challenges } from './challenges.js';
import type { Clock } from './clock.js';
import { canonicalEmail } from './email.js';
import { AuthError, isAuthError } from './errors.js';
import type { FactorStore } from './factorPorts.js';
import type { Limits } from './limits.js';
import { type ExternalProfile, OAuthFlowError, type Provider } from './oauthProviders.js';
import { webhookUser } from './accounts.js';
import type { IdentitiesRepository, IdentityRow, NewIdentity, User, UsersRepository } from './ports.js';
import type { Reauth } from './reauth.js';
import type { Sealer } from './sealer.js';
import type { SignedIn, Viewer } from './sessions.js';
import type { SignIn } from './signIn.js';
import type { Transactions } from './webhookPorts.js';
import { changeWithEvents, type WebhookEvents } from './webhooks.js';

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

export interface StartInput {
  provider: string;
  next?: string | null;
  rememberMe?: boolean | null;
  link?: boolean | null;
}

/** Where the callback sends the browser, and the session it opened (the route sets its cookie). */
export interface CallbackOutcome {
  location: string;
  signedIn?: SignedIn;
}

interface Deps {
  providers: Map<string, Provider>;
  users: Pick<UsersRepository, 'findById' | 'findByEmail'>;
  identities: IdentitiesRepository;
  factors: Pick<FactorStore, 'summary'>;
  challenges: Challenges;
  signIn: SignIn;
  reauth: Pick<Reauth, 'requireRecent' | 'live'>;
  limits: Limits;
  audit: Audit;
  sealer: Sealer;
  clock: Clock;
  config: Pick<Config, 'publicUrl' | 'redirectOrigins'>;
  /** Where links and new accounts are written with their webhook events (identity.linked, user.created). */
  transactions?: Transactions;
}

export function createOAuth({
  providers,
  users,
  identities,
  factors,
  challenges,
  signIn,
  reauth,
  limits,
  audit,
  sealer,
  clock,
  config,
  transactions,
}: Deps) {
  const now = () => new Date(clock.now());
  const redirectUri = (id: string) => `${config.publicUrl}/auth/oauth/${id}/callback`;

  const linkedEvent = (userId: string, identity: IdentityRow, automatic: boolean): WebhookEvents => [
    ['identity.linked', { userId, provider: identity.provider, email: identity.email, automatic }],
  ];
  /** Link an identity and tell of it (identity.linked) in one transaction. */
  const link = (userId: string, identity: NewIdentity, automatic: boolean) =>
    changeWithEvents(
      transactions,
      { identities },
      (r) => r.identities.link(userId, identity),
      (linked) => ('identity' in linked ? linkedEvent(userId, linked.identity, automatic) : []),
    );
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

  /** The ways into an account besides `except` (an identity about to go). */
  const signInMethods = async (user: User, exceptIdentity: string) => {
    const [summary, linked] = await Promise.all([factors.summary(user.id), identities.listForUser(user.id)]);
    return (user.passwordHash ? 1 : 0) + summary.passkeys + linked.filter((i) => i.id !== exceptIdentity).length;
  };

  /** The account an external sign-in opens, applying the linking rules; throws OAuthFlowError. */
  const accountFor = async (
    providerId: string,
    who: ExternalProfile,
    meta: RequestMeta,
  ): Promise<{ user: User; identity: IdentityRow }> => {
    const known = await identities.findBySubject(who.issuer, who.subject);
    if (known) {
      const user = await users.findById(known.userId);
      if (!user) throw new OAuthFlowError('PROVIDER_ERROR', 'identity without an account');
      await identities.markUsed(known.id, now(), who.email, who.emailVerified);
      return { user, identity: known };
    }
    if (!who.email) throw new OAuthFlowError('PROVIDER_ERROR', 'the provider gave no email address');
    let email: string;
    try {
      email = canonicalEmail(who.email);
    } catch {
      throw new OAuthFlowError('PROVIDER_ERROR', 'the provider gave an email address we cannot use');
    }
    const identity = {
      provider: providerId,
      issuer: who.issuer,
      subject: who.subject,
      email,
      emailVerified: who.emailVerified,
      linkedAt: now(),
    };
    const existing = await users.findByEmail(email);
    if (existing) {
      // Both sides must have proven the address, or whoever controls one side takes the other.
      if (!who.emailVerified || !existing.emailVerifiedAt)
        throw new OAuthFlowError(
          'ACCOUNT_EXISTS',
          who.emailVerified ? 'the account email is not verified' : 'the provider did not verify the email',
        );
      const linked = await link(existing.id, identity, true);
      if ('taken' in linked) throw new OAuthFlowError('ACCOUNT_EXISTS', 'identity already linked to another account');
      await audit.record('identity_linked', existing.id, meta, { provider: providerId, automatic: true });
      return { user: existing, identity: linked.identity };
    }
    const created = await changeWithEvents(
      transactions,
      { identities },
      (r) =>
        r.identities.createUserWithIdentity(
          {
            email,
            passwordHash: null,
            displayName: who.name?.slice(0, 100) ?? null,
            createdAt: now(),
            emailVerifiedAt: who.emailVerified ? now() : null,
          },
          identity,
        ),
      (result): WebhookEvents =>
        'user' in result
          ? [
              ['user.created', { ...webhookUser(result.user), displayName: who.name?.slice(0, 100) ?? null }],
              ...linkedEvent(result.user.id, result.identity, false),
            ]
          : [],
    );
    if ('taken' in created)
      throw new OAuthFlowError(
        created.taken === 'identity' ? 'OAUTH_STATE_INVALID' : 'ACCOUNT_EXISTS',
        `taken meanwhile: ${created.taken}`,
      );
    await audit.record('register', created.user.id, meta, { method: 'oauth', provider: providerId });
    return created;
  };

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
          const { userId, sessionId } = flow.link;
          const user = await users.findById(userId);
          const session = await reauth.live({ userId, sessionId });
          if (!user?.isActive || !session) throw new OAuthFlowError('OAUTH_STATE_INVALID', 'the linking session ended');
          const known = await identities.findBySubject(who.issuer, who.subject);
          if (known && known.userId !== userId)
            throw new OAuthFlowError('ACCOUNT_EXISTS', 'identity already linked to another account');
          if (!known) {
            const linked = await link(
              userId,
              {
                provider: p.id,
                issuer: who.issuer,
                subject: who.subject,
                email: who.email,
                emailVerified: who.emailVerified,
                linkedAt: now(),
              },
              false,
            );
            if ('taken' in linked)
              throw new OAuthFlowError('ACCOUNT_EXISTS', 'identity already linked to another account');
            await audit.record('identity_linked', userId, meta, { provider: p.id, automatic: false });
          }
          return { location: flow.next ?? `/security?linked=${p.id}` };
        }

        const { user } = await accountFor(p.id, who, meta);
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

    identities: (userId: string) => identities.listForUser(userId),

    async unlink(viewer: Viewer, id: string, meta: RequestMeta): Promise<boolean> {
      const user = await users.findById(viewer.userId);
      if (!user?.isActive) throw new AuthError('UNAUTHENTICATED');
      await reauth.requireRecent(viewer);
      const mine = (await identities.listForUser(user.id)).find((i) => i.id === id);
      if (!mine) throw new AuthError('BAD_USER_INPUT', 'No such linked account', { field: 'id' });
      if ((await signInMethods(user, id)) < 1) throw new AuthError('LAST_SIGN_IN_METHOD');
      const removed = await identities.remove(user.id, id);
      if (removed) await audit.record('identity_unlinked', user.id, meta, { provider: mine.provider });
      return removed;
    },
  };
}
