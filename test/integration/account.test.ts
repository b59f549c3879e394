/**
 * The account as its owner uses it over HTTP: signing up (and the answers for
 * taken or bad input), signing in (one answer for every kind of failure),
 * `me` and the token errors, the session list, revoking a session, logging
 * out (here or everywhere) and changing the password.
 */
import { describe, expect, it } from 'vitest';
import { noMeta } from '../../src/auth/audit.js';
import { databaseTargets } from '../support/databases.js';
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
  type TestClient,
} from '../support/server.js';

const targets = await databaseTargets();

const SESSIONS = '{ mySessions { id current rememberMe createdAt lastUsedAt expiresAt userAgent ip } }';
const CHANGE = `mutation($current: String!, $next: String!, $others: Boolean) {
  changePassword(currentPassword: $current, newPassword: $next, signOutOtherSessions: $others)
}`;
const NEW_PASSWORD = 'a brand new passphrase';

describe.each(targets)('accounts on $name', (target) => {
  const t = suiteServer(target, { manualClock: true });

  describe('register', () => {
    it('stores the email in its canonical form, the username and the display name; emails are unique in any case', async () => {
      const email = uniqueEmail('Mixed.Case');
      const client = t.client();
      const res = await client.gql(
        `mutation($e: String!) { register(email: $e, password: "${TEST_PASSWORD}", username: "ada_${Date.now()}", displayName: "Ada L.") {
          user { email username emailVerified lastLoginAt profile { displayName } } } }`,
        { e: email },
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.register.user).toMatchObject({
        email: email.toLowerCase(),
        emailVerified: false,
        profile: { displayName: 'Ada L.' },
      });
      expect(res.body.data.register.user.username).toMatch(/^ada_/);
      // Signing up signs in.
      expect(res.body.data.register.user.lastLoginAt).toBe(new Date(t.clock!.now()).toISOString());

      for (const variant of [email.toLowerCase(), email.toUpperCase(), ` ${email} `]) {
        const again = await t.client().gql(REGISTER, { email: variant, password: TEST_PASSWORD });
        expect(again.code, variant).toBe('EMAIL_TAKEN');
        expect(again.body.data).toBeNull();
      }
    });

    it('keeps usernames unique', async () => {
      const username = `grace_${Date.now()}`;
      const doc = `mutation($e: String!, $u: String) { register(email: $e, password: "${TEST_PASSWORD}", username: $u) { user { id } } }`;
      expect((await t.client().gql(doc, { e: uniqueEmail(), u: username })).body.errors).toBeUndefined();
      const taken = await t.client().gql(doc, { e: uniqueEmail(), u: username });
      expect(taken.code).toBe('BAD_USER_INPUT');
      expect(taken.body.errors![0].extensions!.field).toBe('username');
      const bad = await t.client().gql(doc, { e: uniqueEmail(), u: 'no spaces allowed' });
      expect(bad.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'username' });
    });

    it('refuses a bad email or password with BAD_USER_INPUT naming the field, and creates nobody', async () => {
      const cases: [string, string, string][] = [
        ['not-an-email', TEST_PASSWORD, 'email'],
        ['two@@example.test', TEST_PASSWORD, 'email'],
        ['', TEST_PASSWORD, 'email'],
        [`${'a'.repeat(250)}@example.test`, TEST_PASSWORD, 'email'],
        [uniqueEmail(), 'short', 'password'],
        [uniqueEmail(), 'x'.repeat(1025), 'password'],
      ];
      for (const [email, password, field] of cases) {
        const res = await t.client().gql(REGISTER, { email, password });
        expect(res.body.errors![0].extensions, `${email} / ${password.length}`).toMatchObject({
          code: 'BAD_USER_INPUT',
          field,
        });
        expect(res.setCookies).toEqual([]);
      }
      // The refused addresses are still free.
      expect(
        (await t.client().gql(REGISTER, { email: cases[4][0], password: TEST_PASSWORD })).body.errors,
      ).toBeUndefined();
    });
  });

  describe('login', () => {
    it('answers an unknown email, a wrong password and a deactivated account identically', async () => {
      const { email: known } = await registerUser(t.client());
      const { email: gone } = await registerUser(t.client());
      await t.server.services.accounts.deactivate(gone, noMeta);
      const answers = await Promise.all(
        [
          { email: uniqueEmail('nobody'), password: TEST_PASSWORD },
          { email: known, password: `${TEST_PASSWORD}!` },
          { email: gone, password: TEST_PASSWORD },
        ].map(async (vars) => {
          const res = await t.client().gql(LOGIN, vars);
          return {
            status: res.status,
            body: res.body,
            cookies: res.setCookies,
            cache: res.headers.get('cache-control'),
          };
        }),
      );
      expect(answers[0].body.errors![0].extensions!.code).toBe('INVALID_CREDENTIALS');
      expect(answers[0].body.data).toBeNull();
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
    });

    it('sets lastLoginAt to the time of the login', async () => {
      const { email } = await registerUser(t.client());
      t.clock!.advance(60_000);
      const device = t.client();
      const login = await device.gql(
        `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { lastLoginAt } } }`,
        {
          e: email,
          p: TEST_PASSWORD,
        },
      );
      const at = login.body.data.login.user.lastLoginAt;
      expect(at).toBe(new Date(t.clock!.now()).toISOString());
      const me = await device.gql('{ me { lastLoginAt } }', undefined, { token: login.body.data.login.accessToken });
      expect(me.body.data.me.lastLoginAt).toBe(at);
    });
  });

  describe('me and bearer tokens', () => {
    it('is null without a token, and an error for a bad, expired or revoked one', async () => {
      const anonymous = await t.client().gql(ME);
      expect(anonymous.body).toEqual({ data: { me: null } });

      for (const bad of ['garbage', 'a.b.c', '', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) {
        const res = await t.client().gql(ME, undefined, { headers: { authorization: `Bearer ${bad}` } });
        expect(res.code, bad).toBe('TOKEN_INVALID');
        expect(res.body.data?.me ?? null).toBeNull();
      }

      const alice = t.client();
      const { email } = await registerUser(alice);
      expect((await alice.gql(ME)).body.data.me.email).toBe(email);
      const old = alice.token!;
      t.clock!.advance(t.config.accessTokenTtlMs + 1000);
      expect((await alice.gql(ME)).code).toBe('TOKEN_EXPIRED');

      const refreshed = await alice.gql(REFRESH);
      alice.token = refreshed.body.data.refreshToken.accessToken;
      expect(alice.token).not.toBe(old);
      expect((await alice.gql('mutation { logout }')).body.data.logout).toBe(true);
      expect((await alice.gql(ME)).code).toBe('TOKEN_REVOKED');
    });

    it('refuses a refresh token as a bearer token', async () => {
      const alice = t.client();
      await registerUser(alice);
      const res = await alice.gql(ME, undefined, { token: alice.cookies.get('latchkey_refresh') });
      expect(res.code).toBe('TOKEN_INVALID');
    });
  });

  describe('sessions', () => {
    it('needs a token', async () => {
      const res = await t.client().gql(SESSIONS);
      expect(res.code).toBe('UNAUTHENTICATED');
      expect(res.body.data).toBeNull();
    });

    it('lists only live sessions, marking the current one', async () => {
      const laptop = t.client();
      const { email } = await registerUser(laptop);
      const phone = await loginUser(t, email, TEST_PASSWORD, { rememberMe: true });
      const tablet = await loginUser(t, email);
      expect((await tablet.gql('mutation { logout }')).body.data.logout).toBe(true);

      const fromLaptop = await laptop.gql(SESSIONS, undefined, { headers: { 'user-agent': 'laptop-browser' } });
      const sessions = fromLaptop.body.data.mySessions;
      expect(sessions).toHaveLength(2);
      expect(sessions.filter((s: any) => s.current)).toHaveLength(1);
      const fromPhone = (await phone.gql(SESSIONS)).body.data.mySessions;
      const current = (list: any[]) => list.find((s) => s.current).id;
      expect(current(fromPhone)).not.toBe(current(sessions));
      expect(fromPhone.map((s: any) => s.id).sort()).toEqual(sessions.map((s: any) => s.id).sort());
      const phoneSession = fromPhone.find((s: any) => s.current);
      expect(phoneSession.rememberMe).toBe(true);
      expect(phoneSession.ip).toBe('127.0.0.1');
      for (const field of ['createdAt', 'lastUsedAt', 'expiresAt'])
        expect(phoneSession[field]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('drops a session from the list once its refresh token has expired', async () => {
      const laptop = t.client();
      const { email } = await registerUser(laptop, { rememberMe: true });
      await loginUser(t, email);
      expect((await laptop.gql(SESSIONS)).body.data.mySessions).toHaveLength(2);
      t.clock!.advance(t.config.refreshTokenTtlMs + 60_000);
      const refreshed = await laptop.gql(REFRESH);
      laptop.token = refreshed.body.data.refreshToken.accessToken;
      const left = (await laptop.gql(SESSIONS)).body.data.mySessions;
      expect(left).toHaveLength(1);
      expect(left[0]).toMatchObject({ current: true, rememberMe: true });
    });

    it("revokes the viewer's other session; not another user's, an unknown or a malformed id", async () => {
      const laptop = t.client();
      const { email } = await registerUser(laptop);
      const phone = await loginUser(t, email);
      const stranger = t.client();
      await registerUser(stranger);
      const list = async (c: TestClient) =>
        (await c.gql(SESSIONS)).body.data.mySessions as { id: string; current: boolean }[];
      const phoneId = (await list(phone)).find((s) => s.current)!.id;
      const strangerId = (await list(stranger))[0].id;

      const revoke = (c: TestClient, id: string) => c.gql('mutation($id: ID!) { revokeSession(id: $id) }', { id });
      expect((await revoke(laptop, strangerId)).body.data.revokeSession).toBe(false);
      expect((await stranger.gql(ME)).body.data.me).not.toBeNull();
      expect((await stranger.gql(REFRESH)).body.errors).toBeUndefined();
      expect((await revoke(laptop, '6f1c8c9e-0000-4000-8000-000000000000')).body.data.revokeSession).toBe(false);
      // An id that is not a UUID is bad input, never a database error (36 characters, and not).
      for (const bad of ['not-a-session', '-'.repeat(36), `${'g'.repeat(8)}-0000-4000-8000-000000000000`]) {
        expect((await revoke(laptop, bad)).body.errors![0].extensions).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: 'id',
        });
      }

      const done = await revoke(laptop, phoneId);
      expect(done.body.data.revokeSession).toBe(true);
      expect((await phone.gql(ME)).code).toBe('TOKEN_REVOKED');
      expect((await phone.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
      expect((await list(laptop)).map((s) => s.id)).not.toContain(phoneId);
      expect((await revoke(laptop, phoneId)).body.data.revokeSession).toBe(false);

      // Revoking the current session ends it and clears its cookie.
      const ownId = (await list(laptop))[0].id;
      const own = await revoke(laptop, ownId);
      expect(own.body.data.revokeSession).toBe(true);
      expect(laptop.cookies.has('latchkey_refresh')).toBe(false);
      expect((await laptop.gql(ME)).code).toBe('TOKEN_REVOKED');
    });
  });

  describe('logout', () => {
    it('ends the session of the refresh cookie, without a bearer token', async () => {
      const browser = t.client();
      await registerUser(browser);
      const token = browser.token!;
      browser.token = undefined;
      const res = await browser.gql('mutation { logout }');
      expect(res.body.data.logout).toBe(true);
      expect(browser.cookies.size).toBe(0);
      expect((await browser.gql(ME, undefined, { token })).code).toBe('TOKEN_REVOKED');
    });

    it("ends the bearer token's session when there is no cookie", async () => {
      const browser = t.client();
      const { email } = await registerUser(browser);
      const other = await loginUser(t, email);
      const api = t.client();
      const res = await api.gql('mutation { logout }', undefined, { token: browser.token });
      expect(res.body.data.logout).toBe(true);
      expect((await browser.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
      expect((await other.gql(ME)).body.data.me.email).toBe(email);
    });

    it('with everywhere: true ends every session of the user', async () => {
      const a = t.client();
      const { email } = await registerUser(a);
      const b = await loginUser(t, email);
      const c = await loginUser(t, email, TEST_PASSWORD, { rememberMe: true });
      const bystander = t.client();
      await registerUser(bystander);
      expect((await a.gql('mutation { logout(everywhere: true) }')).body.data.logout).toBe(true);
      for (const device of [a, b, c]) expect((await device.gql(ME)).code).toBe('TOKEN_REVOKED');
      for (const device of [b, c]) expect((await device.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
      expect((await bystander.gql(ME)).body.data.me).not.toBeNull();
    });

    it('answers false with neither cookie nor token, and still clears the cookie', async () => {
      const res = await t.client().gql('mutation { logout }');
      expect(res.body.data.logout).toBe(false);
      expect(res.setCookies.some((c) => c.startsWith('latchkey_refresh=;'))).toBe(true);
    });
  });

  describe('changePassword', () => {
    it('refuses a wrong current password with INVALID_CREDENTIALS and changes nothing', async () => {
      const alice = t.client();
      const { email } = await registerUser(alice);
      const res = await alice.gql(CHANGE, { current: 'not my password', next: NEW_PASSWORD });
      expect(res.code).toBe('INVALID_CREDENTIALS');
      expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).body.errors).toBeUndefined();
      expect((await t.client().gql(CHANGE, { current: TEST_PASSWORD, next: NEW_PASSWORD })).code).toBe(
        'UNAUTHENTICATED',
      );
      const weak = await alice.gql(CHANGE, { current: TEST_PASSWORD, next: 'short' });
      expect(weak.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    });

    it('by default ends the other sessions and keeps this one', async () => {
      const here = t.client();
      const { email } = await registerUser(here);
      const there = await loginUser(t, email);
      const res = await here.gql(CHANGE, { current: TEST_PASSWORD, next: NEW_PASSWORD });
      expect(res.body.data.changePassword).toBe(true);

      expect((await there.gql(ME)).code).toBe('TOKEN_REVOKED');
      expect((await there.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
      expect((await here.gql(ME)).body.data.me.email).toBe(email);
      expect((await here.gql(REFRESH)).body.errors).toBeUndefined();

      expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
      expect((await t.client().gql(LOGIN, { email, password: NEW_PASSWORD })).body.errors).toBeUndefined();
    });

    it('keeps the other sessions with signOutOtherSessions: false', async () => {
      const here = t.client();
      const { email } = await registerUser(here);
      const there = await loginUser(t, email);
      const res = await here.gql(CHANGE, { current: TEST_PASSWORD, next: NEW_PASSWORD, others: false });
      expect(res.body.data.changePassword).toBe(true);
      expect((await there.gql(ME)).body.data.me.email).toBe(email);
      expect((await there.gql(REFRESH)).body.errors).toBeUndefined();
    });
  });
});
