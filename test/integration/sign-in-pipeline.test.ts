/**
 * The one sign-in pipeline (API.md §8.2.1, §8.2.7): every first factor of an account with TOTP
 * or a passkey stops at SECOND_FACTOR_REQUIRED — a challenge and the methods, and no token, no
 * cookie, no session row — and under MFA_REQUIRED an account without a factor gets
 * SECOND_FACTOR_ENROLLMENT_REQUIRED and can only enrol. The schema's list of operations that
 * hand out tokens is checked too, so a new way in cannot be added without joining this table.
 */
import { describe, expect, it } from 'vitest';
import { getNamedType, isObjectType } from 'graphql';
import { graphqlSchema } from '../../src/graphql/schema.js';
import { databaseTargets } from '../support/databases.js';
import {
  COMPLETE,
  CONFIRM_TOTP,
  DISABLE_TOTP,
  FACTOR_ENV,
  FINISH_PASSKEY_REGISTRATION,
  REAUTH,
  REQUEST_OTP,
  SECURITY,
  START_PASSKEY_REGISTRATION,
  START_SECOND_PASSKEY,
  START_TOTP,
  TEST_ORIGIN,
  VERIFY_OTP,
  enrolPasskey,
  enrolTotp,
  now,
  totpAt,
} from '../support/factors.js';
import { softAuthenticator } from '../../bench/softAuthenticator.js';
import { lastCodeTo } from '../support/mail.js';
import {
  LOGIN,
  REFRESH,
  REGISTER,
  TEST_PASSWORD,
  jwtPayload,
  registerUser,
  suiteServer,
  uniqueEmail,
  type TestClient,
  type TestServer,
} from '../support/server.js';

const targets = await databaseTargets();
const REMOVE_PASSKEY = `mutation($id: ID!) { removePasskey(id: $id) }`;

/** Every first factor, as a person would use it: the response of its last request. */
const FIRST_FACTORS: Record<
  string,
  (t: TestServer, email: string, client: TestClient) => ReturnType<TestClient['gql']>
> = {
  'password login': (_t, email, client) => client.gql(LOGIN, { email, password: TEST_PASSWORD }),
  'email code (verifyOtp LOGIN)': async (t, email, client) => {
    await client.gql(REQUEST_OTP, { email });
    return client.gql(VERIFY_OTP, { email, code: await lastCodeTo(t, email) });
  },
};

it('has no way to get tokens besides the ones this suite covers', () => {
  const mutations = graphqlSchema().getMutationType()!.getFields();
  const issuing = Object.values(mutations)
    .filter((f) => isObjectType(getNamedType(f.type)) && getNamedType(f.type).name === 'AuthPayload')
    .map((f) => f.name)
    .sort();
  // register and login/verifyOtp are first factors (above); finishPasskeySignIn is two factors
  // (user verification required); completeSignIn is the second step; refreshToken and
  // reauthenticate need a session that exists already.
  expect(issuing).toEqual([
    'completeSignIn',
    'finishPasskeySignIn',
    'login',
    'reauthenticate',
    'refreshToken',
    'register',
    'verifyOtp',
  ]);
});

describe.each(targets)('the sign-in pipeline on $name', (target) => {
  const t = suiteServer(target, { manualClock: true, env: FACTOR_ENV });

  for (const [factor, label] of [
    ['TOTP', 'TOTP'],
    ['PASSKEY', 'a passkey'],
  ] as const) {
    for (const [path, firstFactor] of Object.entries(FIRST_FACTORS)) {
      it(`${path} of an account with ${label}: SECOND_FACTOR_REQUIRED, no token, no cookie, no session`, async () => {
        const owner = t.client();
        const { email, userId } = await registerUser(owner);
        if (factor === 'TOTP') await enrolTotp(t, owner);
        else await enrolPasskey(owner);
        const before = await t.sql('select count(*)::int as n from sessions where user_id = $1', [userId]);

        const device = t.client();
        const res = await firstFactor(t, email, device);
        expect(res.code).toBe('SECOND_FACTOR_REQUIRED');
        expect(res.body.data).toBeNull();
        expect(res.body.errors![0].extensions).toMatchObject({
          challenge: expect.stringMatching(/^[\w-]{43}$/),
          methods: factor === 'TOTP' ? ['TOTP', 'RECOVERY_CODE'] : ['PASSKEY'],
        });
        expect(res.setCookies).toEqual([]);
        expect(device.cookies.size).toBe(0);
        expect(await t.sql('select count(*)::int as n from sessions where user_id = $1', [userId])).toEqual(before);
        // Refreshing with nothing gives nothing.
        expect((await device.gql(REFRESH)).code).toBe('UNAUTHENTICATED');
      });
    }
  }

  it('binds the challenge to its first factor: an email-code sign-in completed with TOTP says otp, otp, mfa', async () => {
    const owner = t.client();
    const { email } = await registerUser(owner);
    const { secret } = await enrolTotp(t, owner);
    t.clock!.advance(30_000);
    const device = t.client();
    const first = await FIRST_FACTORS['email code (verifyOtp LOGIN)'](t, email, device);
    const done = await device.gql(COMPLETE, {
      c: first.body.errors![0].extensions!.challenge,
      totp: totpAt(secret, now(t)),
    });
    expect(jwtPayload(done.body.data.completeSignIn.accessToken).amr).toEqual(['otp', 'mfa']);
  });
});

describe.each(targets)('MFA_REQUIRED=true on $name', (target) => {
  const t = suiteServer(target, { manualClock: true, env: { ...FACTOR_ENV, MFA_REQUIRED: 'true' } });

  it('gives an account without a factor only an enrolment challenge, then tokens once TOTP is on; the last factor stays', async () => {
    const email = uniqueEmail('mfa');
    const device = t.client();
    const registered = await device.gql(REGISTER, { email, password: TEST_PASSWORD });
    expect(registered.code).toBe('SECOND_FACTOR_ENROLLMENT_REQUIRED');
    expect(registered.setCookies).toEqual([]);
    const login = await device.gql(LOGIN, { email, password: TEST_PASSWORD });
    expect(login.code).toBe('SECOND_FACTOR_ENROLLMENT_REQUIRED');
    const challenge = login.body.errors![0].extensions!.challenge as string;

    // The enrolment challenge is not a second step, and not a session.
    expect((await device.gql(COMPLETE, { c: challenge, totp: '123456' })).code).toBe('OTP_INVALID');
    expect((await device.gql(SECURITY)).code).toBe('UNAUTHENTICATED');

    const { secret } = (await device.gql(START_TOTP, { c: challenge })).body.data.startTotpEnrollment;
    const codes = (await device.gql(CONFIRM_TOTP, { code: totpAt(secret, now(t)), c: challenge })).body.data
      .confirmTotpEnrollment.codes;
    expect(codes).toHaveLength(10);
    const done = await device.gql(COMPLETE, { c: challenge, totp: totpAt(secret, now(t)) });
    expect(done.body.errors).toBeUndefined();
    device.token = done.body.data.completeSignIn.accessToken;
    expect(jwtPayload(device.token!).amr).toEqual(['pwd', 'otp', 'mfa']);
    expect((await device.gql(COMPLETE, { c: challenge, totp: totpAt(secret, now(t)) })).code).toBe('CHALLENGE_INVALID');

    const last = await device.gql(DISABLE_TOTP);
    expect(last.code).toBe('FORBIDDEN');
    expect((await device.gql(SECURITY)).body.data.mySecurity.totpEnabled).toBe(true);
  });

  it('lets the enrolment challenge enrol a passkey and then sign in with its methods, and do nothing else', async () => {
    const device = t.client();
    const registered = await device.gql(REGISTER, { email: uniqueEmail('mfa'), password: TEST_PASSWORD });
    const challenge = registered.body.errors![0].extensions!.challenge as string;
    // Not a second step: there is no passkey to ask for yet, and the challenge only enrols.
    expect((await device.gql(START_SECOND_PASSKEY, { c: challenge })).code).toBe('CHALLENGE_INVALID');

    const key = await softAuthenticator({ origin: TEST_ORIGIN, rpId: 'localhost' });
    const options = (await device.gql(START_PASSKEY_REGISTRATION, { c: challenge })).body.data.startPasskeyRegistration;
    const added = await device.gql(FINISH_PASSKEY_REGISTRATION, { r: key.register(options), c: challenge });
    expect(added.body.errors).toBeUndefined();
    const done = await device.gql(COMPLETE, { c: challenge });
    expect(done.body.errors).toBeUndefined();
    // The same methods as the passkey gives as a second step (passkeys.test.ts): the key's kind and `user`.
    expect(jwtPayload(done.body.data.completeSignIn.accessToken).amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
  });

  /** Signed in under MFA_REQUIRED: enrolled TOTP through the enrolment challenge. */
  const enrolledDevice = async () => {
    const email = uniqueEmail('mfa');
    const device = t.client();
    const registered = await device.gql(REGISTER, { email, password: TEST_PASSWORD });
    const challenge = registered.body.errors![0].extensions!.challenge as string;
    const { secret } = (await device.gql(START_TOTP, { c: challenge })).body.data.startTotpEnrollment;
    await device.gql(CONFIRM_TOTP, { code: totpAt(secret, now(t)), c: challenge });
    device.token = (
      await device.gql(COMPLETE, { c: challenge, totp: totpAt(secret, now(t)) })
    ).body.data.completeSignIn.accessToken;
    return device;
  };

  it('lets removals at once take away at most all factors but one', async () => {
    const device = await enrolledDevice();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await enrolPasskey(device, `key ${i}`)).id);
    const removals = await Promise.all([
      device.gql(DISABLE_TOTP),
      ...ids.map((id) => device.gql(REMOVE_PASSKEY, { id })),
    ]);
    const outcomes = removals.map((r) => r.code ?? 'removed');
    expect(outcomes.filter((o) => o === 'removed')).toHaveLength(7);
    expect(outcomes.filter((o) => o !== 'removed')).toEqual(['FORBIDDEN']);
    const left = (await device.gql(SECURITY)).body.data.mySecurity;
    expect(Number(left.totpEnabled) + left.passkeys.length).toBe(1);
    // The one left still signs in: its recovery codes stayed with it.
    expect(left.recoveryCodesLeft).toBe(10);
  });

  it('answers false to disableTotp when TOTP is off, and keeps the passkey that is the last factor', async () => {
    const device = await enrolledDevice();
    const { id } = await enrolPasskey(device);
    expect((await device.gql(DISABLE_TOTP)).body.data.disableTotp).toBe(true);
    const again = await device.gql(DISABLE_TOTP);
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data.disableTotp).toBe(false);
    expect((await device.gql(REMOVE_PASSKEY, { id })).code).toBe('FORBIDDEN');
    expect((await device.gql(SECURITY)).body.data.mySecurity.passkeys).toHaveLength(1);
  });
});

describe.each(targets)('recent sign-in on $name', (target) => {
  const t = suiteServer(target, { manualClock: true, env: { ...FACTOR_ENV, REAUTH_MAX_AGE: '10m' } });

  it('answers REAUTH_REQUIRED when the last real sign-in is older than REAUTH_MAX_AGE; a refresh does not renew it, reauthenticate does', async () => {
    const client = t.client();
    const { email } = await registerUser(client);
    await enrolTotp(t, client);
    const signedInAt = jwtPayload(client.token!).auth_time;
    t.clock!.advance(11 * 60_000);
    client.token = (await client.gql(REFRESH)).body.data.refreshToken.accessToken;
    expect(jwtPayload(client.token!).auth_time).toBe(signedInAt);
    expect((await client.gql(DISABLE_TOTP)).code).toBe('REAUTH_REQUIRED');
    expect((await client.gql(START_TOTP)).code).toBe('REAUTH_REQUIRED');

    expect((await client.gql(REAUTH, { password: 'wrong password!' })).code).toBe('INVALID_CREDENTIALS');
    expect((await client.gql(REAUTH, {})).code).toBe('BAD_USER_INPUT');
    const renewed = await client.gql(REAUTH, { password: TEST_PASSWORD });
    expect(renewed.body.errors).toBeUndefined();
    client.token = renewed.body.data.reauthenticate.accessToken;
    expect(jwtPayload(client.token!)).toMatchObject({ auth_time: Math.floor(now(t) / 1000), amr: ['pwd'] });
    expect((await client.gql(SECURITY)).body.data.mySecurity.lastAuthenticatedAt).toBe(new Date(now(t)).toISOString());
    expect((await client.gql(DISABLE_TOTP)).body.data.disableTotp).toBe(true);
    expect(email).toContain('@');
  });

  it('reauthenticates with a mailed LOGIN code and with a passkey', async () => {
    const client = t.client();
    const { email } = await registerUser(client);
    // The address proven first: a mailed code on an unproven address ends every session (docs/second-factors.md).
    await client.gql('mutation($code: String!) { verifyEmail(code: $code) { id } }', {
      code: await lastCodeTo(t, email),
    });
    const { key } = await enrolPasskey(client);
    const later = async () => {
      t.clock!.advance(11 * 60_000);
      client.token = (await client.gql(REFRESH)).body.data.refreshToken.accessToken;
    };
    await later();
    await client.gql(REQUEST_OTP, { email });
    const byMail = await client.gql(REAUTH, { email: await lastCodeTo(t, email) });
    expect(byMail.body.errors).toBeUndefined();
    expect(jwtPayload(byMail.body.data.reauthenticate.accessToken).amr).toEqual(['otp']);

    await later();
    const options = (await client.gql(`mutation { startReauthPasskey }`)).body.data.startReauthPasskey;
    const byPasskey = await client.gql(REAUTH, { pk: key.assert(options) });
    expect(byPasskey.body.errors).toBeUndefined();
    expect(jwtPayload(byPasskey.body.data.reauthenticate.accessToken).amr).toEqual(['hwk', 'user', 'mfa']);
  });
});
