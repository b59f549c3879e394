/**
 * The one sign-in pipeline: every way in — password, email code, sign-up, a passkey, the
 * second step, an external provider — ends in `finish`, and only `finish` opens a session.
 * It decides whether a second factor is still needed, so a rule added here holds for every
 * method and none can skip it:
 *
 *  - an account with TOTP or a passkey, signed in with one factor, gets SECOND_FACTOR_REQUIRED
 *    with a challenge (bound to the account and the first factor, 5 minutes, single use) and
 *    the methods it has — no token, no cookie, no session;
 *  - with MFA_REQUIRED, an account with no factor gets SECOND_FACTOR_ENROLLMENT_REQUIRED with
 *    a challenge that allows only enrolment;
 *  - otherwise the session opens with `authenticated_at` = now and the sign-in's `amr`
 *    (RFC 8176), and the login_succeeded event is written with it. The resolver sets the cookie.
 *
 * Two factors are proven when the methods include `mfa` (a completed second step, or a
 * passkey with user verification).
 *
 * @example
 *   const signedIn = await signIn.finish(user, { method: 'password', amr: ['pwd'], rememberMe, meta });
 */
import type { Config } from '../config.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Challenges } from './challenges.js';
import { AuthError } from './errors.js';
import type { FactorStore, FactorSummary } from './factorPorts.js';
import type { SignedIn, Sessions } from './sessions.js';

export type SecondFactorMethod = 'TOTP' | 'PASSKEY' | 'RECOVERY_CODE';

/** RFC 8176 methods of each first factor. */
export const FIRST_FACTOR_AMR = { password: ['pwd'], register: ['pwd'], otp: ['otp'] } as const;

export interface SignInRequest {
  /** For the audit row: password, otp, register, passkey, totp, recovery_code, … */
  method: string;
  amr: readonly string[];
  rememberMe: boolean;
  meta: RequestMeta;
}

export const hasSecondFactor = (f: FactorSummary) => f.totp || f.passkeys > 0;

export const methodsOf = (f: FactorSummary): SecondFactorMethod[] => [
  ...(f.totp ? (['TOTP'] as const) : []),
  ...(f.passkeys > 0 ? (['PASSKEY'] as const) : []),
  ...(f.recoveryCodesLeft > 0 ? (['RECOVERY_CODE'] as const) : []),
];

interface Deps {
  sessions: Sessions;
  factors: Pick<FactorStore, 'summary'>;
  challenges: Challenges;
  audit: Audit;
  config: Pick<Config, 'mfaRequired'>;
}

export function createSignIn({ sessions, factors, challenges, audit, config }: Deps) {
  return {
    /** The end of every sign-in: a session, or SECOND_FACTOR_(ENROLLMENT_)REQUIRED (see above). */
    async finish(user: { id: string; isActive: boolean }, request: SignInRequest): Promise<SignedIn> {
      if (!user.isActive) throw new AuthError('INVALID_CREDENTIALS');
      const amr = [...new Set(request.amr)];
      if (!amr.includes('mfa')) {
        const summary = await factors.summary(user.id);
        const pending = { userId: user.id, amr, rememberMe: request.rememberMe };
        if (hasSecondFactor(summary)) {
          const challenge = await challenges.issue('second_factor', pending);
          const methods = methodsOf(summary);
          await audit.record('second_factor_required', user.id, request.meta, { method: request.method, methods });
          throw new AuthError('SECOND_FACTOR_REQUIRED', undefined, { challenge, methods });
        }
        if (config.mfaRequired) {
          const challenge = await challenges.issue('enrollment', pending);
          await audit.record('second_factor_required', user.id, request.meta, {
            method: request.method,
            methods: [],
            enrollment: true,
          });
          throw new AuthError('SECOND_FACTOR_ENROLLMENT_REQUIRED', undefined, {
            challenge,
            methods: ['TOTP', 'PASSKEY'],
          });
        }
      }
      return sessions.start(user.id, {
        rememberMe: request.rememberMe,
        meta: request.meta,
        method: request.method,
        amr,
      });
    },
  };
}

export type SignIn = ReturnType<typeof createSignIn>;
