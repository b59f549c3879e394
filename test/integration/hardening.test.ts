/**
 * Findings of the outside review (issue 15), over HTTP: logout everywhere only
 * with a live session, codes that die with a password change or reset, ids
 * that are UUIDs (and no input that makes a signed-in user write error logs),
 * capped user agents, display names without bidi or zero-width characters.
 * (Client addresses behind proxies: proxy.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { lastCodeTo } from '../support/mail.js';
import {
  ME,
  REFRESH,
  TEST_PASSWORD,
  loginUser,
  registerUser,
  suiteServer,
  type TestClient,
} from '../support/server.js';

const REQUEST = `mutation($email: String!, $purpose: OtpPurpose) { requestOtp(email: $email, purpose: $purpose) }`;
const VERIFY = `mutation($email: String!, $code: String!) { verifyOtp(email: $email, code: $code) { accessToken } }`;
const RESET = `mutation($email: String!, $code: String!, $newPassword: String!) { resetPassword(email: $email, code: $code, newPassword: $newPassword) }`;
const CHANGE = `mutation($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }`;
const EVERYWHERE = 'mutation { logout(everywhere: true) }';
const PROFILE = `mutation($name: String) { updateProfile(input: { displayName: $name }) { displayName } }`;

const targets = await databaseTargets();

/** A client that holds only this refresh cookie (what someone with an old copy of it has). */
function withCookie(t: { client(): TestClient }, cookie: string): TestClient {
  const c = t.client();
  c.cookies.set('latchkey_refresh', cookie);
  return c;
}

describe.each(targets)('review findings on $name', (target) => {
  const lines: string[] = [];
  const t = suiteServer(target, { manualClock: true, logLines: lines, env: { LOG_LEVEL: 'warn' } });

  it('logout(everywhere) ends every session only with a live one: a rotated or logged-out cookie ends nothing', async () => {
    const laptop = t.client();
    const { email } = await registerUser(laptop);
    const phone = await loginUser(t, email);
    const first = laptop.refreshToken()!;
    expect((await laptop.gql(REFRESH)).body.errors).toBeUndefined();
    t.clock!.advance(60_000); // past the reuse grace: `first` is an old, rotated token
    const tablet = await loginUser(t, email);
    const tabletCookie = tablet.refreshToken()!;
    expect((await tablet.gql('mutation { logout }')).body.data.logout).toBe(true);

    for (const stale of [first, tabletCookie]) {
      const res = await withCookie(t, stale).gql(EVERYWHERE);
      expect(res.body.data.logout).toBe(false);
    }
    expect((await laptop.gql(ME)).body.data.me).not.toBeNull();
    expect((await phone.gql(ME)).body.data.me).not.toBeNull();

    // A live session's access token (no cookie) may: every session ends.
    const everywhere = await phone.gql(EVERYWHERE, undefined, { headers: { cookie: '' } });
    expect(everywhere.body.data.logout).toBe(true);
    expect((await laptop.gql(ME)).code).toBe('TOKEN_REVOKED');
  });

  it('logout(everywhere) with the live refresh cookie ends every session', async () => {
    const laptop = t.client();
    const { email } = await registerUser(laptop);
    const phone = await loginUser(t, email);
    const res = await withCookie(t, laptop.refreshToken()!).gql(EVERYWHERE);
    expect(res.body.data.logout).toBe(true);
    expect((await phone.gql(ME)).code).toBe('TOKEN_REVOKED');
  });

  it('a password change invalidates every outstanding code of the account', async () => {
    const client = t.client();
    const { email } = await registerUser(client);
    await t.client().gql(REQUEST, { email, purpose: 'LOGIN' });
    const login = await lastCodeTo(t, email);
    await t.client().gql(REQUEST, { email, purpose: 'PASSWORD_RESET' });
    const reset = await lastCodeTo(t, email);
    expect(
      (await client.gql(CHANGE, { current: TEST_PASSWORD, next: 'a changed passphrase' })).body.data.changePassword,
    ).toBe(true);
    expect((await t.client().gql(VERIFY, { email, code: login })).code).toBe('OTP_INVALID');
    expect((await t.client().gql(RESET, { email, code: reset, newPassword: 'an attacker choice' })).code).toBe(
      'OTP_INVALID',
    );
  });

  it('a password reset invalidates the other outstanding codes of the account', async () => {
    const { email } = await registerUser(t.client());
    await t.client().gql(REQUEST, { email, purpose: 'LOGIN' });
    const login = await lastCodeTo(t, email);
    await t.client().gql(REQUEST, { email, purpose: 'PASSWORD_RESET' });
    expect(
      (await t.client().gql(RESET, { email, code: await lastCodeTo(t, email), newPassword: 'a reset passphrase' })).body
        .data.resetPassword,
    ).toBe(true);
    expect((await t.client().gql(VERIFY, { email, code: login })).code).toBe('OTP_INVALID');
  });

  it('caps audit user agents at 512 characters', async () => {
    const agent = `Mozilla/5.0 ${'x'.repeat(15_000)}`;
    const client = t.client();
    const { userId, email } = await registerUser(client);
    await loginUser(t, email, TEST_PASSWORD, { headers: { 'user-agent': agent } });
    const events = await t.sql<{ user_agent: string }>(
      `select user_agent from audit_events where user_id = $1 and type = 'login_succeeded'`,
      [userId],
    );
    const mine = events.map((e) => e.user_agent).filter((a) => a?.startsWith('Mozilla/5.0 x'));
    expect(mine).toEqual([agent.slice(0, 512)]);
  });

  it('refuses display names with bidi overrides or zero-width characters', async () => {
    const client = t.client();
    await registerUser(client);
    for (const name of ['Ada\u202Egnp.exe', 'A\u200Bda', 'A\u200Dda', '\u2066Ada\u2069', 'A\uFEFFda']) {
      const res = await client.gql(PROFILE, { name });
      expect(res.body.errors?.[0].extensions, JSON.stringify(name)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'displayName',
      });
    }
    expect((await client.gql(PROFILE, { name: 'Ada Lovelace 🙂' })).body.data.updateProfile.displayName).toBe(
      'Ada Lovelace 🙂',
    );
  });

  it('no input of a signed-in user makes the server write an error-level log line', async () => {
    const client = t.client();
    await registerUser(client);
    const before = lines.length;
    const hostile: [string, Record<string, unknown>?][] = [
      ['mutation($id: ID!) { revokeSession(id: $id) }', { id: '-'.repeat(36) }],
      ['mutation($id: ID!) { revokeSession(id: $id) }', { id: 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz' }],
      ['mutation($id: ID!) { revokeSession(id: $id) }', { id: 12345 }],
      [PROFILE, { name: 'x'.repeat(10_000) }],
      ['mutation($u: String) { updateProfile(input: { avatarUrl: $u }) { avatarUrl } }', { u: 'javascript:alert(1)' }],
      [EVERYWHERE],
      [`{ me { ${'id '.repeat(2000)} } }`],
      ['mutation { changePassword(currentPassword: "", newPassword: "") }'],
    ];
    for (const [query, variables] of hostile) {
      const res = await client.gql(query, variables);
      for (const e of res.body.errors ?? [])
        expect(e.extensions?.code, query.slice(0, 40)).not.toBe('INTERNAL_SERVER_ERROR');
    }
    const errors = lines
      .slice(before)
      .map((l) => JSON.parse(l))
      .filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  });
});
