/**
 * Passkeys over GraphQL/HTTP (API.md §8.2.3), on PGlite and PostgreSQL, with a software
 * authenticator that signs real WebAuthn responses (bench/softAuthenticator.ts).
 */
import { describe, expect, it } from 'vitest';
import { softAuthenticator } from '../../bench/softAuthenticator.js';
import { databaseTargets } from '../support/databases.js';
import {
  COMPLETE,
  FACTOR_ENV,
  FINISH_PASSKEY_REGISTRATION,
  FINISH_PASSKEY_SIGN_IN,
  SECURITY,
  START_PASSKEY_REGISTRATION,
  START_PASSKEY_SIGN_IN,
  START_SECOND_PASSKEY,
  TEST_ORIGIN,
  enrolPasskey,
  loginToChallenge,
} from '../support/factors.js';
import { jwtPayload, registerUser, suiteServer } from '../support/server.js';

const RENAME = `mutation($id: ID!, $name: String!) { renamePasskey(id: $id, name: $name) { id name } }`;
const REMOVE = `mutation($id: ID!) { removePasskey(id: $id) }`;
const targets = await databaseTargets();

describe.each(targets)('passkeys on $name', (target) => {
  const t = suiteServer(target, { manualClock: true, env: FACTOR_ENV });
  const signedUp = async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client);
    return { client, email, userId };
  };
  const sessionCount = async (userId: string) =>
    (await t.sql('select count(*)::int as n from sessions where user_id = $1', [userId]))[0].n;

  it('registers a passkey named after the browser and system, lists, renames and removes it', async () => {
    const { client } = await signedUp();
    const options = (await client.gql(START_PASSKEY_REGISTRATION)).body.data.startPasskeyRegistration;
    expect(options).toMatchObject({
      rp: { id: 'localhost', name: 'Latchkey' },
      authenticatorSelection: { residentKey: 'preferred' },
    });
    const key = await softAuthenticator({ origin: TEST_ORIGIN, rpId: 'localhost', backedUp: true });
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
    const done = await client.gql(
      FINISH_PASSKEY_REGISTRATION,
      { r: key.register(options) },
      { headers: { 'user-agent': ua } },
    );
    expect(done.body.data.finishPasskeyRegistration).toMatchObject({ name: 'Chrome on Linux', backedUp: true });
    const id = done.body.data.finishPasskeyRegistration.id;
    // The same registration again: its challenge is used up.
    expect((await client.gql(FINISH_PASSKEY_REGISTRATION, { r: key.register(options) })).code).toBe(
      'CHALLENGE_INVALID',
    );

    expect((await client.gql(RENAME, { id, name: 'Work laptop' })).body.data.renamePasskey).toEqual({
      id,
      name: 'Work laptop',
    });
    expect((await client.gql(RENAME, { id: 'not-a-passkey', name: 'x' })).code).toBe('BAD_USER_INPUT');
    expect((await client.gql(SECURITY)).body.data.mySecurity.passkeys).toMatchObject([
      { id, name: 'Work laptop', backedUp: true, lastUsedAt: null },
    ]);
    expect((await client.gql(REMOVE, { id })).body.data.removePasskey).toBe(true);
    expect((await client.gql(SECURITY)).body.data.mySecurity.passkeys).toEqual([]);
  });

  it('signs in with a passkey alone, with an email and discoverable: amr hwk+user+mfa, counter stored', async () => {
    const { client, email, userId } = await signedUp();
    const { key } = await enrolPasskey(client);
    const withEmail = (await t.client().gql(START_PASSKEY_SIGN_IN, { email })).body.data.startPasskeySignIn;
    expect(withEmail).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
      allowCredentials: [{ id: key.credentialId }],
    });
    const device = t.client();
    const res = await device.gql(FINISH_PASSKEY_SIGN_IN, { r: key.assert(withEmail), rm: true });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.finishPasskeySignIn.user).toEqual({ id: userId, email });
    expect(jwtPayload(res.body.data.finishPasskeySignIn.accessToken).amr).toEqual(['hwk', 'user', 'mfa']);
    expect(res.setCookies.find((c) => c.startsWith('latchkey_refresh='))).toMatch(/Max-Age=/);

    const discoverable = (await t.client().gql(START_PASSKEY_SIGN_IN)).body.data.startPasskeySignIn;
    expect(discoverable.allowCredentials ?? []).toEqual([]);
    expect((await t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: key.assert(discoverable) })).body.errors).toBeUndefined();
    expect(
      await t.sql('select counter::int as counter, last_used_at is not null as used from passkeys where user_id = $1', [
        userId,
      ]),
    ).toEqual([{ counter: 2, used: true }]);
  });

  it('refuses a response without user verification, for another origin, for another challenge, from an unknown credential, and malformed or huge JSON', async () => {
    const { client, email, userId } = await signedUp();
    const { key } = await enrolPasskey(client);
    const stranger = await softAuthenticator({ origin: TEST_ORIGIN, rpId: 'localhost' });
    const options = async () => (await t.client().gql(START_PASSKEY_SIGN_IN, { email })).body.data.startPasskeySignIn;
    const before = await sessionCount(userId);

    key.state.userVerified = false;
    expect((await t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: key.assert(await options()) })).code).toBe(
      'PASSKEY_INVALID',
    );
    key.state.userVerified = true;
    key.state.origin = 'https://evil.example';
    expect((await t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: key.assert(await options()) })).code).toBe(
      'PASSKEY_INVALID',
    );
    key.state.origin = TEST_ORIGIN;
    expect((await t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: key.assert({ challenge: 'bm90LW91cnM' }) })).code).toBe(
      'CHALLENGE_INVALID',
    );
    expect((await t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: stranger.assert(await options()) })).code).toBe(
      'PASSKEY_INVALID',
    );
    for (const junk of [{}, 'text', [1, 2], { type: 'public-key', id: 'abc', response: { clientDataJSON: '!!' } }]) {
      expect((await t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: junk })).code).toBe('PASSKEY_INVALID');
    }
    expect(
      (await t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: { type: 'public-key', id: 'a', pad: 'x'.repeat(40_000) } }))
        .code,
    ).toBe('BAD_USER_INPUT');
    expect(await sessionCount(userId)).toBe(before);
  });

  it('asks for the second step after a password when the account has only a passkey, and completes it with the passkey', async () => {
    const { client, email, userId } = await signedUp();
    const { key } = await enrolPasskey(client);
    const before = await sessionCount(userId);
    const step = await loginToChallenge(t, email);
    expect(step.code).toBe('SECOND_FACTOR_REQUIRED');
    expect(step.methods).toEqual(['PASSKEY']);
    expect(step.res.setCookies).toEqual([]);
    expect(await sessionCount(userId)).toBe(before);

    const options = (await step.client.gql(START_SECOND_PASSKEY, { c: step.challenge })).body.data
      .startSecondFactorPasskey;
    expect(options.allowCredentials).toMatchObject([{ id: key.credentialId }]);
    // A sign-in challenge's options are not the second step's.
    const other = (await t.client().gql(START_PASSKEY_SIGN_IN, { email })).body.data.startPasskeySignIn;
    expect((await step.client.gql(COMPLETE, { c: step.challenge, pk: key.assert(other) })).code).toBe(
      'PASSKEY_INVALID',
    );
    const done = await step.client.gql(COMPLETE, { c: step.challenge, pk: key.assert(options) });
    expect(done.body.errors).toBeUndefined();
    expect(jwtPayload(done.body.data.completeSignIn.accessToken).amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
  });

  it('signs nobody in with a passkey of a deactivated account', async () => {
    const { client, email, userId } = await signedUp();
    const { key } = await enrolPasskey(client);
    await t.sql('update users set is_active = false where id = $1', [userId]);
    const options = (await t.client().gql(START_PASSKEY_SIGN_IN)).body.data.startPasskeySignIn;
    expect((await t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: key.assert(options) })).code).toBe('PASSKEY_INVALID');
    expect(email).toBeDefined();
  });
});

describe.each(targets)('failed passkey sign-ins on $name', (target) => {
  const t = suiteServer(target, {
    manualClock: true,
    env: { ...FACTOR_ENV, RATE_LIMIT_LOGIN_ACCOUNT: '3/15m', RATE_LIMIT_LOGIN_IP: '6/15m' },
  });
  const withPasskey = async () => {
    const client = t.client();
    const { email } = await registerUser(client);
    return { email, ...(await enrolPasskey(client)) };
  };
  const signIn = async (r: unknown) => t.client().gql(FINISH_PASSKEY_SIGN_IN, { r });
  const options = async (email?: string) =>
    (await t.client().gql(START_PASSKEY_SIGN_IN, { email })).body.data.startPasskeySignIn;

  it('are limited like password failures: per credential, then per address', async () => {
    const a = await withPasskey();
    const b = await withPasskey();
    a.key.state.userVerified = false;
    for (let i = 0; i < 3; i++)
      expect((await signIn(a.key.assert(await options(a.email)))).code).toBe('PASSKEY_INVALID');
    a.key.state.userVerified = true;
    // That credential is spent, even for a good response; another account's passkey still signs in.
    const limited = await signIn(a.key.assert(await options(a.email)));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.body.errors![0].extensions!.retryAfter).toBeGreaterThan(0);
    const other = await signIn(b.key.assert(await options()));
    expect(other.body.errors).toBeUndefined();
    expect(other.body.data.finishPasskeySignIn.user.email).toBe(b.email);

    // Junk from the same address uses up the address's allowance; then nobody signs in from it.
    const junk = { type: 'public-key', id: 'abc', response: { clientDataJSON: '!!' } };
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await signIn(junk)).code);
    expect(codes).toEqual(['PASSKEY_INVALID', 'PASSKEY_INVALID', 'RATE_LIMITED']);
    expect((await signIn(b.key.assert(await options()))).code).toBe('RATE_LIMITED');
  });
});
