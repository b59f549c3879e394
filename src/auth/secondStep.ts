/**
 * The second step of a sign-in (`completeSignIn`): the challenge a first factor got, and one
 * proof — a TOTP code, a recovery code or a passkey assertion. Failures count against the
 * account (RATE_LIMIT_MFA_ACCOUNT) and against the challenge, which dies at the limit; the
 * challenge is used up by the first success (atomically). The session is then opened by the
 * one pipeline (signIn.ts) with the first factor's methods, the second's, and `mfa`.
 *
 * @example
 *   const { signedIn, user } = await secondStep.complete(challenge, { totpCode: '123456' }, meta);
 */
import type { Config } from '../config.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Challenges } from './challenges.js';
import { AuthError, isAuthError } from './errors.js';
import type { ChallengeKind, ChallengeRow } from './factorPorts.js';
import type { Limits } from './limits.js';
import type { Passkeys } from './passkeys.js';
import type { RecoveryCodes } from './recoveryCodes.js';
import type { SignedIn } from './sessions.js';
import type { SignIn } from './signIn.js';
import type { Totp } from './totp.js';

export interface SecondFactorProof {
  totpCode?: string | null;
  recoveryCode?: string | null;
  passkeyResponse?: unknown;
}

/** The one proof given, or BAD_USER_INPUT (none, or more than one). */
export function oneProof<T extends Record<string, unknown>>(proof: T, names: string): [keyof T & string, unknown] {
  const given = Object.entries(proof).filter(([, v]) => v !== undefined && v !== null);
  if (given.length !== 1) throw new AuthError('BAD_USER_INPUT', `Send exactly one of ${names}`);
  return given[0] as [keyof T & string, unknown];
}

interface Deps<User> {
  challenges: Challenges;
  totp: Totp;
  recoveryCodes: RecoveryCodes;
  passkeys: Passkeys;
  signIn: SignIn;
  findUser(id: string): Promise<User | undefined>;
  limits: Limits;
  audit: Audit;
  config: Pick<Config, 'rateLimits'>;
}

export function createSecondStep<User extends { id: string; isActive: boolean }>(deps: Deps<User>) {
  const { challenges, totp, recoveryCodes, passkeys, signIn, findUser, limits, audit, config } = deps;

  /**
   * The account behind a live challenge of these kinds; a deactivated account's challenge dies.
   * An enrolment challenge (MFA_REQUIRED) allows only enrolment and then `complete`.
   */
  const pending = async (
    value: unknown,
    kinds: ChallengeKind[] = ['second_factor', 'enrollment'],
  ): Promise<{ row: ChallengeRow; user: User }> => {
    const row = await challenges.find(value, kinds);
    const user = row.userId ? await findUser(row.userId) : undefined;
    if (!user?.isActive) {
      await challenges.kill(row);
      throw new AuthError('CHALLENGE_INVALID');
    }
    return { row, user };
  };

  /** Whether the proof is right; the methods it adds. Wrong passkey responses are `undefined` too. */
  const check = async (
    row: ChallengeRow,
    userId: string,
    kind: string,
    value: unknown,
  ): Promise<string[] | undefined> => {
    if (kind === 'totpCode') return (await totp.check(userId, String(value))) ? ['otp'] : undefined;
    if (kind === 'recoveryCode') return (await recoveryCodes.use(userId, String(value))) ? ['otp'] : undefined;
    try {
      return await passkeys.secondStep(row, value);
    } catch (e) {
      if (isAuthError(e) && (e.code === 'PASSKEY_INVALID' || e.code === 'CHALLENGE_INVALID')) return undefined;
      throw e;
    }
  };

  return {
    /** Options for a passkey as the second step of this challenge. */
    async passkeyOptions(value: unknown) {
      const { row } = await pending(value, ['second_factor']);
      return passkeys.secondStepOptions(row);
    },

    async complete(
      value: unknown,
      proof: SecondFactorProof,
      meta: RequestMeta,
    ): Promise<{ signedIn: SignedIn; user: User }> {
      const { row, user } = await pending(value);
      const finish = async (method: string, amr: string[]) => {
        const used = await challenges.consume(value, [row.kind]);
        const signedIn = await signIn.finish(user, {
          method,
          amr: [...used.amr, ...amr, 'mfa'],
          rememberMe: used.rememberMe,
          meta,
        });
        return { signedIn, user };
      };
      // Enrolment under MFA_REQUIRED already proved the new factor with a code or a passkey.
      if (row.kind === 'enrollment' && row.provenAt) return finish('enrollment', []);

      const [kind, given] = oneProof({ ...proof }, 'totpCode, recoveryCode, passkeyResponse');
      try {
        await limits.take('mfaAccount', user.id, meta, user.id);
      } catch (e) {
        if (isAuthError(e) && e.code === 'RATE_LIMITED') await challenges.kill(row);
        throw e;
      }
      const amr = await check(row, user.id, kind, given);
      if (!amr) {
        await challenges.fail(row, config.rateLimits.mfaAccount.points);
        await audit.record('second_factor_failed', user.id, meta, { method: kind });
        throw new AuthError(kind === 'passkeyResponse' ? 'PASSKEY_INVALID' : 'OTP_INVALID');
      }
      await limits.reset('mfaAccount', user.id);
      if (kind === 'recoveryCode') await audit.record('recovery_code_used', user.id, meta);
      return finish({ totpCode: 'totp', recoveryCode: 'recovery_code', passkeyResponse: 'passkey' }[kind] ?? kind, amr);
    },
  };
}
