/**
 * Everything done with a code sent by mail: ask for one (`request`), sign in
 * with one (`login`), confirm an email address (`verifyEmail`), reset a
 * password (`resetPassword`), and the confirmation code sent at sign-up.
 *
 * `request` answers the same for an unknown email, in the same work shape: a
 * code is made, hashed and stored (with no user) either way, and the mail is
 * queued, never awaited — so neither the answer nor its timing tells whether
 * an account exists.
 *
 * @example
 *   await emailCodes.request('alice@example.com', 'LOGIN', meta);     // true, always
 *   const user = await emailCodes.login('alice@example.com', '042137', meta);
 */
import type { Config } from '../config.js';
import type { Outbox } from '../mail/outbox.js';
import { accountExistsMessage, codeMessage } from '../mail/templates.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Clock } from './clock.js';
import { canonicalEmail } from './email.js';
import { AuthError } from './errors.js';
import type { Limits } from './limits.js';
import type { Otp, OtpPurpose } from './otp.js';
import type { PasswordPolicy } from './passwordPolicy.js';
import type { Repositories, User } from './ports.js';
import { hashPassword } from './passwords.js';
import type { Sessions } from './sessions.js';
import type { Transactions } from './webhookPorts.js';
import { changeWithEvents } from './webhooks.js';

interface Deps {
  repos: Pick<Repositories, 'users' | 'otp'>;
  otp: Otp;
  outbox: Outbox;
  limits: Limits;
  audit: Audit;
  sessions: Sessions;
  passwords: PasswordPolicy;
  config: Pick<Config, 'otpTtlMs'>;
  clock: Clock;
  /** Where the reset writes its webhook event (none when omitted). */
  transactions?: Transactions;
}

export function createEmailCodes({
  repos,
  otp,
  outbox,
  limits,
  audit,
  sessions,
  passwords,
  config,
  clock,
  transactions,
}: Deps) {
  const send = async (email: string, purpose: OtpPurpose, user: User | undefined) => {
    const code = await otp.issue({ email, purpose, userId: user?.id ?? null });
    if (user) await outbox.enqueue(codeMessage({ to: user.email, purpose, code, ttlMs: config.otpTtlMs }));
  };

  /**
   * Check a code under the verify limits; the user it proves, or OTP_INVALID.
   * A code for an email with no active account is never right: none was sent.
   */
  const check = async (email: string, purpose: OtpPurpose, code: string, meta: RequestMeta): Promise<User> => {
    await limits.take('otpVerifyIp', meta.ip, meta);
    await limits.take('otpVerifyEmail', email, meta);
    const result = await otp.check({ email, purpose, code });
    const user = result.ok && result.row.userId ? await repos.users.findById(result.row.userId) : undefined;
    if (!result.ok || !user?.isActive) {
      await audit.record('otp_failed', result.row?.userId ?? null, meta, {
        purpose,
        attemptsLeft: result.ok ? 0 : result.attemptsLeft,
      });
      throw new AuthError('OTP_INVALID');
    }
    await limits.reset('otpVerifyEmail', email);
    await limits.forgive('otpVerifyIp', meta.ip);
    await audit.record('otp_used', user.id, meta, { purpose });
    return user;
  };

  /**
   * Pre-account hijacking: whoever registered an address before its owner proved it may
   * hold a password and sessions. When the owner first proves the address without being
   * signed in to the account (a code sign-in, a reset), all of that ends: every session,
   * and the password (a reset sets a new one; after a code sign-in the owner sets their own).
   */
  const dropPreVerificationAccess = async (user: User, meta: RequestMeta) => {
    await sessions.revokeAll(user.id, { reason: 'email_proven', meta });
    if (user.passwordHash) await repos.users.clearPassword(user.id);
  };

  /**
   * The person who holds the account (its password, or a session of it) proves its address with
   * a code of `purpose`: the address is verified, if it was not, and nothing else changes. A code
   * that proves another account is OTP_INVALID.
   */
  const proveOwnAddress = async (
    user: Pick<User, 'id' | 'email'>,
    purpose: OtpPurpose,
    code: string,
    meta: RequestMeta,
  ): Promise<User> => {
    const proven = await check(user.email, purpose, code, meta);
    if (proven.id !== user.id) throw new AuthError('OTP_INVALID');
    if (proven.emailVerifiedAt) return proven;
    const verified = (await repos.users.markEmailVerified(user.id, new Date(clock.now()))) ?? proven;
    await audit.record('email_verified', user.id, meta);
    return verified;
  };

  return {
    /** Mail a code to `email` if it has an active account. Always true (no account enumeration). */
    async request(emailInput: string, purpose: OtpPurpose, meta: RequestMeta): Promise<true> {
      const email = canonicalEmail(emailInput);
      await limits.take('otpRequestIp', meta.ip, meta);
      await limits.take('otpRequestEmail', email, meta);
      const found = await repos.users.findByEmail(email);
      const user = found?.isActive ? found : undefined;
      await send(email, purpose, user);
      await audit.record('otp_requested', user?.id ?? null, meta, { purpose });
      return true;
    },

    /** Mail the address-confirmation code to a new account (sign-up). */
    async sendVerification(user: User, meta: RequestMeta): Promise<void> {
      await send(user.email, 'VERIFY_EMAIL', user);
      await audit.record('otp_requested', user.id, meta, { purpose: 'VERIFY_EMAIL' });
    },

    /**
     * REQUIRE_EMAIL_VERIFICATION: a password sign-in to an unproven address mails a
     * confirmation code, under the same per-email limit as any code request.
     */
    async requestVerification(user: User, meta: RequestMeta): Promise<void> {
      await limits.take('otpRequestEmail', user.email, meta, user.id);
      await send(user.email, 'VERIFY_EMAIL', user);
      await audit.record('otp_requested', user.id, meta, { purpose: 'VERIFY_EMAIL' });
    },

    /**
     * REQUIRE_EMAIL_VERIFICATION: a sign-up with an address that has an account answers as a
     * new one does; the owner gets a note instead of a code, so the answer tells no one else.
     */
    async notifyTaken(emailInput: string, meta: RequestMeta): Promise<void> {
      const owner = await repos.users.findByEmail(canonicalEmail(emailInput));
      if (owner?.isActive) await outbox.enqueue(accountExistsMessage({ to: owner.email }));
      await audit.record('signup_for_taken_email', owner?.id ?? null, meta);
    },

    /**
     * The person who chose the password proves the address too (a password sign-in with the
     * VERIFY_EMAIL code): the address is verified and nothing else changes.
     */
    verifyWithPassword: (user: User, code: string, meta: RequestMeta): Promise<User> =>
      proveOwnAddress(user, 'VERIFY_EMAIL', code, meta),

    /**
     * Passwordless sign-in: the user a LOGIN code proves, or OTP_INVALID. Creates
     * no account. Receiving the code proves the address, so it is marked verified.
     */
    async login(emailInput: string, code: string, meta: RequestMeta): Promise<User> {
      const email = canonicalEmail(emailInput);
      const user = await check(email, 'LOGIN', code, meta);
      // A sign-in by mailed code ends any password-guessing lockout on the account.
      await limits.reset('loginAccount', email);
      if (!user.emailVerifiedAt) await dropPreVerificationAccess(user, meta);
      return (await repos.users.markEmailVerified(user.id, new Date(clock.now()))) ?? user;
    },

    /**
     * `reauthenticate` with a mailed LOGIN code: whoever holds both a session of the account and
     * its mailbox proves their own address, as with `verifyEmail`, not someone else's sign-up.
     */
    async reauthenticate(user: Pick<User, 'id' | 'email'>, code: string, meta: RequestMeta): Promise<User> {
      const proven = await proveOwnAddress(user, 'LOGIN', code, meta);
      // As a code sign-in does, it ends any password-guessing lockout on the account.
      await limits.reset('loginAccount', user.email);
      return proven;
    },

    /** Confirm the signed-in user's email address with a VERIFY_EMAIL code. */
    async verifyEmail(userId: string, code: string, meta: RequestMeta): Promise<User> {
      const viewer = await repos.users.findById(userId);
      if (!viewer?.isActive) throw new AuthError('UNAUTHENTICATED');
      return proveOwnAddress(viewer, 'VERIFY_EMAIL', code, meta);
    },

    /**
     * Set a new password with a PASSWORD_RESET code; every session of the user ends.
     * Like a sign-in code, the reset code proves the address, so it is marked verified.
     */
    async resetPassword(emailInput: string, code: string, newPassword: string, meta: RequestMeta): Promise<void> {
      const email = canonicalEmail(emailInput);
      // Checked first, so a password that would be refused does not use up the code.
      passwords.check(newPassword, 'newPassword');
      const user = await check(email, 'PASSWORD_RESET', code, meta);
      const now = new Date(clock.now());
      const hash = await hashPassword(newPassword);
      await changeWithEvents(
        transactions,
        repos,
        async (r) => {
          await r.users.setPasswordHash(user.id, hash, now);
          await r.users.markEmailVerified(user.id, now);
          // Every other code of the account (a sign-in code, an older reset) dies with the old password.
          await r.otp.invalidateAll(user.id, user.email, now);
        },
        () => [['password.changed', { userId: user.id, method: 'reset' }]],
      );
      await sessions.revokeAll(user.id, { reason: 'password_reset', meta });
      await limits.reset('loginAccount', email);
      await audit.record('password_reset', user.id, meta);
    },
  };
}
