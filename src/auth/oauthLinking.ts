/**
 * The linking rules of external identities (API.md §9.1): the account a provider's identity
 * signs in, linking one to an account that is signed in, and unlinking.
 *
 * An identity seen before signs its account in; an unknown identity whose email matches an
 * account is linked only when the provider asserts the email verified AND the account's own
 * email is verified, otherwise ACCOUNT_EXISTS (sign in, then link from the security page);
 * one issuer + subject belongs to one account, ever. Failures create nothing.
 */
import type { Audit, RequestMeta } from './audit.js';
import type { Clock } from './clock.js';
import { canonicalEmail } from './email.js';
import { AuthError } from './errors.js';
import type { FactorStore } from './factorPorts.js';
import { type ExternalProfile, OAuthFlowError } from './oauthProviders.js';
import { webhookUser } from './accounts.js';
import type { IdentitiesRepository, IdentityRow, NewIdentity, User, UsersRepository } from './ports.js';
import type { Reauth } from './reauth.js';
import type { Viewer } from './sessions.js';
import type { Transactions } from './webhookPorts.js';
import { changeWithEvents, type WebhookEvents } from './webhooks.js';

export interface OAuthLinkingDeps {
  users: Pick<UsersRepository, 'findById' | 'findByEmail'>;
  identities: IdentitiesRepository;
  factors: Pick<FactorStore, 'summary'>;
  reauth: Pick<Reauth, 'requireRecent' | 'live'>;
  audit: Audit;
  clock: Clock;
  /** Where links and new accounts are written with their webhook events (identity.linked, user.created). */
  transactions?: Transactions;
}

export function createOAuthLinking({
  users,
  identities,
  factors,
  reauth,
  audit,
  clock,
  transactions,
}: OAuthLinkingDeps) {
  const now = () => new Date(clock.now());

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

  /** The ways into an account besides `except` (an identity about to go). */
  const signInMethods = async (user: User, exceptIdentity: string) => {
    const [summary, linked] = await Promise.all([factors.summary(user.id), identities.listForUser(user.id)]);
    return (user.passwordHash ? 1 : 0) + summary.passkeys + linked.filter((i) => i.id !== exceptIdentity).length;
  };

  return {
    /** The account an external sign-in opens, applying the linking rules; throws OAuthFlowError. */
    async accountFor(
      providerId: string,
      who: ExternalProfile,
      meta: RequestMeta,
    ): Promise<{ user: User; identity: IdentityRow }> {
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
    },

    /**
     * Link an identity to the account whose session started the flow (already linked to it:
     * nothing to do); throws OAuthFlowError when that session ended or the identity is another's.
     */
    async linkTo(
      { userId, sessionId }: { userId: string; sessionId: string },
      providerId: string,
      who: ExternalProfile,
      meta: RequestMeta,
    ): Promise<void> {
      const user = await users.findById(userId);
      const session = await reauth.live({ userId, sessionId });
      if (!user?.isActive || !session) throw new OAuthFlowError('OAUTH_STATE_INVALID', 'the linking session ended');
      const known = await identities.findBySubject(who.issuer, who.subject);
      if (known && known.userId !== userId)
        throw new OAuthFlowError('ACCOUNT_EXISTS', 'identity already linked to another account');
      if (known) return;
      const linked = await link(
        userId,
        {
          provider: providerId,
          issuer: who.issuer,
          subject: who.subject,
          email: who.email,
          emailVerified: who.emailVerified,
          linkedAt: now(),
        },
        false,
      );
      if ('taken' in linked) throw new OAuthFlowError('ACCOUNT_EXISTS', 'identity already linked to another account');
      await audit.record('identity_linked', userId, meta, { provider: providerId, automatic: false });
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

export type OAuthLinking = ReturnType<typeof createOAuthLinking>;
