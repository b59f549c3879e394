/**
 * One-time codes: six digits from a CSPRNG, stored only as a salted HMAC-SHA256
 * (bound to the email and purpose) under the server's code key, alive for
 * OTP_TTL, usable once, dead after OTP_MAX_ATTEMPTS wrong tries, and superseded
 * by a newer code. Six digits are a million tries: a plain hash falls to them in
 * a second, so the hash is keyed with a secret that lives with the signing keys
 * (encrypted with LATCHKEY_KEY_SECRET) — a copy of the codes table alone gives no code.
 *
 * @example
 *   const code = await otp.issue({ email, purpose: 'LOGIN', userId });
 *   const result = await otp.check({ email, purpose: 'LOGIN', code }); // { ok: true, row } once
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import type { Clock } from './clock.js';
import type { KeyRing } from './keys.js';
import type { OtpCode, OtpRepository } from './ports.js';

export type OtpPurpose = 'LOGIN' | 'VERIFY_EMAIL' | 'PASSWORD_RESET' | 'EMAIL_CHANGE';

export type OtpCheck =
  | { ok: true; row: OtpCode }
  /** `row` is the code that was tried, when there was a live one; `attemptsLeft` how many tries it has left. */
  | { ok: false; row?: OtpCode; attemptsLeft: number };

const CODE = /^\d{6}$/;

/** `email` is canonical (src/auth/email.ts): it is bound into the hash as it is. */
function hashCode(key: Buffer, salt: Buffer, purpose: string, email: string, code: string): Buffer {
  return createHmac('sha256', key).update(salt).update(`\0${purpose}\0${email}\0${code}`).digest();
}

interface Deps {
  repo: OtpRepository;
  keys: Pick<KeyRing, 'codeKey' | 'codeKeyFor'>;
  config: Pick<Config, 'otpTtlMs' | 'otpMaxAttempts'>;
  clock: Clock;
}

export function createOtp({ repo, keys, config, clock }: Deps) {
  return {
    /** A new code for this email and purpose (the previous one stops working). Returns the code to send. */
    async issue({
      email,
      purpose,
      userId,
    }: {
      email: string;
      purpose: OtpPurpose;
      userId: string | null;
    }): Promise<string> {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const salt = randomBytes(16);
      const key = keys.codeKey();
      const now = clock.now();
      await repo.issue({
        email,
        purpose,
        userId,
        codeHash: `hmac$${key.kid}$${salt.toString('base64url')}$${hashCode(key.secret, salt, purpose, email, code).toString('base64url')}`,
        createdAt: new Date(now),
        expiresAt: new Date(now + config.otpTtlMs),
      });
      return code;
    },

    /**
     * Check a code; a right one is used up, a wrong one costs an attempt. `use` replaces the
     * plain "mark it used" when using it must be atomic with a change (false: used already).
     */
    async check(
      { email, purpose, code }: { email: string; purpose: OtpPurpose; code: string },
      use?: (row: OtpCode, at: Date) => Promise<boolean>,
    ): Promise<OtpCheck> {
      const now = new Date(clock.now());
      const row = await repo.reserveAttempt(email, purpose, now, config.otpMaxAttempts);
      if (!row) return { ok: false, attemptsLeft: 0 };
      const attemptsLeft = config.otpMaxAttempts - row.attempts;
      const [scheme, kid, salt, expected] = row.codeHash.split('$');
      const key = scheme === 'hmac' ? keys.codeKeyFor(kid) : undefined;
      const given = code.trim();
      if (!CODE.test(given) || !key || !salt || !expected) return { ok: false, row, attemptsLeft };
      const actual = hashCode(key, Buffer.from(salt, 'base64url'), purpose, email, given);
      if (!timingSafeEqual(actual, Buffer.from(expected, 'base64url'))) return { ok: false, row, attemptsLeft };
      // Two requests with the right code: the database lets exactly one use it.
      if (!(await (use ? use(row, now) : repo.consume(row.id, now)))) return { ok: false, row, attemptsLeft };
      return { ok: true, row };
    },

    /** Delete the codes already expired (`latchkey tokens flush-expired`); how many. */
    flushExpired: () => repo.deleteExpired(new Date(clock.now())),
  };
}

export type Otp = ReturnType<typeof createOtp>;
