/**
 * Recent sign-in (API.md §8.2.4): sensitive operations need the session's last real sign-in
 * within REAUTH_MAX_AGE, else REAUTH_REQUIRED. `reauthenticate` renews it with any one factor
 * the account has (password, TOTP code, passkey, mailed LOGIN code); a refresh never does.
 * The session row is the authority (not the token's auth_time), so an older access token of
 * a session that has just been renewed does not ask again.
 *
 * @example
 *   await reauth.requireRecent(viewer);                          // or REAUTH_REQUIRED
 *   const tokens = await reauth.reauthenticate(viewer, { password }, meta);
 */
import type { Config } from '../config.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Clock } from './clock.js';
import type { createEmailCodes } from './emailCodes.js';
import { AuthError } from './errors.js';
import type { Limits } from './limits.js';
import type { Passkeys } from './passkeys.js';
import { verifyPassword } from './passwords.js';
import { oneProof } from './secondStep.js';
import type { Session, SessionsRepository } from './ports.js';
import { type AuthResult, authenticatedAtOf, type Sessions, type Viewer } from './sessions.js';
import { FIRST_FACTOR_AMR } from './signIn.js';
import type { Totp } from './totp.js';

export interface ReauthProof {
  password?: string | null;
  totpCode?: string | null;
  passkeyResponse?: unknown;
  emailCode?: string | null;
}

interface Deps {
  sessions: Sessions;
  repo: Pick<SessionsRepository, 'findById' | 'markAuthenticated'>;
  findUser(
    id: string,
  ): Promise<{ id: string; email: string; isActive: boolean; passwordHash: string | null } | undefined>;
  totp: Totp;
  passkeys: Passkeys;
  emailCodes: Pick<ReturnType<typeof createEmailCodes>, 'reauthenticate'>;
  limits: Limits;
  audit: Audit;
  config: Pick<Config, 'reauthMaxAgeMs'>;
  clock: Clock;
}

export function createReauth({
  sessions,
  repo,
  findUser,
  totp,
  passkeys,
  emailCodes,
  limits,
  audit,
  config,
  clock,
}: Deps) {
  /** The methods `proof` proves for `user`, or the error a wrong one gets. */
  const prove = async (
    viewer: Viewer,
    user: NonNullable<Awaited<ReturnType<Deps['findUser']>>>,
    proof: ReauthProof,
    meta: RequestMeta,
  ): Promise<readonly string[]> => {
    const [kind, value] = oneProof({ ...proof }, 'password, totpCode, passkeyResponse, emailCode');
    if (kind === 'password') {
      // The same counter as sign-in: a stolen access token is no way around the login limit.
      await limits.take('loginAccount', user.email, meta, user.id);
      if (!user.passwordHash || !(await verifyPassword(user.passwordHash, String(value)))) {
        await audit.record('login_failed', user.id, meta, { reason: 'wrong_password', reauthenticate: true });
        throw new AuthError('INVALID_CREDENTIALS', 'Password is wrong');
      }
      await limits.reset('loginAccount', user.email);
      return FIRST_FACTOR_AMR.password;
    }
    if (kind === 'totpCode') {
      await limits.take('mfaAccount', user.id, meta, user.id);
      if (!(await totp.check(user.id, String(value)))) {
        await audit.record('second_factor_failed', user.id, meta, { method: 'totpCode', reauthenticate: true });
        throw new AuthError('OTP_INVALID');
      }
      await limits.reset('mfaAccount', user.id);
      return ['otp'];
    }
    if (kind === 'emailCode') {
      await emailCodes.reauthenticate(user, String(value), meta);
      return FIRST_FACTOR_AMR.otp;
    }
    return passkeys.reauth(viewer, value);
  };

  /** The live session behind a viewer, or undefined. */
  const live = async (viewer: Viewer): Promise<Session | undefined> => {
    const row = await repo.findById(viewer.sessionId);
    return row && row.userId === viewer.userId && !row.revokedAt && row.expiresAt.getTime() > clock.now()
      ? row
      : undefined;
  };

  return {
    live,

    /** REAUTH_REQUIRED unless the session's last real sign-in is within REAUTH_MAX_AGE. */
    async requireRecent(viewer: Viewer): Promise<void> {
      const session = await live(viewer);
      if (!session) throw new AuthError('UNAUTHENTICATED');
      if (clock.now() - authenticatedAtOf(session).getTime() > config.reauthMaxAgeMs)
        throw new AuthError('REAUTH_REQUIRED');
    },

    /** Renew this session's last real sign-in with one factor; new tokens that carry it. */
    async reauthenticate(viewer: Viewer, proof: ReauthProof, meta: RequestMeta): Promise<AuthResult> {
      const user = await findUser(viewer.userId);
      if (!user?.isActive) throw new AuthError('UNAUTHENTICATED');
      const amr = await prove(viewer, user, proof, meta);
      const result = await sessions.reauthenticated(viewer, [...amr]);
      await audit.record('reauthenticated', user.id, meta, { sessionId: viewer.sessionId, amr });
      return result;
    },

    /** A proof made another way (the current password in changePassword) renews the session too. */
    renew: async (viewer: Viewer, amr: readonly string[]) => {
      await repo.markAuthenticated(viewer.sessionId, viewer.userId, new Date(clock.now()), [...amr]);
    },

    passkeyOptions: (viewer: Viewer) => passkeys.reauthOptions(viewer),
  };
}

export type Reauth = ReturnType<typeof createReauth>;
