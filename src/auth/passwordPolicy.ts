/**
 * What a new password must be: 8 to 1024 characters (never truncated) and,
 * when PASSWORD_BLOCK_COMMON is on, not one of the 10,000 most common
 * passwords. The list ships in `data/common-passwords.txt` (the top 10,000 of
 * the frequency-ranked list in @zxcvbn-ts/language-common 4.1.3, MIT; see
 * data/README.md) and is read once, asynchronously, at start.
 *
 * @example
 *   const policy = createPasswordPolicy(await loadCommonPasswords());
 *   policy.check('password1');  // throws BAD_USER_INPUT: too common
 */
import { access, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthError } from './errors.js';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.js';

export interface PasswordPolicy {
  /** Throws AuthError('BAD_USER_INPUT', …, { field }) when `password` may not be used. */
  check(password: string, field?: string): void;
}

/** data/common-passwords.txt, found from src/auth or dist/src/auth alike. */
async function listPath(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'data', 'common-passwords.txt');
    try {
      await access(candidate);
      return candidate;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('data/common-passwords.txt not found (PASSWORD_BLOCK_COMMON=true needs it)');
}

/** The shipped list of common passwords, lower-cased. */
export async function loadCommonPasswords(path?: string): Promise<ReadonlySet<string>> {
  const text = await readFile(path ?? (await listPath()), 'utf8');
  return new Set(
    text
      .split('\n')
      .map((l) => l.trim().toLowerCase())
      .filter(Boolean),
  );
}

const invalid = (field: string, message: string) => new AuthError('BAD_USER_INPUT', message, { field });

/** The length rule alone (what every new password must meet, common or not). */
function checkNewPassword(password: string, field = 'password'): void {
  // Length is counted in characters, never truncated: argon2 hashes the whole string.
  const length = [...password].length;
  if (length < PASSWORD_MIN) throw invalid(field, `Password must be at least ${PASSWORD_MIN} characters`);
  if (length > PASSWORD_MAX) throw invalid(field, `Password must be at most ${PASSWORD_MAX} characters`);
}

export function createPasswordPolicy(common: ReadonlySet<string> | null): PasswordPolicy {
  return {
    check(password, field = 'password') {
      checkNewPassword(password, field);
      if (common?.has(password.toLowerCase())) {
        throw invalid(field, 'This password is one of the most common passwords: choose another');
      }
    },
  };
}
