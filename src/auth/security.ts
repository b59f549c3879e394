/**
 * An account's second factors: enrol and turn off TOTP, recovery codes, add, rename and remove
 * passkeys, and the overview (`mySecurity`). Enrolling, removing and regenerating need a
 * recent sign-in (reauth.ts) — or, for enrolment only, the challenge of
 * SECOND_FACTOR_ENROLLMENT_REQUIRED under MFA_REQUIRED, which the new factor then proves.
 * Under MFA_REQUIRED the last factor cannot be removed.
 *
 * @example
 *   const who = await security.enrollee(viewer, null);      // or with an enrolment challenge
 *   const { otpauthUri } = await security.startTotp(who);
 *   const codes = await security.confirmTotp(who, '123456', meta);
 */
import type { Config } from '../config.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Challenges } from './challenges.js';
import { AuthError } from './errors.js';
import type { ChallengeRow, FactorStore, FactorSummary, FactorToRemove } from './factorPorts.js';
import { type Passkeys, passkeyAmr } from './passkeys.js';
import type { Reauth } from './reauth.js';
import type { RecoveryCodes } from './recoveryCodes.js';
import { authenticatedAtOf, type Viewer } from './sessions.js';
import { hasSecondFactor } from './signIn.js';
import type { Repositories } from './ports.js';
import type { Totp } from './totp.js';
import type { Transactions } from './webhookPorts.js';
import { changeWithEvents, type WebhookEvents } from './webhooks.js';

interface Account {
  id: string;
  email: string;
  isActive: boolean;
  passwordHash: string | null;
}

/** Who is enrolling: a signed-in session, or the holder of an enrolment challenge. */
export interface Enrollee {
  user: Account;
  viewer?: Viewer;
  challenge?: ChallengeRow;
}

interface Deps {
  findUser(id: string): Promise<Account | undefined>;
  factors: Pick<FactorStore, 'summary' | 'removeFactor'>;
  totp: Totp;
  recoveryCodes: RecoveryCodes;
  passkeys: Passkeys;
  challenges: Challenges;
  reauth: Reauth;
  audit: Audit;
  config: Pick<Config, 'mfaRequired'>;
  /** Where factor changes are stored with their webhook events (mfa.enabled / mfa.disabled). */
  repos: Pick<Repositories, 'factors' | 'passkeys'>;
  transactions?: Transactions;
}

type FactorKind = 'totp' | 'passkey';
const factorCount = (f: FactorSummary) => (f.totp ? 1 : 0) + f.passkeys;

/**
 * mfa.enabled when a change gave the account its first second factor (sign-in now needs two),
 * mfa.disabled when it removed the last (one is enough again); adding a second factor, or
 * removing one of two, changes nothing a downstream service acts on (docs/webhooks.md).
 */
const mfaEvents = (
  userId: string,
  method: FactorKind,
  change: 'added' | 'removed',
  after: FactorSummary | undefined,
): WebhookEvents => {
  if (!after) return [];
  if (change === 'added' && factorCount(after) === 1) return [['mfa.enabled', { userId, method }]];
  if (change === 'removed' && factorCount(after) === 0) return [['mfa.disabled', { userId, method }]];
  return [];
};

export function createSecurity({
  findUser,
  factors,
  totp,
  recoveryCodes,
  passkeys,
  challenges,
  reauth,
  audit,
  config,
  repos,
  transactions,
}: Deps) {
  /** A factor change (`changed(result)` when it changed something) and its mfa event, together. */
  const factorChange = async <T>(
    userId: string,
    method: FactorKind,
    change: 'added' | 'removed',
    write: (r: Pick<Repositories, 'factors' | 'passkeys'>) => Promise<T>,
    changed: (result: T) => boolean,
  ): Promise<T> => {
    const { result } = await changeWithEvents(
      transactions,
      repos,
      async (r) => {
        const result = await write(r);
        // Counted inside the transaction, after the change: what the account has now.
        const after = changed(result) && transactions?.emitting ? await r.factors.summary(userId) : undefined;
        return { result, after };
      },
      ({ after }) => mfaEvents(userId, method, change, after),
    );
    return result;
  };

  const account = async (id: string | null) => {
    const user = id ? await findUser(id) : undefined;
    if (!user?.isActive) throw new AuthError('UNAUTHENTICATED');
    return user;
  };

  /** Signed in with a recent sign-in (the management operations). */
  const recent = async (viewer: Viewer) => {
    const user = await account(viewer.userId);
    await reauth.requireRecent(viewer);
    return user;
  };

  /** Remove a factor; under MFA_REQUIRED the account keeps at least one (checked under a row lock). */
  const remove = async (userId: string, factor: FactorToRemove) => {
    const outcome = await factorChange(
      userId,
      factor.kind,
      'removed',
      (r) => r.factors.removeFactor(userId, factor, config.mfaRequired),
      (o) => o === 'removed',
    );
    if (outcome === 'last')
      throw new AuthError('FORBIDDEN', 'Second factors are required here: add another before removing the last one');
    return outcome === 'removed';
  };

  /** What an account has to sign in with (the security overview). */
  const describe = async (user: Account, lastAuthenticatedAt: Date) => {
    const [summary, list] = await Promise.all([factors.summary(user.id), passkeys.list(user.id)]);
    return {
      userId: user.id,
      passwordSet: user.passwordHash !== null,
      totpEnabled: summary.totp,
      recoveryCodesLeft: summary.recoveryCodesLeft,
      passkeys: list,
      lastAuthenticatedAt,
    };
  };

  return {
    async enrollee(viewer: Viewer | null, challenge: string | null | undefined): Promise<Enrollee> {
      if (challenge !== undefined && challenge !== null) {
        const row = await challenges.find(challenge, ['enrollment']);
        return { user: await account(row.userId), challenge: row };
      }
      if (!viewer) throw new AuthError('UNAUTHENTICATED');
      return { user: await recent(viewer), viewer };
    },

    startTotp: (who: Enrollee) => totp.start(who.user),

    /** Turn TOTP on with a first code; the new recovery codes (shown once). */
    async confirmTotp(who: Enrollee, code: string, meta: RequestMeta): Promise<string[]> {
      await totp.confirm(who.user.id, code, (userId, step, at) =>
        factorChange(userId, 'totp', 'added', (r) => r.factors.enableTotp(userId, step, at), Boolean),
      );
      const codes = await recoveryCodes.generate(who.user.id);
      await audit.record('totp_enabled', who.user.id, meta);
      if (who.challenge) await challenges.markProven(who.challenge, ['otp']);
      return codes;
    },

    async disableTotp(viewer: Viewer, meta: RequestMeta): Promise<boolean> {
      const user = await recent(viewer);
      const removed = await remove(user.id, { kind: 'totp' });
      if (removed) await audit.record('totp_disabled', user.id, meta);
      return removed;
    },

    async regenerateRecoveryCodes(viewer: Viewer, meta: RequestMeta): Promise<string[]> {
      const user = await recent(viewer);
      if (!hasSecondFactor(await factors.summary(user.id))) {
        throw new AuthError('BAD_USER_INPUT', 'Recovery codes need a second factor: set one up first', {
          field: 'recoveryCodes',
        });
      }
      const codes = await recoveryCodes.generate(user.id);
      await audit.record('recovery_codes_generated', user.id, meta);
      return codes;
    },

    passkeyOptions: (who: Enrollee) => passkeys.registrationOptions(who.user, who.viewer?.sessionId ?? null),

    async addPasskey(who: Enrollee, response: unknown, name: string, meta: RequestMeta) {
      const passkey = await passkeys.register(who.user.id, response, name, (candidate) =>
        factorChange(
          candidate.userId,
          'passkey',
          'added',
          (r) => r.passkeys.add(candidate),
          (added) => added !== undefined,
        ),
      );
      await audit.record('passkey_added', who.user.id, meta, { passkeyId: passkey.id });
      // The passkey's own methods (hwk or swk, and user), as a passkey second step would give.
      if (who.challenge) await challenges.markProven(who.challenge, passkeyAmr(passkey.deviceType, false));
      return passkey;
    },

    async renamePasskey(viewer: Viewer, id: string, name: string, meta: RequestMeta) {
      const user = await account(viewer.userId);
      const passkey = await passkeys.rename(user.id, id, name);
      await audit.record('passkey_renamed', user.id, meta, { passkeyId: id });
      return passkey;
    },

    async removePasskey(viewer: Viewer, id: string, meta: RequestMeta): Promise<boolean> {
      const user = await recent(viewer);
      if (!(await passkeys.list(user.id)).some((p) => p.id === id)) return false;
      const removed = await remove(user.id, { kind: 'passkey', id });
      if (removed) await audit.record('passkey_removed', user.id, meta, { passkeyId: id });
      return removed;
    },

    /**
     * Another account's overview, for an admin (User.security): its factors, and its last real
     * sign-in taken from the newest of its live sessions' (or its last login without one).
     */
    async overviewOf(userId: string, lastAuthenticatedAt: Date) {
      const user = await findUser(userId);
      if (!user) throw new AuthError('BAD_USER_INPUT', 'No such user', { field: 'id' });
      return describe(user, lastAuthenticatedAt);
    },

    /** `mySecurity`: what the account has, and this session's last real sign-in. */
    async overview(viewer: Viewer) {
      const user = await account(viewer.userId);
      const session = await reauth.live(viewer);
      if (!session) throw new AuthError('UNAUTHENTICATED');
      return describe(user, authenticatedAtOf(session));
    },
  };
}
