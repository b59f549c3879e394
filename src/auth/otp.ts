/**
 * One-time codes: six digits from a CSPRNG, stored only as a salted SHA-256
 * (bound to the email and purpose), alive for OTP_TTL, usable once, dead
 * after OTP_MAX_ATTEMPTS wrong tries, and superseded by a newer code.
 * (Codes live minutes and tries are bounded, so a slow hash such as argon2 buys nothing.)
 *
 * @example
 *   const code = await otp.issue({ email, purpose: 'LOGIN', userId });
 *   const result = await otp.check({ email, purpose: 'LOGIN', code }); // { ok: true, row } once
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import type { Clock } from './clock.js';
import type { OtpCode, OtpRepository } from './ports.js';

export type OtpPurpose = 'LOGIN' | 'VERIFY_EMAIL' | 'PASSWORD_RESET';

export type OtpCheck =
  | { ok: true; row: OtpCode }
  /** `row` is the code that was tried, when there was a live one; `attemptsLeft` how many tries it has left. */
  | { ok: false; row?: OtpCode; attemptsLeft: number };

const CODE = /^\d{6}$/;

function hashCode(salt: Buffer, purpose: string, email: string, code: string): Buffer {
  return createHash('sha256').update(salt).update(`\0${purpose}\0${email.toLowerCase()}\0${code}`).digest();
}

export function createOtp({
  repo,
  config,
  clock,
}: {
  repo: OtpRepository;
  config: Pick<Config, 'otpTtlMs' | 'otpMaxAttempts'>;
  clock: Clock;
}) {
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
      const now = clock.now();
      await repo.issue({
        email,
        purpose,
        userId,
        codeHash: `sha256$${salt.toString('base64url')}$${hashCode(salt, purpose, email, code).toString('base64url')}`,
        createdAt: new Date(now),
        expiresAt: new Date(now + config.otpTtlMs),
      });
      return code;
    },

    /** Check a code; a right one is used up, a wrong one costs an attempt. */
    async check({ email, purpose, code }: { email: string; purpose: OtpPurpose; code: string }): Promise<OtpCheck> {
      const now = new Date(clock.now());
      const row = await repo.reserveAttempt(email, purpose, now, config.otpMaxAttempts);
      if (!row) return { ok: false, attemptsLeft: 0 };
      const attemptsLeft = config.otpMaxAttempts - row.attempts;
      const [, salt, expected] = row.codeHash.split('$');
      const given = code.trim();
      if (!CODE.test(given) || !salt || !expected) return { ok: false, row, attemptsLeft };
      const actual = hashCode(Buffer.from(salt, 'base64url'), purpose, email, given);
      if (!timingSafeEqual(actual, Buffer.from(expected, 'base64url'))) return { ok: false, row, attemptsLeft };
      // Two requests with the right code: the database lets exactly one use it.
      if (!(await repo.consume(row.id, now))) return { ok: false, row, attemptsLeft };
      return { ok: true, row };
    },

    /** Delete the codes already expired (`latchkey tokens flush-expired`); how many. */
    flushExpired: () => repo.deleteExpired(new Date(clock.now())),
  };
}

export type Otp = ReturnType<typeof createOtp>;
