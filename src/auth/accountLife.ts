/**
 * The account's own (API.md §10.1): changing its email address, deleting it, exporting what
 * is stored about it. Changing the address and deleting need a recent sign-in (§8.2.4).
 *
 * @example
 *   await life.requestEmailChange(viewer, 'new@example.com', meta);  // a code goes to the new address
 *   const user = await life.confirmEmailChange(viewer, '042137', meta);
 *   await life.deleteAccount(viewer, meta);                          // every session ends at once
 */
import type { Outbox } from '../mail/outbox.js';
import { accountDeletedMessage, codeMessage, emailChangedMessage } from '../mail/templates.js';
import type { AccountData, AccountStore } from './accountPorts.js';
import type { Audit, RequestMeta } from './audit.js';
import { type Clock, pinnedTime } from './clock.js';
import { canonicalEmail } from './email.js';
import { AuthError } from './errors.js';
import type { Limits } from './limits.js';
import type { Otp } from './otp.js';
import type { User, UsersRepository } from './ports.js';
import type { Reauth } from './reauth.js';
import type { Revocations } from './revocations.js';
import type { Roles } from './roles.js';
import type { Viewer } from './sessions.js';
import type { Transactions } from './webhookPorts.js';
import { changeWithEvents, type WebhookEvents } from './webhooks.js';

interface Deps {
  store: AccountStore;
  users: Pick<UsersRepository, 'findById' | 'findByEmail'>;
  otp: Otp;
  outbox: Outbox;
  limits: Limits;
  audit: Audit;
  reauth: Pick<Reauth, 'requireRecent'>;
  revocations: Revocations;
  roles: Pick<Roles, 'proven'>;
  config: { otpTtlMs: number };
  clock: Clock;
  /** Where the change and deletion are written with their webhook events (email.changed, user.deleted). */
  transactions?: Transactions;
}

export function createAccountLife({
  store,
  users,
  otp,
  outbox,
  limits,
  audit,
  reauth,
  revocations,
  roles,
  config,
  clock,
  transactions,
}: Deps) {
  const activeUser = async (viewer: Viewer): Promise<User> => {
    const user = await users.findById(viewer.userId);
    if (!user?.isActive) throw new AuthError('UNAUTHENTICATED');
    return user;
  };

  return {
    /** Recent sign-in; EMAIL_TAKEN when another account has the address; a code goes to the new address. */
    async requestEmailChange(viewer: Viewer, newEmailInput: string, meta: RequestMeta): Promise<true> {
      await reauth.requireRecent(viewer);
      const user = await activeUser(viewer);
      const newEmail = canonicalEmail(newEmailInput);
      if (newEmail === user.email)
        throw new AuthError('BAD_USER_INPUT', 'That is already your email address', { field: 'newEmail' });
      // The same per-address limit as any code request, counted for the address mailed.
      await limits.take('otpRequestEmail', newEmail, meta, user.id);
      if (await users.findByEmail(newEmail)) throw new AuthError('EMAIL_TAKEN');
      const code = await otp.issue({ email: newEmail, purpose: 'EMAIL_CHANGE', userId: user.id });
      await outbox.enqueue(codeMessage({ to: newEmail, purpose: 'EMAIL_CHANGE', code, ttlMs: config.otpTtlMs }));
      await audit.record('email_change_requested', user.id, meta);
      return true;
    },

    /**
     * The code mailed to the new address moves the account there: the code is used and the
     * address changed in one transaction (EMAIL_TAKEN if another account took it meanwhile, and
     * the code stays usable). The old address is told; sessions stay.
     */
    async confirmEmailChange(viewer: Viewer, code: string, meta: RequestMeta): Promise<User> {
      const user = await activeUser(viewer);
      const at = new Date(clock.now());
      const newEmail = await store.pendingEmailChange(user.id, at);
      await limits.take('otpVerifyIp', meta.ip, meta);
      await limits.take('otpVerifyEmail', newEmail ?? user.email, meta, user.id);
      if (!newEmail) throw new AuthError('OTP_INVALID');
      let outcome: Awaited<ReturnType<AccountStore['changeEmail']>> | undefined;
      const result = await otp.check({ email: newEmail, purpose: 'EMAIL_CHANGE', code }, async (row, when) => {
        if (row.userId !== user.id) return false;
        outcome = await changeWithEvents(
          transactions,
          { account: store },
          (r) => r.account.changeEmail(user.id, row.id, newEmail, when),
          (o): WebhookEvents =>
            o === 'changed' ? [['email.changed', { userId: user.id, previousEmail: user.email, email: newEmail }]] : [],
        );
        return outcome === 'changed';
      });
      if (outcome === 'taken') throw new AuthError('EMAIL_TAKEN');
      if (!result.ok) {
        await audit.record('otp_failed', user.id, meta, { purpose: 'EMAIL_CHANGE' });
        throw new AuthError('OTP_INVALID');
      }
      await limits.reset('otpVerifyEmail', newEmail);
      const changed = (await users.findById(user.id)) ?? { ...user, email: newEmail, emailVerifiedAt: at };
      await audit.record('email_changed', user.id, meta);
      await outbox.enqueue(emailChangedMessage({ to: user.email, newEmail }));
      await roles.proven(changed);
      return changed;
    },

    /**
     * Recent sign-in; everything of the account goes in one transaction (see AccountStore),
     * then every instance is told its sessions ended (the revoked set here, Redis to the others,
     * and the sessions' numbered rows for the database poll and GET /revocations); a goodbye mail.
     */
    /** No request meta: the audit row of a deletion keeps no address or user agent. */
    async deleteAccount(viewer: Viewer): Promise<true> {
      await reauth.requireRecent(viewer);
      const at = new Date(clock.now());
      const deleted = await changeWithEvents(
        transactions,
        { account: store },
        (r) => r.account.deleteAccount(viewer.userId, pinnedTime(clock), { type: 'account_deleted', at, detail: null }),
        (d): WebhookEvents => (d ? [['user.deleted', { userId: viewer.userId }]] : []),
      );
      if (!deleted) throw new AuthError('UNAUTHENTICATED');
      // Also the caller's own session, even if it was already revoked: its access token is refused here now.
      await revocations.revoke([...new Set([...deleted.revoked, viewer.sessionId])]);
      await outbox.enqueue(accountDeletedMessage({ to: deleted.email }));
      return true;
    },

    /** Everything stored about the caller, secrets and hashes excepted (API.md §10.1). */
    async exportMyData(viewer: Viewer, meta: RequestMeta): Promise<AccountData & { exportedAt: Date }> {
      await activeUser(viewer);
      const data = await store.exportData(viewer.userId);
      if (!data) throw new AuthError('UNAUTHENTICATED');
      await audit.record('data_exported', viewer.userId, meta);
      return { exportedAt: new Date(clock.now()), ...data };
    },
  };
}
