/**
 * Password hashing with argon2id at OWASP's parameters (m=19456 KiB, t=2, p=1).
 * @node-rs/argon2 runs the work on libuv's thread pool, off the event loop — at most
 * one hash per CPU core (plus one) at a time: more only queue in the pool ahead of
 * other work (files, WebCrypto) and starve the event loop's thread of a core, without
 * hashing any faster.
 *
 * @example
 *   const hash = await hashPassword('correct horse battery staple');
 *   await verifyPassword(hash, 'correct horse battery staple'); // true
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Algorithm, hash, verify } from '@node-rs/argon2';

export const argon2Params = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

/** Run `task` when fewer than `slots` tasks are running; callers wait in arrival order. */
export function concurrencyLimit(slots: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next in line (running stays the same), or free it.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

// One per core, plus one ready in the pool so a core never waits for the event loop to hand it the next.
const hashing = concurrencyLimit(availableParallelism() + 1);

export function hashPassword(password: string): Promise<string> {
  return hashing(() => hash(password, argon2Params));
}

/** Constant-time verification; a malformed hash counts as a mismatch. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await hashing(() => verify(passwordHash, password));
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

/**
 * A stand-in hash for an account that does not exist, with today's parameters
 * and a random salt and digest: verifying a password against it runs exactly
 * the argon2 work of a real account (and always fails), so an unknown email
 * costs what a wrong password costs — from the very first login, since
 * nothing has to be hashed to make it.
 *
 * @example
 *   await verifyPassword(user?.passwordHash ?? dummyHash(), password); // false for the dummy
 */
export function dummyHash(): string {
  const b64 = (n: number) => randomBytes(n).toString('base64').replace(/=+$/, '');
  const { memoryCost: m, timeCost: t, parallelism: p } = argon2Params;
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(16)}$${b64(32)}`;
}
