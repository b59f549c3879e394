/**
 * TOTP, recovery codes and the second step over GraphQL/HTTP (API.md §8.2), on PGlite and
 * PostgreSQL. Codes are computed from the secret at the server's (manual) clock.
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import {
  COMPLETE,
  CONFIRM_TOTP,
  DISABLE_TOTP,
  FACTOR_ENV,
  REGENERATE,
  SECURITY,
  START_TOTP,
  enrolTotp,
  loginToChallenge,
  nextStep,
  now,
  totpAt,
} from '../support/factors.js';
import { REFRESH, jwtPayload, registerUser, suiteServer } from '../support/server.js';

const targets = await databaseTargets();

describe.each(targets)('TOTP and recovery codes on $name', (target) => {
  const t = suiteServer(target, { manualClock: true, env: FACTOR_ENV });
  const signedUp = async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client);
    return { client, email, userId };
  };

  it('enrols TOTP: a secret, an otpauth URI with the issuer, a QR code, and ten recovery codes once a code from the secret is given', async () => {
    const { client, email } = await signedUp();
    const started = await client.gql(START_TOTP);
    const { secret, otpauthUri, qrSvg } = started.body.data.startTotpEnrollment;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toBe(
      `otpauth://totp/Latchkey:${encodeURIComponent(email)}?issuer=Latchkey&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
    );
    expect(qrSvg).toMatch(/^<svg[^>]*>.*<\/svg>\s*$/s);
    // Not on until confirmed: signing in still needs no second factor.
    expect((await client.gql(SECURITY)).body.data.mySecurity).toMatchObject({
      totpEnabled: false,
      recoveryCodesLeft: 0,
    });

    const wrong = await client.gql(CONFIRM_TOTP, { code: totpAt(secret, now(t) + 5 * 60_000) });
    expect(wrong.code).toBe('OTP_INVALID');
    const confirmed = await client.gql(CONFIRM_TOTP, { code: totpAt(secret, now(t)) });
    const codes: string[] = confirmed.body.data.confirmTotpEnrollment.codes;
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}$/);
    expect(new Set(codes).size).toBe(10);
    expect((await client.gql(SECURITY)).body.data.mySecurity).toMatchObject({
      passwordSet: true,
      totpEnabled: true,
      recoveryCodesLeft: 10,
      passkeys: [],
    });
    // Neither the codes nor the secret's text are stored as given.
    const rows = await t.sql('select code_hash from recovery_codes');
    expect(rows.some((r) => codes.some((c) => String(r.code_hash).includes(c)))).toBe(false);
  });

  it('asks every first factor for the second step: a challenge and the methods, and no token, cookie or session', async () => {
    const { client, email, userId } = await signedUp();
    await enrolTotp(t, client);
    const sessionsBefore = await t.sql('select count(*)::int as n from sessions where user_id = $1', [userId]);

    const login = await loginToChallenge(t, email);
    expect(login.code).toBe('SECOND_FACTOR_REQUIRED');
    expect(login.methods).toEqual(['TOTP', 'RECOVERY_CODE']);
    expect(login.challenge).toMatch(/^[\w-]{43}$/);
    expect(login.res.body.data).toBeNull();
    expect(login.res.setCookies).toEqual([]);
    expect(await t.sql('select count(*)::int as n from sessions where user_id = $1', [userId])).toEqual(sessionsBefore);
    // The challenge is stored only as a hash.
    expect(await t.sql('select 1 from auth_challenges where hash = $1', [login.challenge])).toEqual([]);
  });

  it('completes the sign-in with a TOTP code: amr pwd+otp+mfa and auth_time, kept by a refresh; the code and the challenge are single use', async () => {
    const { client, email } = await signedUp();
    const { secret } = await enrolTotp(t, client);
    nextStep(t);
    const first = await loginToChallenge(t, email);
    const code = totpAt(secret, now(t));
    const done = await first.client.gql(COMPLETE, { c: first.challenge, totp: code });
    expect(done.body.errors).toBeUndefined();
    const claims = jwtPayload(done.body.data.completeSignIn.accessToken);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.auth_time).toBe(Math.floor(now(t) / 1000));
    expect(done.setCookies.some((c) => c.startsWith('latchkey_refresh='))).toBe(true);

    t.clock!.advance(60_000);
    const refreshed = await first.client.gql(REFRESH);
    const after = jwtPayload(refreshed.body.data.refreshToken.accessToken);
    expect(after).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], auth_time: claims.auth_time });
    expect(after.iat).toBeGreaterThan(claims.iat);

    expect((await first.client.gql(COMPLETE, { c: first.challenge, totp: totpAt(secret, now(t)) })).code).toBe(
      'CHALLENGE_INVALID',
    );
    // The same code on a new challenge: a replay.
    const second = await loginToChallenge(t, email);
    expect((await second.client.gql(COMPLETE, { c: second.challenge, totp: code })).code).toBe('OTP_INVALID');
  });

  it('accepts a code one step either side of now and refuses one two steps away', async () => {
    const { client, email } = await signedUp();
    const { secret } = await enrolTotp(t, client);
    // Two steps on, so the step before now is not the enrolment's (which is used up).
    nextStep(t);
    nextStep(t);
    const a = await loginToChallenge(t, email);
    expect((await a.client.gql(COMPLETE, { c: a.challenge, totp: totpAt(secret, now(t) + 60_000) })).code).toBe(
      'OTP_INVALID',
    );
    expect(
      (await a.client.gql(COMPLETE, { c: a.challenge, totp: totpAt(secret, now(t) - 30_000) })).body.errors,
    ).toBeUndefined();
    const b = await loginToChallenge(t, email);
    expect(
      (await b.client.gql(COMPLETE, { c: b.challenge, totp: totpAt(secret, now(t) + 30_000) })).body.errors,
    ).toBeUndefined();
  });

  it('signs in with a recovery code once; the code is used up and the count drops', async () => {
    const { client, email } = await signedUp();
    const { codes } = await enrolTotp(t, client);
    const a = await loginToChallenge(t, email);
    const done = await a.client.gql(COMPLETE, { c: a.challenge, rc: codes[3].toUpperCase().replace('-', ' ') });
    expect(done.body.errors).toBeUndefined();
    expect((await client.gql(SECURITY)).body.data.mySecurity.recoveryCodesLeft).toBe(9);
    const b = await loginToChallenge(t, email);
    expect((await b.client.gql(COMPLETE, { c: b.challenge, rc: codes[3] })).code).toBe('OTP_INVALID');
    expect((await b.client.gql(COMPLETE, { c: b.challenge, rc: codes[4] })).body.errors).toBeUndefined();
  });

  it('kills a challenge after 5 minutes, after RATE_LIMIT_MFA_ACCOUNT failures, and refuses junk with clear codes', async () => {
    const { client, email } = await signedUp();
    const { secret } = await enrolTotp(t, client);
    const late = await loginToChallenge(t, email);
    t.clock!.advance(5 * 60_000 + 1000);
    expect((await late.client.gql(COMPLETE, { c: late.challenge, totp: totpAt(secret, now(t)) })).code).toBe(
      'CHALLENGE_INVALID',
    );

    const limited = await loginToChallenge(t, email);
    const wrong = String((Number(totpAt(secret, now(t))) + 500_000) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++)
      expect((await limited.client.gql(COMPLETE, { c: limited.challenge, totp: wrong })).code).toBe('OTP_INVALID');
    // The right code no longer helps: the challenge died, and the account is limited.
    expect(['CHALLENGE_INVALID', 'RATE_LIMITED']).toContain(
      (await limited.client.gql(COMPLETE, { c: limited.challenge, totp: totpAt(secret, now(t)) })).code,
    );
    expect((await t.client().gql(COMPLETE, { c: 'x'.repeat(300), totp: '123456' })).code).toBe('CHALLENGE_INVALID');
  });

  it('refuses a 10 kB code, no proof and two proofs as bad input, and uses nothing up', async () => {
    const { client, email } = await signedUp();
    const { secret, codes } = await enrolTotp(t, client);
    nextStep(t);
    const a = await loginToChallenge(t, email);
    expect((await a.client.gql(COMPLETE, { c: a.challenge, totp: '1'.repeat(10_000) })).code).toBe('BAD_USER_INPUT');
    expect((await a.client.gql(COMPLETE, { c: a.challenge })).code).toBe('BAD_USER_INPUT');
    expect((await a.client.gql(COMPLETE, { c: a.challenge, totp: totpAt(secret, now(t)), rc: codes[0] })).code).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      (await a.client.gql(COMPLETE, { c: a.challenge, totp: totpAt(secret, now(t)) })).body.errors,
    ).toBeUndefined();
  });

  it('turns TOTP off (recent sign-in) and then signs in with the password alone; regenerates recovery codes', async () => {
    const { client, email } = await signedUp();
    const { codes } = await enrolTotp(t, client);
    const fresh = await client.gql(REGENERATE);
    expect(fresh.body.data.regenerateRecoveryCodes.codes).toHaveLength(10);
    expect(fresh.body.data.regenerateRecoveryCodes.codes).not.toContain(codes[0]);
    expect((await client.gql(DISABLE_TOTP)).body.data.disableTotp).toBe(true);
    expect((await client.gql(SECURITY)).body.data.mySecurity).toMatchObject({
      totpEnabled: false,
      recoveryCodesLeft: 0,
    });
    const plain = await loginToChallenge(t, email);
    expect(plain.res.body.errors).toBeUndefined();
    expect(jwtPayload(plain.res.body.data.login.accessToken).amr).toEqual(['pwd']);
  });
});

describe('TOTP secrets at rest with LATCHKEY_KEY_SECRET', () => {
  const t = suiteServer(targets[0], {
    manualClock: true,
    env: { ...FACTOR_ENV, LATCHKEY_KEY_SECRET: 'a secret of at least sixteen characters' },
  });

  it('stores the secret encrypted, and still checks codes made from it', async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client);
    const { secret } = await enrolTotp(t, client);
    const [row] = await t.sql('select secret from totp_factors where user_id = $1', [userId]);
    expect(row.secret).toMatch(/^enc:v1:/);
    expect(row.secret).not.toContain(secret);
    nextStep(t);
    const step = await loginToChallenge(t, email);
    expect(
      (await step.client.gql(COMPLETE, { c: step.challenge, totp: totpAt(secret, now(t)) })).body.errors,
    ).toBeUndefined();
  });
});
