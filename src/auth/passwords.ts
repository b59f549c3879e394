/**
 * Password hashing with argon2id at OWASP's parameters (m=19456 KiB, t=2, p=1).
 * @node-rs/argon2 runs the work on libuv's thread pool, off the event loop.
 *
 * @example
 *   const hash = await hashPassword('correct horse battery staple');
 *   await verifyPassword(hash, 'correct horse battery staple'); // true
 */
import { Algorithm, hash, verify } from '@node-rs/argon2';

export const argon2Params = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Params);
}

/** Constant-time verification; a malformed hash counts as a mismatch. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** True when a stored hash was made with weaker or different parameters than today's. */
export function needsRehash(passwordHash: string): boolean {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
  if (!m) return true;
  const [, mem, time, par] = m.map(Number);
  return mem < argon2Params.memoryCost || time < argon2Params.timeCost || par !== argon2Params.parallelism;
}

let dummy: Promise<string> | undefined;
/**
 * A hash of a random password, made once: verifying an unknown account's
 * login against it spends the same argon2 work as a real one (no timing oracle).
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`);
  return dummy;
}
