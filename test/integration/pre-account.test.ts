/**
 * Pre-account hijacking: someone registers an address before its owner. When
 * the owner first proves the address without being signed in (a code sign-in,
 * a reset), the registrant's sessions and password end; the registrant proving their own mailbox (verifyEmail or reauthenticate
 * with a mailed code, signed in) keeps everything. With
 * REQUIRE_EMAIL_VERIFICATION, password sign-up and sign-in wait for the proof,
 * and sign-up answers a taken address as it answers a new one.
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { REAUTH } from '../support/factors.js';
import { lastCodeTo, mailTo } from '../support/mail.js';
import {
  LOGIN,
  ME,
  REFRESH,
  REGISTER,
  TEST_PASSWORD,
  loginUser,
  registerUser,
  suiteServer,
  uniqueEmail,
} from '../support/server.js';

const REQUEST = `mutation($email: String!, $purpose: OtpPurpose) { requestOtp(email: $email, purpose: $purpose) }`;
const VERIFY = `mutation($email: String!, $code: String!) { verifyOtp(email: $email, code: $code) { accessToken user { id emailVerified } } }`;
const VERIFY_EMAIL = `mutation($code: String!) { verifyEmail(code: $code) { id emailVerified } }`;
const RESET = `mutation($email: String!, $code: String!, $newPassword: String!) { resetPassword(email: $email, code: $code, newPassword: $newPassword) }`;
const LOGIN_WITH_CODE = `mutation($email: String!, $password: String!, $code: String) {
  login(email: $email, password: $password, code: $code) { accessToken user { id emailVerified } }
}`;
const OWNER_PASSWORD = 'the owner picked this one';

const targets = await databaseTargets();

describe.each(targets)('pre-account hijacking on $name', (target) => {
  const t = suiteServer(target);

  /** The owner signs in with a mailed code: a new client holding the session. */
  const codeSignIn = async (email: string) => {
    await t.client().gql(REQUEST, { email });
    const owner = t.client();
    const res = await owner.gql(VERIFY, { email, code: await lastCodeTo(t, email) });
    expect(res.body.errors).toBeUndefined();
    owner.token = res.body.data.verifyOtp.accessToken;
    return owner;
  };

  it('a code sign-in that first proves the address ends every session and drops the pre-verification password', async () => {
    const attacker = t.client();
    const { email } = await registerUser(attacker);
    const attackerPhone = await loginUser(t, email);

    const owner = await codeSignIn(email);
    for (const device of [attacker, attackerPhone]) {
      expect((await device.gql(ME)).code).toBe('TOKEN_REVOKED');
      expect((await device.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    }
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
    expect((await owner.gql(ME)).body.data.me.emailVerified).toBe(true);

    // Once proven, another code sign-in is an ordinary one: the first session stays.
    const again = await codeSignIn(email);
    expect((await again.gql(ME)).body.data.me.emailVerified).toBe(true);
    expect((await owner.gql(ME)).body.data.me).not.toBeNull();

    // The owner chooses a password by reset, and it works.
    await t.client().gql(REQUEST, { email, purpose: 'PASSWORD_RESET' });
    expect(
      (await t.client().gql(RESET, { email, code: await lastCodeTo(t, email), newPassword: OWNER_PASSWORD })).body.data
        .resetPassword,
    ).toBe(true);
    expect((await t.client().gql(LOGIN, { email, password: OWNER_PASSWORD })).body.errors).toBeUndefined();
  });

  it("a reset that first proves the address ends the registrant's sessions and replaces the password", async () => {
    const attacker = t.client();
    const { email } = await registerUser(attacker);
    await t.client().gql(REQUEST, { email, purpose: 'PASSWORD_RESET' });
    expect(
      (await t.client().gql(RESET, { email, code: await lastCodeTo(t, email), newPassword: OWNER_PASSWORD })).body.data
        .resetPassword,
    ).toBe(true);
    expect((await attacker.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
    expect((await t.client().gql(LOGIN, { email, password: OWNER_PASSWORD })).body.errors).toBeUndefined();
  });

  it('reauthenticate with a mailed code from a session of the account proves the address and keeps everything', async () => {
    const laptop = t.client();
    const { email } = await registerUser(laptop);
    const phone = await loginUser(t, email);
    await t.client().gql(REQUEST, { email });
    const res = await laptop.gql(REAUTH, { email: await lastCodeTo(t, email) });
    expect(res.body.errors).toBeUndefined();
    laptop.token = res.body.data.reauthenticate.accessToken;
    expect((await laptop.gql(ME)).body.data.me.emailVerified).toBe(true);
    expect((await phone.gql(REFRESH)).body.errors).toBeUndefined();
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.errors).toBeUndefined();
  });

  it('verifyEmail from a session of the account keeps the password and every session', async () => {
    const laptop = t.client();
    const { email } = await registerUser(laptop);
    const phone = await loginUser(t, email);
    const res = await laptop.gql(VERIFY_EMAIL, { code: await lastCodeTo(t, email) });
    expect(res.body.data.verifyEmail.emailVerified).toBe(true);
    expect((await phone.gql(ME)).body.data.me.emailVerified).toBe(true);
    expect((await phone.gql(REFRESH)).body.errors).toBeUndefined();
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.errors).toBeUndefined();
  });
});

describe.each(targets)('REQUIRE_EMAIL_VERIFICATION=true on $name', (target) => {
  const t = suiteServer(target, { env: { REQUIRE_EMAIL_VERIFICATION: 'true' } });

  it('register and password sign-in answer EMAIL_NOT_VERIFIED and mail a code; the password with the code signs in', async () => {
    const email = uniqueEmail('pending');
    const client = t.client();
    const registered = await client.gql(REGISTER, { email, password: TEST_PASSWORD });
    expect(registered.code).toBe('EMAIL_NOT_VERIFIED');
    expect(registered.body.data).toBeNull();
    expect(registered.setCookies).toEqual([]);
    expect((await mailTo(t, email)).map((m) => m.subject)).toEqual([
      expect.stringMatching(/^Confirm your email address/),
    ]);

    const refused = await t.client().gql(LOGIN_WITH_CODE, { email, password: TEST_PASSWORD });
    expect(refused.code).toBe('EMAIL_NOT_VERIFIED');
    expect(refused.setCookies).toEqual([]);
    expect(await mailTo(t, email)).toHaveLength(2);
    // A wrong password is the same answer as ever: no hint that the account waits for a proof.
    expect((await t.client().gql(LOGIN_WITH_CODE, { email, password: 'not the password' })).code).toBe(
      'INVALID_CREDENTIALS',
    );
    expect((await t.client().gql(LOGIN_WITH_CODE, { email, password: TEST_PASSWORD, code: '000000' })).code).toBe(
      'OTP_INVALID',
    );

    const code = await lastCodeTo(t, email);
    const signedIn = await t.client().gql(LOGIN_WITH_CODE, { email, password: TEST_PASSWORD, code });
    expect(signedIn.body.errors).toBeUndefined();
    expect(signedIn.body.data.login.user.emailVerified).toBe(true);
    // Proven by the person who chose the password: it stays, and later sign-ins need no code.
    expect((await t.client().gql(LOGIN_WITH_CODE, { email, password: TEST_PASSWORD })).body.errors).toBeUndefined();
  });

  it('answers a sign-up with a taken address exactly as a new one, and tells only the owner', async () => {
    const email = uniqueEmail('owner');
    await t.client().gql(REGISTER, { email, password: TEST_PASSWORD });
    await t.client().gql(LOGIN_WITH_CODE, { email, password: TEST_PASSWORD, code: await lastCodeTo(t, email) });

    const taken = await t.client().gql(REGISTER, { email: email.toUpperCase(), password: 'someone else entirely' });
    const fresh = await t.client().gql(REGISTER, { email: uniqueEmail('fresh'), password: 'someone else entirely' });
    expect(taken.status).toBe(fresh.status);
    expect(taken.body).toEqual(fresh.body);
    expect(taken.code).toBe('EMAIL_NOT_VERIFIED');
    const notes = (await mailTo(t, email)).filter(
      (m) => m.subject === 'Someone tried to sign up with your email address',
    );
    expect(notes).toHaveLength(1);
    expect(notes[0].text).not.toMatch(/\d{6}/);
  });
});
