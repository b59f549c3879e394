/**
 * One canonical email (src/auth/email.ts) over HTTP: look-alike addresses are
 * separate accounts and get their own mail; every spelling of one address is
 * one account, one lookup and one rate-limit bucket; addresses that are not a
 * plain local@domain, or hide characters, are refused.
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { lastCodeTo, mailTo } from '../support/mail.js';
import { LOGIN, ME, REGISTER, TEST_PASSWORD, registerUser, suiteServer } from '../support/server.js';

const REQUEST = `mutation($email: String!, $purpose: OtpPurpose) { requestOtp(email: $email, purpose: $purpose) }`;
const RESET = `mutation($email: String!, $code: String!, $newPassword: String!) { resetPassword(email: $email, code: $code, newPassword: $newPassword) }`;

const targets = await databaseTargets();
let n = 0;
const tag = () => `${process.pid}${Date.now()}${++n}`;

describe.each(targets)('canonical email on $name', (target) => {
  const t = suiteServer(target);

  it('keeps victim.x@gmaİl.com apart from victim.x@gmail.com: both register, and each gets only its own mail', async () => {
    const id = tag();
    const real = `victim.x${id}@gmail.com`;
    const lookAlike = `victim.x${id}@gmaİl.com`;
    const attacker = await registerUser(t.client(), { email: lookAlike });
    expect(attacker.res.body.data.register.user.email).toBe(`victim.x${id}@xn--gmail-bgd.com`);

    const owner = await registerUser(t.client(), { email: real });
    expect(owner.userId).not.toBe(attacker.userId);
    expect(owner.res.body.data.register.user.email).toBe(real);

    // A reset asked for the real address reaches the real mailbox, and only it.
    expect((await t.client().gql(REQUEST, { email: real, purpose: 'PASSWORD_RESET' })).body.data.requestOtp).toBe(true);
    const resets = (await mailTo(t, real)).filter((m) => /reset/i.test(m.subject));
    expect(resets).toHaveLength(1);
    expect((await mailTo(t, `victim.x${id}@xn--gmail-bgd.com`)).filter((m) => /reset/i.test(m.subject))).toHaveLength(
      0,
    );
    expect(
      (
        await t
          .client()
          .gql(RESET, { email: real, code: await lastCodeTo(t, real), newPassword: 'the owner chose this one' })
      ).body.data.resetPassword,
    ).toBe(true);

    // The attacker's password signs in as the look-alike, never as the real address.
    const asReal = await t.client().gql(LOGIN, { email: real, password: TEST_PASSWORD });
    expect(asReal.code).toBe('INVALID_CREDENTIALS');
    const asLookAlike = await t.client().gql(LOGIN, { email: lookAlike, password: TEST_PASSWORD });
    expect(asLookAlike.body.data.login.user).toEqual({ id: attacker.userId, email: `victim.x${id}@xn--gmail-bgd.com` });
  });

  it('treats every spelling of one address as one account and one login bucket', async () => {
    const id = tag();
    // "josé" composed (NFC); the same letters decomposed (NFD) are the same address.
    const email = `josé.ivi${id}@example.test`;
    const spellings = [
      email.toUpperCase(),
      ` ${email} `,
      email.normalize('NFD'),
      `JOSÉ.Ivi${id}@EXAMPLE.test`,
      email.normalize('NFD').toUpperCase(),
    ];
    const { userId } = await registerUser(t.client(), { email });
    for (const spelling of spellings) {
      const res = await t.client().gql(LOGIN, { email: spelling, password: TEST_PASSWORD });
      expect(res.body.data?.login.user.id, spelling).toBe(userId);
      const taken = await t.client().gql(REGISTER, { email: spelling, password: TEST_PASSWORD });
      expect(taken.code, spelling).toBe('EMAIL_TAKEN');
    }
    // Ten wrong passwords spread over the spellings spend the one account's limit (10/15m)…
    for (let i = 0; i < 10; i++) {
      const res = await t
        .client()
        .gql(LOGIN, { email: spellings[i % spellings.length], password: `wrong password ${i}` });
      expect(res.code).toBe('INVALID_CREDENTIALS');
    }
    for (const spelling of spellings) {
      expect((await t.client().gql(LOGIN, { email: spelling, password: TEST_PASSWORD })).code, spelling).toBe(
        'RATE_LIMITED',
      );
    }
    // …and a dotted capital I (U+0130), which PostgreSQL's lower() folded to "i", is another address: no way in.
    const dotted = await t.client().gql(LOGIN, { email: `josé.İvİ${id}@example.test`, password: TEST_PASSWORD });
    expect(dotted.code).toBe('INVALID_CREDENTIALS');
  });

  it('counts code requests of every spelling in one bucket, and mails nothing to a dotted-İ variant', async () => {
    const id = tag();
    const email = `ivi.ii${id}@example.test`;
    await registerUser(t.client(), { email });
    for (const spelling of [`İvİ.İİ${id}@example.test`, `ivİ.iİ${id}@example.test`]) {
      expect((await t.client().gql(REQUEST, { email: spelling })).body.data.requestOtp).toBe(true);
    }
    const signInCodes = async () => (await mailTo(t, email)).filter((m) => m.subject.startsWith('Your sign-in code'));
    expect(await signInCodes()).toHaveLength(0);
    // RATE_LIMIT_OTP_REQUEST_EMAIL is 5/15m, whatever the letter case.
    const spellings = [
      email,
      email.toUpperCase(),
      ` ${email}`,
      `IVI.ii${id}@Example.Test`,
      `ivi.II${id}@EXAMPLE.TEST`,
      email,
    ];
    const codes = [];
    for (const spelling of spellings) codes.push((await t.client().gql(REQUEST, { email: spelling })).code);
    expect(codes).toEqual([undefined, undefined, undefined, undefined, undefined, 'RATE_LIMITED']);
    expect(await signInCodes()).toHaveLength(5);
    expect(new Set((await mailTo(t, email)).map((m) => m.to))).toEqual(new Set([email]));
  });

  it('refuses addresses that hide characters or are not a plain local@domain, with BAD_USER_INPUT', async () => {
    const id = tag();
    const bad = [
      `a\u202E${id}@example.test`, // right-to-left override
      `a\u200B${id}@example.test`, // zero-width space
      `a${id}@exam\u200Dple.test`, // zero-width joiner in the domain
      `a\u0007${id}@example.test`, // control character
      `"a b"${id}@example.test`, // quoted local part
      `a${id}@[127.0.0.1]`, // IP literal
      `a${id}(comment)@example.test`,
      `a${id}@example.test.`,
      `a${id}@localhost`,
      `a${id}@exa_mple.test`,
      `Name <a${id}@example.test>`,
    ];
    for (const email of bad) {
      for (const doc of [REGISTER, LOGIN]) {
        const res = await t.client().gql(doc, { email, password: TEST_PASSWORD });
        expect(res.body.errors?.[0].extensions, `${JSON.stringify(email)} ${doc.slice(9, 17)}`).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: 'email',
        });
      }
      expect((await t.client().gql(REQUEST, { email })).code).toBe('BAD_USER_INPUT');
    }
    const me = await t.client().gql(ME);
    expect(me.body.data.me).toBeNull();
  });
});
