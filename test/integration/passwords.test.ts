/**
 * Password rules and login timing over HTTP: 8 to 1024 characters, no
 * truncation, the shipped list of common passwords, the same answer for an
 * unknown email as for a wrong password, and old hashes upgraded at login.
 */
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { createPasswordPolicy, loadCommonPasswords } from '../../src/auth/passwordPolicy.js';
import { argon2Params, dummyHash, needsRehash } from '../../src/auth/passwords.js';
import { pglite } from '../support/databases.js';
import { LOGIN, REGISTER, TEST_PASSWORD, registerUser, suiteServer, uniqueEmail } from '../support/server.js';

const CHANGE = `mutation($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }`;

describe('passwords', () => {
  const t = suiteServer(pglite);

  const register = (password: string, email = uniqueEmail()) => t.client().gql(REGISTER, { email, password });

  it('refuses fewer than 8 and more than 1024 characters, naming the field', async () => {
    const short = await register('seven77');
    expect(short.code).toBe('BAD_USER_INPUT');
    expect(short.body.errors![0].extensions!.field).toBe('password');
    expect((await register('x'.repeat(1025))).code).toBe('BAD_USER_INPUT');
    expect((await register('eight888 but not common')).body.errors).toBeUndefined();
    expect((await register('y'.repeat(1024))).body.errors).toBeUndefined();
  });

  it('counts characters, not bytes: 8 emoji are 8 characters', async () => {
    expect((await register('🔑🔒🗝️🔐🔓🛡️🧩🎲')).body.errors).toBeUndefined();
  });

  it('does not truncate: a 100-character password that differs at character 90 does not log in', async () => {
    const password = 'abcdefghij'.repeat(10);
    const email = uniqueEmail();
    expect((await register(password, email)).body.errors).toBeUndefined();
    const other = `${password.slice(0, 89)}X${password.slice(90)}`;
    expect(other).toHaveLength(100);
    expect((await t.client().gql(LOGIN, { email, password: other })).code).toBe('INVALID_CREDENTIALS');
    expect((await t.client().gql(LOGIN, { email, password })).body.errors).toBeUndefined();
  });

  it('refuses one of the 10,000 most common passwords, whatever its case', async () => {
    for (const password of ['password', 'PassWord1', 'iloveyou', 'qwertyuiop', '1qaz2wsx3edc']) {
      const res = await register(password);
      expect(res.code, password).toBe('BAD_USER_INPUT');
      expect(res.body.errors![0].message).toMatch(/common/);
    }
  });

  it('refuses a common password as the new one on change', async () => {
    const alice = t.client();
    await registerUser(alice);
    const res = await alice.gql(CHANGE, { currentPassword: TEST_PASSWORD, newPassword: 'sunshine' });
    expect(res.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0].extensions!.field).toBe('newPassword');
  });

  it('ships exactly 10,000 common passwords, and the check can be off', async () => {
    const list = await loadCommonPasswords();
    expect(list.size).toBe(10_000);
    expect(list.has('123456')).toBe(true);
    expect(() => createPasswordPolicy(null).check('password')).not.toThrow();
    expect(() => createPasswordPolicy(list).check('password')).toThrow(/common/);
  });

  it('answers an unknown email exactly as a wrong password', async () => {
    const { email } = await registerUser(t.client());
    const wrong = await t.client().gql(LOGIN, { email, password: 'not the right one' });
    const unknown = await t.client().gql(LOGIN, { email: uniqueEmail('nobody'), password: 'not the right one' });
    const inactive = await (async () => {
      const other = await registerUser(t.client());
      await t.server.services.accounts.deactivate(other.email, { ip: null, userAgent: null });
      return t.client().gql(LOGIN, { email: other.email, password: TEST_PASSWORD });
    })();
    for (const res of [unknown, inactive]) {
      expect(res.status).toBe(wrong.status);
      expect(res.body).toEqual(wrong.body);
      expect(res.setCookies).toEqual(wrong.setCookies);
    }
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
  });

  it('checks an unknown email against a stand-in hash that costs what a real one costs', async () => {
    // Same parameters as every real hash, and a well-formed one: argon2 really runs (a malformed
    // hash would be rejected at once — the quick answer that gives an unknown email away).
    const standIn = dummyHash();
    expect(
      standIn.startsWith(
        `$argon2id$v=19$m=${argon2Params.memoryCost},t=${argon2Params.timeCost},p=${argon2Params.parallelism}$`,
      ),
    ).toBe(true);
    expect(needsRehash(standIn)).toBe(false);
    await expect(verify(standIn, TEST_PASSWORD)).resolves.toBe(false);
    await expect(verify('$argon2id$v=19$m=19456,t=2,p=1$bad$bad', TEST_PASSWORD)).rejects.toThrow();
    expect(dummyHash()).not.toBe(standIn);
  });

  it('upgrades a hash made with weaker parameters at the next login', async () => {
    const { email, userId } = await registerUser(t.client());
    const repos = t.server.services.repos;
    const weak = await hash(TEST_PASSWORD, {
      algorithm: Algorithm.Argon2id,
      memoryCost: 4096,
      timeCost: 1,
      parallelism: 1,
    });
    await repos.users.setPasswordHash(userId, weak, null);
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.errors).toBeUndefined();
    const upgraded = (await repos.users.findById(userId))!.passwordHash!;
    expect(upgraded).not.toBe(weak);
    expect(upgraded).toContain(`m=${argon2Params.memoryCost},t=${argon2Params.timeCost},p=${argon2Params.parallelism}`);
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.errors).toBeUndefined();
  });
});
