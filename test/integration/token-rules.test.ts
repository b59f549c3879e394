/**
 * The token rules of API.md §4 over real HTTP, on PGlite and PostgreSQL:
 * access and refresh tokens never pass as each other, rotation is atomic under
 * concurrency, the grace window answers with the very successor, reuse after it
 * revokes the family, revoked sessions' tokens are refused at once, and
 * deactivated or deleted users cannot refresh. The clock is injected.
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { lastCodeTo } from '../support/mail.js';
import { auditEventsOf } from '../support/rows.js';
import {
  ME,
  REFRESH,
  TEST_PASSWORD,
  jwtPayload,
  loginUser,
  parseSetCookie,
  registerUser,
  suiteServer,
  type TestServer,
} from '../support/server.js';

const VERIFY_TOKEN = `mutation($token: String!) { verifyToken(token: $token) { valid tokenType userId expiresAt reason } }`;
const SESSIONS = `{ mySessions { id current } }`;
const REVOKE = `mutation($id: ID!) { revokeSession(id: $id) }`;
const CHANGE = `mutation($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }`;
const REQUEST = `mutation($email: String!) { requestOtp(email: $email, purpose: PASSWORD_RESET) }`;
const RESET = `mutation($email: String!, $code: String!, $newPassword: String!) { resetPassword(email: $email, code: $code, newPassword: $newPassword) }`;
const NEW_PASSWORD = 'a brand new passphrase, long';

const targets = await databaseTargets();

const refreshWith = (t: TestServer, refreshToken: string) => t.client().gql(REFRESH, { refreshToken });
const refreshRows = (t: TestServer, sessionId: string) =>
  t.sql<{ jti: string; used_at: Date | null }>('select jti, used_at from refresh_tokens where session_id = $1', [
    sessionId,
  ]);

describe.each(targets)('token rules (API.md §4) on $name', (target) => {
  const t = suiteServer(target, {
    manualClock: true,
    env: { SESSION_ABSOLUTE_TTL: '2h', REFRESH_TOKEN_TTL: '1h', REFRESH_REUSE_GRACE: '10s' },
  });

  it('§4.1 never takes an access token where a refresh token is expected, nor the reverse (incl. verifyToken)', async () => {
    const alice = t.client();
    const { userId } = await registerUser(alice);
    const access = alice.token!;
    const refresh = alice.refreshToken()!;

    const asBearer = await alice.gql(ME, undefined, { token: refresh });
    expect(asBearer.code).toBe('TOKEN_INVALID');
    expect(asBearer.body.data?.me ?? null).toBeNull();
    expect((await alice.gql(SESSIONS, undefined, { token: refresh })).code).toBe('TOKEN_INVALID');

    expect((await refreshWith(t, access)).code).toBe('TOKEN_INVALID');
    const cookieOnly = t.client();
    cookieOnly.cookies.set('latchkey_refresh', access);
    expect((await cookieOnly.gql(REFRESH)).code).toBe('TOKEN_INVALID');

    const accessInfo = (await alice.gql(VERIFY_TOKEN, { token: access })).body.data.verifyToken;
    expect(accessInfo).toMatchObject({ valid: true, tokenType: 'access', userId, reason: null });
    // verifyToken answers for bearer use: a refresh token is recognised, and never valid.
    const refreshInfo = (await alice.gql(VERIFY_TOKEN, { token: refresh })).body.data.verifyToken;
    expect(refreshInfo).toEqual({
      valid: false,
      tokenType: 'refresh',
      userId: null,
      expiresAt: null,
      reason: 'TOKEN_INVALID',
    });

    // None of that used the refresh token up.
    const rotated = await alice.gql(REFRESH);
    expect(rotated.body.errors).toBeUndefined();
  });

  it('§4.3 of 40 concurrent refreshes with one token exactly one rotates, and every caller gets the same refresh jti', async () => {
    const alice = t.client();
    await registerUser(alice);
    const presented = alice.refreshToken()!;
    const sessionId = jwtPayload(presented).sid;
    const responses = await Promise.all(Array.from({ length: 40 }, () => refreshWith(t, presented)));

    expect(responses.map((r) => r.code)).toEqual(responses.map(() => undefined));
    const cookies = responses.map(
      (r) => r.setCookies.map(parseSetCookie).find((c) => c.name === 'latchkey_refresh')!.value,
    );
    expect(new Set(cookies).size).toBe(1);
    expect(new Set(cookies.map((c) => jwtPayload(c).jti)).size).toBe(1);
    // Each caller still gets an access token of its own, all of the one session.
    const accessTokens = responses.map((r) => r.body.data.refreshToken.accessToken as string);
    expect(new Set(accessTokens.map((a) => jwtPayload(a).jti)).size).toBe(40);
    expect(new Set(accessTokens.map((a) => jwtPayload(a).sid))).toEqual(new Set([sessionId]));

    const rows = await refreshRows(t, sessionId);
    expect(rows).toHaveLength(2);
    expect(rows.filter((r) => r.used_at === null).map((r) => r.jti)).toEqual([jwtPayload(cookies[0]).jti]);
    const audits = await t.sql('select 1 from audit_events where type = $1 and detail->>$2 = $3', [
      'refresh',
      'sessionId',
      sessionId,
    ]);
    expect(audits).toHaveLength(1);
    expect((await t.client().gql(ME, undefined, { token: accessTokens[17] })).body.data.me).not.toBeNull();
  });

  it('§4.4 inside the grace a rotated token gets the SAME successor; after it: TOKEN_REUSED and the whole family is revoked', async () => {
    const alice = t.client();
    await registerUser(alice);
    const first = alice.refreshToken()!;
    const won = await alice.gql(REFRESH);
    alice.token = won.body.data.refreshToken.accessToken;
    const successor = alice.refreshToken()!;
    expect(successor).not.toBe(first);

    t.clock!.advance(9_000);
    const otherTab = t.client();
    otherTab.cookies.set('latchkey_refresh', first);
    const late = await otherTab.gql(REFRESH);
    expect(late.body.errors).toBeUndefined();
    expect(otherTab.refreshToken()).toBe(successor);
    expect(jwtPayload(otherTab.refreshToken()!).jti).toBe(jwtPayload(successor).jti);
    expect(
      (await otherTab.gql(ME, undefined, { token: late.body.data.refreshToken.accessToken })).body.data.me,
    ).not.toBeNull();

    t.clock!.advance(2_000);
    const replay = await refreshWith(t, first);
    expect(replay.code).toBe('TOKEN_REUSED');
    expect((await alice.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await alice.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await otherTab.gql(ME, undefined, { token: late.body.data.refreshToken.accessToken })).code).toBe(
      'TOKEN_REVOKED',
    );
    const [session] = await t.sql('select revoked_at, revoke_reason from sessions where id = $1', [
      jwtPayload(first).sid,
    ]);
    expect(session).toMatchObject({ revoke_reason: 'reuse' });
  });

  it('§4.4 a token of a logged-out or revoked session answers TOKEN_REVOKED, not TOKEN_REUSED', async () => {
    const alice = t.client();
    const { email } = await registerUser(alice);
    const refresh = alice.refreshToken()!;
    expect((await alice.gql('mutation { logout }')).body.data.logout).toBe(true);
    expect(alice.refreshToken()).toBeUndefined();
    expect((await refreshWith(t, refresh)).code).toBe('TOKEN_REVOKED');

    const phone = await loginUser(t, email);
    const laptop = await loginUser(t, email);
    const phoneSession = jwtPayload(phone.token!).sid;
    expect((await laptop.gql(REVOKE, { id: phoneSession })).body.data.revokeSession).toBe(true);
    expect((await phone.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await laptop.gql(REFRESH)).body.errors).toBeUndefined();
  });

  it('§4.5 refuses the access tokens of ended sessions at once: logout, revokeSession, changePassword, resetPassword', async () => {
    const alice = t.client();
    const { email } = await registerUser(alice);
    const [phone, tablet, laptop] = [await loginUser(t, email), await loginUser(t, email), await loginUser(t, email)];

    await laptop.gql('mutation { logout }');
    expect((await laptop.gql(ME)).code).toBe('TOKEN_REVOKED');
    await alice.gql(REVOKE, { id: jwtPayload(tablet.token!).sid });
    expect((await tablet.gql(ME)).code).toBe('TOKEN_REVOKED');

    expect(
      (await alice.gql(CHANGE, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).body.data.changePassword,
    ).toBe(true);
    expect((await phone.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await phone.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    // The session that changed the password stays.
    expect((await alice.gql(ME)).body.data.me.email).toBe(email);

    await t.client().gql(REQUEST, { email });
    const reset = await t
      .client()
      .gql(RESET, { email, code: await lastCodeTo(t, email), newPassword: `${NEW_PASSWORD}!` });
    expect(reset.body.data.resetPassword).toBe(true);
    expect((await alice.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await alice.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await t.client().gql(VERIFY_TOKEN, { token: alice.token })).body.data.verifyToken).toMatchObject({
      valid: false,
      reason: 'TOKEN_REVOKED',
    });
  });

  it('§4.6 a deactivated user cannot refresh, even when the sessions were left alone; nor a deleted one', async () => {
    const alice = t.client();
    const { userId } = await registerUser(alice);
    await t.sql('update users set is_active = false where id = $1', [userId]);
    expect((await alice.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await alice.gql(ME)).body.data.me).toBeNull();

    const bob = t.client();
    const deleted = await registerUser(bob);
    await t.sql('delete from users where id = $1', [deleted.userId]);
    expect((await bob.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
  });

  it('ends a session at SESSION_ABSOLUTE_TTL however often it is refreshed (SESSION_EXPIRED), and an unused token at its own expiry', async () => {
    const alice = t.client();
    const { userId } = await registerUser(alice, { rememberMe: true });
    const sessionId = jwtPayload(alice.token!).sid;
    // Bob signs in at the same moment without remember-me and never refreshes: his token's own
    // expiry (REFRESH_TOKEN_TTL, 1 h) comes before his session's end (2 h).
    const bob = t.client();
    const { userId: bobId } = await registerUser(bob);
    const bobSession = jwtPayload(bob.token!).sid;
    const bobRefresh = bob.refreshToken()!;
    for (let i = 0; i < 3; i++) {
      t.clock!.advance(35 * 60_000);
      expect((await alice.gql(REFRESH)).body.errors).toBeUndefined();
    }

    // 105 minutes in: Bob's token is past its own expiry, his session is not past its end.
    const unused = await bob.gql(REFRESH);
    expect(unused.code).toBe('TOKEN_EXPIRED');
    expect(unused.body.data?.refreshToken ?? null).toBeNull();
    expect(bob.refreshToken()).toBeUndefined(); // the browser is told to drop the cookie
    // Presented again, refused the same way: an expired token is not a replayed one.
    expect((await refreshWith(t, bobRefresh)).code).toBe('TOKEN_EXPIRED');
    const [bobRow] = await t.sql('select revoked_at, revoke_reason from sessions where id = $1', [bobSession]);
    expect(bobRow).toEqual({ revoked_at: null, revoke_reason: null });

    // 125 minutes in: Alice refreshed all along, but her session has reached SESSION_ABSOLUTE_TTL.
    t.clock!.advance(20 * 60_000);
    const ended = await alice.gql(REFRESH);
    expect(ended.code).toBe('SESSION_EXPIRED');
    expect(ended.body.data?.refreshToken ?? null).toBeNull();
    expect(alice.refreshToken()).toBeUndefined();
    const [session] = await t.sql('select revoked_at, revoke_reason from sessions where id = $1', [sessionId]);
    expect(session).toEqual({ revoked_at: null, revoke_reason: null }); // over, not revoked as stolen
    for (const id of [userId, bobId])
      expect(await auditEventsOf(t.server.services, { userId: id, type: 'refresh_reuse_detected' })).toEqual([]);
  });
});

describe.each(targets)('access tokens near the end of a session, on $name', (target) => {
  const t = suiteServer(target, { manualClock: true, env: { SESSION_ABSOLUTE_TTL: '2h', ACCESS_TOKEN_TTL: '5m' } });

  it('gives an access token issued in the last minutes of a session no life past its end', async () => {
    const alice = t.client();
    await registerUser(alice, { rememberMe: true });
    const endsAt = jwtPayload(alice.token!).iat + 2 * 3600;
    t.clock!.advance(118 * 60_000);
    const late = await alice.gql(REFRESH);
    expect(late.body.errors).toBeUndefined();
    const claims = jwtPayload(late.body.data.refreshToken.accessToken);
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(121); // 5 minutes were asked for; the session has 2 left
    expect(claims.exp).toBeLessThanOrEqual(endsAt);
    expect(new Date(late.body.data.refreshToken.accessTokenExpiresAt).getTime()).toBe(claims.exp * 1000);
    alice.token = late.body.data.refreshToken.accessToken;
    expect((await alice.gql(ME)).body.errors).toBeUndefined();
    // Past the session's end the bearer is refused, as the refresh is.
    t.clock!.advance(3 * 60_000);
    expect((await alice.gql(ME)).code).toBe('TOKEN_EXPIRED');
    expect((await alice.gql(REFRESH)).code).toBe('SESSION_EXPIRED');
  });
});

describe.each(targets)('§4.5 revoked sessions are refused without a database query, on $name', (target) => {
  const t = suiteServer(target);

  it('answers TOKEN_REVOKED for logged-out, revoked and password-changed sessions while the database is gone', async () => {
    const alice = t.client();
    const { email } = await registerUser(alice);
    const [phone, tablet, laptop] = [await loginUser(t, email), await loginUser(t, email), await loginUser(t, email)];
    const bob = t.client();
    await registerUser(bob);

    await laptop.gql('mutation { logout }');
    await alice.gql(REVOKE, { id: jwtPayload(tablet.token!).sid });
    await alice.gql(CHANGE, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });

    // From here on every query fails: whatever still answers, answered from memory.
    await t.server.services.database.close();
    const live = await bob.gql(ME);
    expect(live.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(live.body)).not.toMatch(/select|pool|PGlite|at .*\.js/i);

    for (const device of [phone, tablet, laptop]) {
      expect((await device.gql(ME)).code).toBe('TOKEN_REVOKED');
      expect((await device.gql(SESSIONS)).code).toBe('TOKEN_REVOKED');
      const info = (await t.client().gql(VERIFY_TOKEN, { token: device.token })).body.data.verifyToken;
      expect(info).toMatchObject({ valid: false, tokenType: 'access', reason: 'TOKEN_REVOKED' });
    }
    expect((await fetch(`${t.url}/readyz`)).status).toBe(503);
  });
});
