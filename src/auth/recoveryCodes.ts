/**
 * Recovery codes: ten single-use codes of the form `xxxx-xxxx` (lower-case letters and digits
 * without look-alikes, about 41 bits each), shown once. Stored as scrypt hashes with one
 * random salt per set, so a guess costs one scrypt however many codes are left, and a stolen
 * table does not hand them out.
 *
 * @example
 *   const codes = await recoveryCodes.generate(userId); // ['k3mf-9qzt', …]
 *   await recoveryCodes.use(userId, 'K3MF 9QZT');       // true once
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Clock } from './clock.js';
import type { FactorStore } from './factorPorts.js';
import { checkCodeInput } from './totp.js';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const SHAPE = /^[a-z0-9]{4}-[a-z0-9]{4}$/;
const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number },
) => Promise<Buffer>;

const hash = async (code: string, salt: string) =>
  (await scryptAsync(code, Buffer.from(salt, 'base64url'), 32, { N: 1 << 14 })).toString('base64url');

/** The canonical form of what a person typed: lower case, spaces dropped, one dash in the middle. */
export function normalizeRecoveryCode(input: string): string {
  const bare = checkCodeInput(input, 'recoveryCode').toLowerCase().replace(/-/g, '');
  return bare.length === 8 ? `${bare.slice(0, 4)}-${bare.slice(4)}` : bare;
}

export function createRecoveryCodes({ store, clock }: { store: FactorStore; clock: Clock }) {
  return {
    /** A new set, replacing any old one; the codes themselves are returned here and never again. */
    async generate(userId: string): Promise<string[]> {
      const salt = randomBytes(16).toString('base64url');
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
        const c = Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
        return `${c.slice(0, 4)}-${c.slice(4)}`;
      });
      const rows = await Promise.all(codes.map(async (code) => ({ salt, codeHash: await hash(code, salt) })));
      await store.replaceRecoveryCodes(userId, rows, new Date(clock.now()));
      return codes;
    },

    /** Whether `input` is one of the account's unused codes (then it is used up, atomically). */
    async use(userId: string, input: string): Promise<boolean> {
      const code = normalizeRecoveryCode(input);
      const rows = await store.unusedRecoveryCodes(userId);
      if (!SHAPE.test(code) || !rows.length) return false;
      const hashes = new Map<string, string>();
      for (const row of rows) {
        hashes.set(row.salt, hashes.get(row.salt) ?? (await hash(code, row.salt)));
        const mine = Buffer.from(hashes.get(row.salt)!);
        const theirs = Buffer.from(row.codeHash);
        if (mine.length === theirs.length && timingSafeEqual(mine, theirs))
          return store.useRecoveryCode(row.id, new Date(clock.now()));
      }
      return false;
    },
  };
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;
