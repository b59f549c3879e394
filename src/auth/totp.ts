/**
 * TOTP (RFC 6238 via `otpauth`: SHA-1, 6 digits, 30 s, ±1 step). Enrolment stores a pending
 * secret that a first correct code turns on; every accepted code records its time step, and a
 * code of that step or an earlier one is refused afterwards (replay), atomically in the store.
 * Secrets are sealed with LATCHKEY_KEY_SECRET when it is set, as signing keys are.
 *
 * @example
 *   const { secret, otpauthUri, qrSvg } = await totp.start(user);
 *   await totp.confirm(user.id, '123456');        // or OTP_INVALID
 *   await totp.check(user.id, '654321');          // true once per code
 */
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { Clock } from './clock.js';
import { AuthError } from './errors.js';
import type { FactorStore } from './factorPorts.js';
import { isSealedText, type Sealer } from './sealer.js';

const PERIOD = 30;
const WINDOW = 1;

export const TOTP_CODE = /^\d{6}$/;

/** A code argument longer than this is not a code: refused as bad input before any work. */
export const MAX_CODE_LENGTH = 64;

export function checkCodeInput(code: string, field: string): string {
  if (code.length > MAX_CODE_LENGTH) throw new AuthError('BAD_USER_INPUT', `${field} is too long`, { field });
  return code.replace(/\s+/g, '');
}

interface Deps {
  store: FactorStore;
  sealer: Sealer | undefined;
  clock: Clock;
  /** The issuer shown in authenticator apps (WEBAUTHN_RP_NAME, default Latchkey). */
  issuer: string;
}

export function createTotp({ store, sealer, clock, issuer }: Deps) {
  const totpOf = (secret: string, label = '') =>
    new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });
  const reveal = async (stored: string) => (isSealedText(stored) ? sealer!.open(stored) : stored);
  /** The time step `code` belongs to (±1 around now), or undefined when it is wrong. */
  const stepOf = (secret: string, code: string): number | undefined => {
    if (!TOTP_CODE.test(code)) return undefined;
    const now = clock.now();
    const delta = totpOf(secret).validate({ token: code, timestamp: now, window: WINDOW });
    return delta === null ? undefined : Math.floor(now / 1000 / PERIOD) + delta;
  };

  return {
    /** A new pending secret for `user` (replacing a pending one); OTP is not on until `confirm`. */
    async start(user: { id: string; email: string }): Promise<{ secret: string; otpauthUri: string; qrSvg: string }> {
      const secret = new Secret({ size: 20 }).base32;
      const saved = await store.savePendingTotp(
        user.id,
        sealer ? await sealer.seal(secret) : secret,
        new Date(clock.now()),
      );
      if (!saved)
        throw new AuthError('BAD_USER_INPUT', 'An authenticator app is already set up: turn it off first', {
          field: 'totp',
        });
      const otpauthUri = totpOf(secret, user.email).toString();
      return { secret, otpauthUri, qrSvg: await QRCode.toString(otpauthUri, { type: 'svg', margin: 2 }) };
    },

    /**
     * Turn on the pending secret with a correct code from it; OTP_INVALID otherwise. `enable`
     * stores it (default: the store; a caller may do it in a transaction with its event).
     */
    async confirm(
      userId: string,
      code: string,
      enable: FactorStore['enableTotp'] = (...args) => store.enableTotp(...args),
    ): Promise<void> {
      const row = await store.totp(userId);
      const step = row && !row.enabledAt ? stepOf(await reveal(row.secret), checkCodeInput(code, 'code')) : undefined;
      if (step === undefined || !(await enable(userId, step, new Date(clock.now()))))
        throw new AuthError('OTP_INVALID');
    },

    /** Whether `code` is right for the account's TOTP and newer than any accepted before (then it is used up). */
    async check(userId: string, code: string): Promise<boolean> {
      const row = await store.totp(userId);
      if (!row?.enabledAt) return false;
      const step = stepOf(await reveal(row.secret), checkCodeInput(code, 'totpCode'));
      return step !== undefined && (await store.useTotpStep(userId, step));
    },
  };
}

export type Totp = ReturnType<typeof createTotp>;
