/**
 * @latchkey/client's account methods (API.md §3: password reset and change, confirming the
 * address, the profile, the sessions, token info) against a real Latchkey server over HTTP on
 * PGlite, with the mail the server sent read from its `file:` mail directory.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createLatchkeyClient,
  type LatchkeyClient,
  type LatchkeyClientOptions,
} from '../../packages/client/src/index.js';
import { createCookieFetch } from '../../packages/client/src/node.js';
import { pglite } from '../support/databases.js';
import { lastCodeTo, mailTo } from '../support/mail.js';
import { jwtPayload, suiteServer, TEST_PASSWORD, uniqueEmail } from '../support/server.js';

const ME = '{ me { email } }';
const NEW_PASSWORD = 'a new and longer passphrase';

const open: LatchkeyClient[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

let browsers = 0;
/** A browser: one cookie jar, and tabs that share it (and a channel). */
function browser(url: string) {
  const jar = createCookieFetch();
  const channelName = `latchkey-account-test-${process.pid}-${++browsers}`;
  return (options: LatchkeyClientOptions = {}) => {
    const client = createLatchkeyClient({ url, fetch: jar.fetch, channelName, autoRefresh: false, ...options });
    open.push(client);
    return client;
  };
}

/** The refresh fails with TOKEN_REVOKED once the server refuses the session: the tab is signed out with it. */
async function expectRevoked(client: LatchkeyClient) {
  await expect(client.request(ME)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
  expect(client.getState()).toMatchObject({ status: 'signedOut', reason: 'TOKEN_REVOKED' });
}

describe('@latchkey/client account methods against a real server on PGlite', () => {
  const t = suiteServer(pglite);

  async function signedIn(email = uniqueEmail('client-account')) {
    const tab = browser(t.url);
    const first = tab();
    await first.ready();
    await first.register({ email, password: TEST_PASSWORD });
    return { tab, first, email };
  }

  /** Another browser signed in to the same account. */
  async function elsewhere(email: string, password = TEST_PASSWORD) {
    const other = browser(t.url)();
    await other.ready();
    expect(await other.login({ email, password })).toMatchObject({ status: 'signedIn' });
    return other;
  }

  it('resets a forgotten password with the mailed code: every session ends, the new password signs in', async () => {
    const { first, email } = await signedIn();
    const forgetful = browser(t.url)();
    expect((await forgetful.ready()).status).toBe('signedOut');

    await forgetful.requestPasswordReset(email);
    const [reset] = (await mailTo(t, email)).slice(-1);
    expect(reset.subject).toMatch(/password/i);
    await expect(forgetful.resetPassword({ email, code: '000000', newPassword: NEW_PASSWORD })).rejects.toMatchObject({
      code: 'OTP_INVALID',
    });
    expect(await forgetful.resetPassword({ email, code: await lastCodeTo(t, email), newPassword: NEW_PASSWORD })).toBe(
      true,
    );

    await expectRevoked(first);
    await expect(forgetful.login({ email, password: TEST_PASSWORD })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(await forgetful.login({ email, password: NEW_PASSWORD })).toMatchObject({ status: 'signedIn' });
    // An unknown address is answered the same, and nothing is mailed.
    const nobody = uniqueEmail('nobody');
    await expect(forgetful.requestPasswordReset(nobody)).resolves.toBeUndefined();
    expect(await mailTo(t, nobody)).toEqual([]);
  });

  it('confirms the address with a mailed code, and every tab holds the verified user', async () => {
    const { tab, first, email } = await signedIn();
    const second = tab();
    await second.ready();
    expect(first.getUser()?.emailVerified).toBe(false);
    const signUpMail = (await mailTo(t, email)).length;

    await first.requestEmailVerification();
    expect((await mailTo(t, email)).length).toBe(signUpMail + 1);
    await expect(first.verifyEmail('000000')).rejects.toMatchObject({ code: 'OTP_INVALID' });
    const user = await first.verifyEmail(await lastCodeTo(t, email));
    expect(user).toMatchObject({ email, emailVerified: true });
    expect(first.getUser()?.emailVerified).toBe(true);
    await vi.waitFor(() => expect(second.getUser()?.emailVerified).toBe(true), { timeout: 3000 });
    expect((await first.me())?.emailVerified).toBe(true);

    // Signed out, the address has to be named.
    await expect(browser(t.url)({ restore: false }).requestEmailVerification()).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('changes the password: the current one must be right, other sessions end, this one stays', async () => {
    const { first, email } = await signedIn();
    const other = await elsewhere(email);

    await expect(
      first.changePassword({ currentPassword: 'not the password', newPassword: NEW_PASSWORD }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await first.changePassword({ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).toBe(true);

    expect((await first.request<{ me: { email: string } }>(ME)).me.email).toBe(email);
    await expectRevoked(other);
    const again = await elsewhere(email, NEW_PASSWORD);

    // signOutOtherSessions: false keeps them.
    expect(
      await first.changePassword({
        currentPassword: NEW_PASSWORD,
        newPassword: TEST_PASSWORD,
        signOutOtherSessions: false,
      }),
    ).toBe(true);
    expect((await again.request<{ me: { email: string } }>(ME)).me.email).toBe(email);
  });

  it('reads the profile with me() and updates it, the cached user following', async () => {
    const { tab, first, email } = await signedIn();
    const second = tab();
    await second.ready();

    const me = await first.me();
    expect(me).toMatchObject({ email, emailVerified: false, roles: [], lastLoginAt: expect.any(String) });
    expect(me?.profile).toEqual({ displayName: null, bio: null, avatarUrl: null, updatedAt: expect.any(String) });
    expect(Date.parse(me!.createdAt)).not.toBeNaN();

    const profile = await first.updateProfile({ displayName: 'Ada Lovelace', bio: 'Wrote the first program.' });
    expect(profile).toMatchObject({ displayName: 'Ada Lovelace', bio: 'Wrote the first program.', avatarUrl: null });
    expect(first.getUser()?.profile).toEqual({
      displayName: 'Ada Lovelace',
      bio: 'Wrote the first program.',
      avatarUrl: null,
    });
    await vi.waitFor(() => expect(second.getUser()?.profile.displayName).toBe('Ada Lovelace'), { timeout: 3000 });

    // Left out is kept; null clears.
    expect(await first.updateProfile({ bio: null })).toMatchObject({ displayName: 'Ada Lovelace', bio: null });
    expect((await second.me())?.profile).toMatchObject({ displayName: 'Ada Lovelace', bio: null });
    await expect(first.updateProfile({ avatarUrl: 'javascript:alert(1)' })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });

    expect(await browser(t.url)({ restore: false }).me()).toBeNull();
  });

  it('lists the sessions and revokes one; revoking its own signs every tab out', async () => {
    const { tab, first, email } = await signedIn();
    const other = await elsewhere(email);
    const ownId = jwtPayload((await first.getAccessToken())!).sid as string;
    const otherId = jwtPayload((await other.getAccessToken())!).sid as string;

    const sessions = await first.mySessions();
    expect(sessions.map((s) => [s.id, s.current]).sort()).toEqual(
      [
        [ownId, true],
        [otherId, false],
      ].sort(),
    );
    expect(sessions[0]).toMatchObject({ rememberMe: false, ip: expect.any(String) });

    expect(await first.revokeSession(otherId)).toBe(true);
    expect(await first.revokeSession(otherId)).toBe(false); // already ended
    await expectRevoked(other);
    expect((await first.mySessions()).map((s) => s.id)).toEqual([ownId]);

    const second = tab();
    await second.ready();
    expect(await first.revokeSession(ownId)).toBe(true);
    expect(first.getState()).toEqual({ status: 'signedOut', user: null, reason: 'SIGNED_OUT' });
    await vi.waitFor(() => expect(second.getState()).toMatchObject({ status: 'signedOut', reason: 'SIGNED_OUT' }), {
      timeout: 3000,
    });
    expect((await tab().ready()).status).toBe('signedOut'); // the cookie went with it
    await expect(first.mySessions()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('says whether a token is good with tokenInfo', async () => {
    const { first } = await signedIn();
    const token = (await first.getAccessToken())!;
    expect(await first.tokenInfo(token)).toMatchObject({
      valid: true,
      tokenType: 'access',
      userId: jwtPayload(token).sub,
      expiresAt: expect.any(String),
    });
    expect(await first.tokenInfo('not.a.token')).toMatchObject({ valid: false, reason: expect.any(String) });
  });
});

describe('@latchkey/client with REQUIRE_EMAIL_VERIFICATION', () => {
  const t = suiteServer(pglite, { env: { REQUIRE_EMAIL_VERIFICATION: 'true' } });

  it('signs in with the password and the mailed code, and asks for a new code while signed out', async () => {
    const email = uniqueEmail('client-unproven');
    const client = browser(t.url)();
    await client.ready();
    await expect(client.register({ email, password: TEST_PASSWORD })).rejects.toMatchObject({
      code: 'EMAIL_NOT_VERIFIED',
    });
    const sent = (await mailTo(t, email)).length;
    await client.requestEmailVerification(email);
    expect((await mailTo(t, email)).length).toBe(sent + 1);

    const result = await client.login({ email, password: TEST_PASSWORD, code: await lastCodeTo(t, email) });
    expect(result).toMatchObject({ status: 'signedIn', user: { email, emailVerified: true } });
    expect(client.getState().status).toBe('signedIn');
  });
});
