/**
 * One-time codes over HTTP: requestOtp, verifyOtp, verifyEmail, resetPassword,
 * and the code register mails. The clock is injected (expiry without sleeping);
 * mail is read from the server's file: mail directory.
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { codeIn, lastCodeTo, mailTo } from '../support/mail.js';
import {
  LOGIN,
  ME,
  REFRESH,
  TEST_PASSWORD,
  loginUser,
  registerUser,
  suiteServer,
  uniqueEmail,
} from '../support/server.js';
import { auditEventsOf } from '../support/rows.js';

const REQUEST = `mutation($email: String!, $purpose: OtpPurpose) { requestOtp(email: $email, purpose: $purpose) }`;
const VERIFY = `mutation($email: String!, $code: String!, $rememberMe: Boolean) {
  verifyOtp(email: $email, code: $code, rememberMe: $rememberMe) { accessToken refreshTokenExpiresAt user { id email emailVerified } }
}`;
const VERIFY_EMAIL = `mutation($code: String!) { verifyEmail(code: $code) { id emailVerified } }`;
const RESET = `mutation($email: String!, $code: String!, $newPassword: String!) { resetPassword(email: $email, code: $code, newPassword: $newPassword) }`;

const targets = await databaseTargets();

describe.each(targets)('one-time codes on $name', (target) => {
  const t = suiteServer(target, { manualClock: true });

  const audit = (type: string) => auditEventsOf(t.server.services, { type }, 1000);
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('answers requestOtp the same for a known and an unknown email, and mails only the known one', async () => {
    const { email, userId } = await registerUser(t.client());
    const unknown = uniqueEmail('nobody');
    const anonymousLoginEvents = async () =>
      (await audit('otp_requested')).filter(
        (e) => e.userId === null && (e.detail as { purpose: string }).purpose === 'LOGIN',
      ).length;
    const anonymousBefore = await anonymousLoginEvents();
    const known = await t.client().gql(REQUEST, { email });
    const stranger = await t.client().gql(REQUEST, { email: unknown });
    expect(known.body).toEqual({ data: { requestOtp: true } });
    expect(stranger.body).toEqual(known.body);
    expect(stranger.status).toBe(known.status);

    const toKnown = await mailTo(t, email);
    expect(toKnown.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^Confirm your email/),
      expect.stringMatching(/^Your sign-in code: \d{6}$/),
    ]);
    expect(await mailTo(t, unknown)).toEqual([]);
    // Both requests leave the same trace: one stored (hashed) sign-in code and one audit event.
    const stored = await t.server.services.database.db.query.otpCodes.findMany();
    const codesFor = (address: string) => stored.filter((r) => r.email === address && r.purpose === 'LOGIN');
    expect(codesFor(unknown)).toMatchObject([{ userId: null }]);
    expect(codesFor(email)).toMatchObject([{ userId }]);
    const knownEvents = (await audit('otp_requested')).filter(
      (e) => e.userId === userId && (e.detail as { purpose: string }).purpose === 'LOGIN',
    );
    const trace = (codes: number, events: number) => ({ codes, events });
    expect(trace(codesFor(unknown).length, (await anonymousLoginEvents()) - anonymousBefore)).toEqual(
      trace(codesFor(email).length, knownEvents.length),
    );
    expect(trace(codesFor(email).length, knownEvents.length)).toEqual(trace(1, 1));
  });

  it('signs in with a mailed code once, honours remember-me, and marks the address verified', async () => {
    const { email, userId } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email, purpose: 'LOGIN' });
    const [message] = (await mailTo(t, email)).filter((m) => m.subject.startsWith('Your sign-in code'));
    const code = codeIn(message);
    expect(code).toMatch(/^\d{6}$/);
    expect(message.html).toContain(code);

    // The database holds a salted hash, never the code.
    const rows = await t.server.services.database.db.query.otpCodes.findMany();
    const mine = rows.filter((r) => r.userId === userId);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((r) => !r.codeHash.includes(code))).toBe(true);

    const bob = t.client();
    const res = await bob.gql(VERIFY, { email, code, rememberMe: true });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.verifyOtp.user).toMatchObject({ id: userId, emailVerified: true });
    const cookie = res.setCookies.find((c) => c.startsWith('latchkey_refresh='));
    expect(cookie).toMatch(/Max-Age=\d+/);
    bob.token = res.body.data.verifyOtp.accessToken;
    expect((await bob.gql(ME)).body.data.me.email).toBe(email);

    const again = await t.client().gql(VERIFY, { email, code });
    expect(again.code).toBe('OTP_INVALID');
    expect((await audit('otp_used')).some((e) => e.userId === userId)).toBe(true);
  });

  it('gives a session cookie without remember-me', async () => {
    const { email } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email });
    const res = await t.client().gql(VERIFY, { email, code: await lastCodeTo(t, email) });
    const cookie = res.setCookies.find((c) => c.startsWith('latchkey_refresh='));
    expect(cookie).toBeDefined();
    expect(cookie).not.toMatch(/Max-Age|Expires/i);
  });

  it('creates no account for an unknown email', async () => {
    const email = uniqueEmail('ghost');
    await t.client().gql(REQUEST, { email });
    const res = await t.client().gql(VERIFY, { email, code: '123456' });
    expect(res.code).toBe('OTP_INVALID');
    expect(await t.server.services.accounts.findByEmail(email)).toBeUndefined();
  });

  it('refuses a code after OTP_TTL', async () => {
    const { email } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email });
    const code = await lastCodeTo(t, email);
    t.clock!.advance(t.config.otpTtlMs + 1000);
    expect((await t.client().gql(VERIFY, { email, code })).code).toBe('OTP_INVALID');
    // `latchkey tokens flush-expired` removes it (and every other expired code).
    expect(await t.server.services.repos.otp.deleteExpired(new Date(t.clock!.now()))).toBeGreaterThan(0);
  });

  it('kills a code after OTP_MAX_ATTEMPTS wrong tries, and counts the failures', async () => {
    const { email, userId } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email });
    const code = await lastCodeTo(t, email);
    for (let i = 0; i < t.config.otpMaxAttempts; i++) {
      expect((await t.client().gql(VERIFY, { email, code: wrong(code) })).code).toBe('OTP_INVALID');
    }
    expect((await t.client().gql(VERIFY, { email, code })).code).toBe('OTP_INVALID');
    // Each wrong try is recorded against the account; the last one left no attempts.
    const failed = (await audit('otp_failed')).filter((e) => e.userId === userId);
    expect(failed.length).toBe(t.config.otpMaxAttempts);
    expect(failed.map((e) => (e.detail as { attemptsLeft: number }).attemptsLeft).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('accepts the right code after fewer wrong tries than the limit', async () => {
    const { email } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email });
    const code = await lastCodeTo(t, email);
    for (let i = 0; i < t.config.otpMaxAttempts - 1; i++) await t.client().gql(VERIFY, { email, code: wrong(code) });
    expect((await t.client().gql(VERIFY, { email, code })).body.errors).toBeUndefined();
  });

  it('lets a new request supersede the previous code', async () => {
    const { email } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email });
    const first = await lastCodeTo(t, email);
    // Codes are random: one time in a million the new one equals the old; ask again then, so
    // that trying the old code below tells a superseded code from a live one.
    let second = first;
    for (let i = 0; i < 3 && second === first; i++) {
      await t.client().gql(REQUEST, { email });
      second = await lastCodeTo(t, email);
    }
    expect(second).not.toBe(first);
    expect((await t.client().gql(VERIFY, { email, code: first })).code).toBe('OTP_INVALID');
    expect((await t.client().gql(VERIFY, { email, code: second })).body.errors).toBeUndefined();
  });

  it('keeps purposes apart: a code works only for its own, and a request of another purpose leaves it alive', async () => {
    const alice = t.client();
    const { email } = await registerUser(alice);
    await t.client().gql(REQUEST, { email, purpose: 'LOGIN' });
    const login = await lastCodeTo(t, email);
    await t.client().gql(REQUEST, { email, purpose: 'PASSWORD_RESET' });
    const reset = await lastCodeTo(t, email);
    const newPassword = 'a passphrase nobody else chose';

    expect((await t.client().gql(RESET, { email, code: login, newPassword })).code).toBe('OTP_INVALID');
    expect((await alice.gql(VERIFY_EMAIL, { code: login })).code).toBe('OTP_INVALID');
    expect((await alice.gql(VERIFY_EMAIL, { code: reset })).code).toBe('OTP_INVALID');
    expect((await t.client().gql(VERIFY, { email, code: reset })).code).toBe('OTP_INVALID');
    expect((await alice.gql(ME)).body.data.me.emailVerified).toBe(false);
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.errors).toBeUndefined();

    expect((await t.client().gql(VERIFY, { email, code: login })).body.errors).toBeUndefined();
    expect((await t.client().gql(RESET, { email, code: reset, newPassword })).body).toEqual({
      data: { resetPassword: true },
    });
  });

  it('lets exactly one of two simultaneous sign-ins with the same code through', async () => {
    const { email } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email });
    const code = await lastCodeTo(t, email);
    const both = await Promise.all([t.client().gql(VERIFY, { email, code }), t.client().gql(VERIFY, { email, code })]);
    expect(both.map((r) => r.code ?? 'signed in').sort()).toEqual(['OTP_INVALID', 'signed in']);
  });

  it('counts simultaneous wrong guesses atomically: never more than OTP_MAX_ATTEMPTS', async () => {
    const { email, userId } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email });
    const code = await lastCodeTo(t, email);
    const max = t.config.otpMaxAttempts;
    const guesses = await Promise.all(
      Array.from({ length: max + 3 }, () => t.client().gql(VERIFY, { email, code: wrong(code) })),
    );
    expect(guesses.map((g) => g.code)).toEqual(Array(max + 3).fill('OTP_INVALID'));
    // The burst used up the code: the right one no longer works, and no more tries were counted than allowed.
    expect((await t.client().gql(VERIFY, { email, code })).code).toBe('OTP_INVALID');
    const rows = await t.server.services.database.db.query.otpCodes.findMany();
    expect(rows.filter((r) => r.userId === userId && r.purpose === 'LOGIN').map((r) => r.attempts)).toEqual([max]);
  });

  it('leaves exactly one code alive when several are requested at the same moment', async () => {
    const { email } = await registerUser(t.client());
    await Promise.all([1, 2, 3].map(() => t.client().gql(REQUEST, { email })));
    const codes = (await mailTo(t, email)).filter((m) => m.subject.startsWith('Your sign-in code')).map(codeIn);
    expect(codes).toHaveLength(3);
    const outcomes: string[] = [];
    for (const code of codes) outcomes.push((await t.client().gql(VERIFY, { email, code })).code ?? 'signed in');
    expect(outcomes.filter((o) => o === 'signed in')).toHaveLength(1);
  });

  it('verifies the email address with the code register mailed', async () => {
    const alice = t.client();
    const { email, userId } = await registerUser(alice);
    const [welcome] = await mailTo(t, email);
    expect(welcome.subject).toMatch(/^Confirm your email address/);
    const code = codeIn(welcome);

    expect((await t.client().gql(VERIFY_EMAIL, { code })).code).toBe('UNAUTHENTICATED');
    expect((await alice.gql(ME)).body.data.me.emailVerified).toBe(false);
    const res = await alice.gql(VERIFY_EMAIL, { code });
    expect(res.body.data.verifyEmail).toEqual({ id: userId, emailVerified: true });
    expect((await alice.gql(ME)).body.data.me.emailVerified).toBe(true);
    expect((await audit('email_verified')).some((e) => e.userId === userId)).toBe(true);
    expect((await alice.gql(VERIFY_EMAIL, { code })).code).toBe('OTP_INVALID');
  });

  it("does not verify one user's address with another user's code", async () => {
    const alice = t.client();
    const mallory = t.client();
    const a = await registerUser(alice);
    await registerUser(mallory);
    const aliceCode = codeIn((await mailTo(t, a.email))[0]);
    expect((await mallory.gql(VERIFY_EMAIL, { code: aliceCode })).code).toBe('OTP_INVALID');
  });

  it('resets the password with a code and ends every session', async () => {
    const phone = t.client();
    const { email, userId } = await registerUser(phone);
    const laptop = await loginUser(t, email);

    await t.client().gql(REQUEST, { email, purpose: 'PASSWORD_RESET' });
    const code = await lastCodeTo(t, email);
    const weak = await t.client().gql(RESET, { email, code, newPassword: 'short' });
    expect(weak.code).toBe('BAD_USER_INPUT');
    expect(weak.body.errors![0].extensions!.field).toBe('newPassword');

    const newPassword = 'a brand new passphrase for alice';
    const res = await t.client().gql(RESET, { email, code, newPassword });
    expect(res.body).toEqual({ data: { resetPassword: true } });

    expect((await phone.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await laptop.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await laptop.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
    const back = await loginUser(t, email, newPassword);
    // The reset code came through the mailbox: the address is proven.
    expect((await back.gql(ME)).body.data.me.emailVerified).toBe(true);
    expect((await t.client().gql(RESET, { email, code, newPassword: 'and yet another passphrase' })).code).toBe(
      'OTP_INVALID',
    );
    expect((await audit('password_reset')).map((e) => e.userId)).toContain(userId);
  });

  it('refuses a reset with a wrong code and leaves the password alone', async () => {
    const { email } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email, purpose: 'PASSWORD_RESET' });
    const code = await lastCodeTo(t, email);
    expect((await t.client().gql(RESET, { email, code: wrong(code), newPassword: 'never going to be set' })).code).toBe(
      'OTP_INVALID',
    );
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.errors).toBeUndefined();
  });

  it('refuses a malformed email with BAD_USER_INPUT', async () => {
    expect((await t.client().gql(REQUEST, { email: 'not an email' })).code).toBe('BAD_USER_INPUT');
  });
});
