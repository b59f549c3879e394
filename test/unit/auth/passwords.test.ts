/** passwords.ts: argon2id at OWASP's parameters, verification, rehash detection, the dummy hash. */
import { Algorithm, hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { argon2Params, dummyHash, hashPassword, needsRehash, verifyPassword } from '../../../src/auth/passwords.js';

const PASSWORD = 'correct horse battery staple';

describe('passwords', () => {
  it('hashes with argon2id m=19456 KiB, t=2, p=1 and a random salt', async () => {
    const a = await hashPassword(PASSWORD);
    const b = await hashPassword(PASSWORD);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(PASSWORD);
  });

  it('verifies the password and nothing else: not a prefix, not a case change, not the hash', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword(stored, PASSWORD)).toBe(true);
    for (const wrong of ['correct horse battery stapl', 'Correct horse battery staple', `${PASSWORD} `, '', stored]) {
      expect(await verifyPassword(stored, wrong), JSON.stringify(wrong)).toBe(false);
    }
  });

  it('treats a malformed or foreign hash as a mismatch, never an error', async () => {
    for (const bad of [
      '',
      'not a hash',
      '$2b$12$abcdefghijklmnopqrstuuKq7Vd2Q8i7Vdz9YwqW3sC7sS1Gm6sXa',
      '$argon2id$v=19$m=19456,t=2,p=1$$',
    ]) {
      expect(await verifyPassword(bad, PASSWORD)).toBe(false);
    }
  });

  it('asks for a rehash of weaker or foreign hashes only', async () => {
    expect(needsRehash(await hashPassword(PASSWORD))).toBe(false);
    const weak = await hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    expect(needsRehash(weak)).toBe(true);
    const argon2i = await hash(PASSWORD, { ...argon2Params, algorithm: Algorithm.Argon2i });
    expect(needsRehash(argon2i)).toBe(true);
    expect(await verifyPassword(weak, PASSWORD)).toBe(true);
    expect(needsRehash('$2b$12$abcdefghijklmnopqrstuuKq7Vd2Q8i7Vdz9YwqW3sC7sS1Gm6sXa')).toBe(true);
    // Stronger than today's parameters is fine; a different parallelism is not what we set.
    expect(
      needsRehash('$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'),
    ).toBe(false);
    expect(
      needsRehash('$argon2id$v=19$m=19456,t=2,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'),
    ).toBe(true);
  });

  it('makes stand-in hashes with the real parameters, which no password matches', async () => {
    const dummy = dummyHash();
    // A fresh salt each time: no constant an observer could recognise.
    expect(dummyHash()).not.toBe(dummy);
    expect(dummy).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(dummy, PASSWORD)).toBe(false);
  });
});
