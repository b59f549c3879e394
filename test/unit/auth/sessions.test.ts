/**
 * sessions.ts: rotation, the grace window, reuse detection, revocation,
 * lifetimes and the absolute end — on in-memory PGlite with a manual clock.
 */
import { describe, expect, it } from 'vitest';
import type { RequestMeta } from '../../../src/auth/audit.js';
import { type AuthResult, createSessions } from '../../../src/auth/sessions.js';
import { codeOf, startDomain, suiteDomain } from '../../support/domain.js';
import { jwtPayload, uniqueEmail } from '../../support/server.js';
import { auditEventsOf } from '../../support/rows.js';

const meta: RequestMeta = { ip: '192.0.2.7', userAgent: 'unit test' };
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

describe('sessions', () => {
  const d = suiteDomain({
    env: {
      ACCESS_TOKEN_TTL: '5m',
      REFRESH_TOKEN_TTL: '1d',
      REMEMBER_ME_TTL: '30d',
      SESSION_ABSOLUTE_TTL: '90d',
      REFRESH_REUSE_GRACE: '10s',
    },
  });

  const newUser = async () => {
    const created = await d.repos.users.create({
      email: uniqueEmail(),
      passwordHash: null,
      createdAt: new Date(d.clock.now()),
    });
    if (!('user' in created)) throw new Error('user not created');
    return created.user.id;
  };
  const signIn = async (rememberMe = false) =>
    d.sessions.start(await newUser(), { rememberMe, meta, method: 'password', amr: ['pwd'] });
  /** Token times are whole seconds: move the clock to the next one. */
  const wholeSecond = () => d.clock.set(Math.ceil(d.clock.now() / 1000) * 1000);
  const tokenRows = (sessionId: string) =>
    d.sql<{ jti: string; used_at: Date | null; replaced_by: string | null; expires_at: Date }>(
      'select jti, used_at, replaced_by, expires_at from refresh_tokens where session_id = $1 order by issued_at, used_at nulls last',
      [sessionId],
    );
  const sessionRow = async (id: string) =>
    (
      await d.sql<{ revoked_at: Date | null; revoke_reason: string | null }>('select * from sessions where id = $1', [
        id,
      ])
    )[0];

  it('rotates: the presented token is marked used with its successor, and a new pair is issued', async () => {
    const first = await signIn();
    d.clock.advance(MIN);
    const next = await d.sessions.refresh(first.refreshToken, meta);
    expect(next.sessionId).toBe(first.sessionId);
    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect(next.accessToken).not.toBe(first.accessToken);
    const [used, live] = await tokenRows(first.sessionId);
    expect(used.jti).toBe(jwtPayload(first.refreshToken).jti);
    expect(used.used_at).toEqual(new Date(d.clock.now()));
    expect(used.replaced_by).toBe(jwtPayload(next.refreshToken).jti);
    expect(live).toMatchObject({ jti: jwtPayload(next.refreshToken).jti, used_at: null });
    expect((await d.sessions.authenticate(next.accessToken)).sessionId).toBe(first.sessionId);
  });

  it('inside the grace answers a rotated token with the SAME successor (same jti), and rotates nothing more', async () => {
    const first = await signIn();
    const winner = await d.sessions.refresh(first.refreshToken, meta);
    for (const wait of [1000, 4000, 5000]) {
      d.clock.advance(wait);
      const late = await d.sessions.refresh(first.refreshToken, meta);
      expect(late.refreshToken).toBe(winner.refreshToken);
      expect(jwtPayload(late.refreshToken).jti).toBe(jwtPayload(winner.refreshToken).jti);
      expect(late.refreshTokenExpiresAt).toEqual(winner.refreshTokenExpiresAt);
      // A fresh access token for the tab that lost the race.
      expect(jwtPayload(late.accessToken).jti).not.toBe(jwtPayload(winner.accessToken).jti);
      expect(await codeOf(d.sessions.authenticate(late.accessToken))).toBe('ok');
    }
    expect(await tokenRows(first.sessionId)).toHaveLength(2);
    // The chain goes on from the successor.
    const third = await d.sessions.refresh(winner.refreshToken, meta);
    expect(third.refreshToken).not.toBe(winner.refreshToken);
  });

  it('after the grace treats a rotated token as stolen: TOKEN_REUSED, and the whole family is revoked, successor included', async () => {
    const first = await signIn();
    const winner = await d.sessions.refresh(first.refreshToken, meta);
    d.clock.advance(10_000 + 1);
    expect(await codeOf(d.sessions.refresh(first.refreshToken, meta))).toBe('TOKEN_REUSED');
    expect(await sessionRow(first.sessionId)).toMatchObject({ revoke_reason: 'reuse' });
    expect(await codeOf(d.sessions.refresh(winner.refreshToken, meta))).toBe('TOKEN_REVOKED');
    for (const access of [first.accessToken, winner.accessToken])
      expect(await codeOf(d.sessions.authenticate(access))).toBe('TOKEN_REVOKED');
    // Presented again, the stolen token is still refused; the session stays revoked.
    expect(await codeOf(d.sessions.refresh(first.refreshToken, meta))).toBe('TOKEN_REVOKED');
    const events = await auditEventsOf(d, { type: 'refresh_reuse_detected' });
    expect(events.filter((e) => (e.detail as { sessionId: string }).sessionId === first.sessionId)).toHaveLength(1);
  });

  it('with REFRESH_REUSE_GRACE=0 a rotated token is reuse at once', async () => {
    const strict = createSessions({ ...d, repos: d.repos, config: { ...d.config, refreshReuseGraceMs: 0 } });
    const first = await signIn();
    await strict.refresh(first.refreshToken, meta);
    d.clock.advance(1);
    expect(await codeOf(strict.refresh(first.refreshToken, meta))).toBe('TOKEN_REUSED');
  });

  it('answers TOKEN_REVOKED after logout, revoke and revokeAll, for refresh and access tokens alike', async () => {
    const a = await signIn();
    const b = await d.sessions.start(a.userId, { rememberMe: false, meta, method: 'password', amr: ['pwd'] });
    const c = await d.sessions.start(a.userId, { rememberMe: true, meta, method: 'password', amr: ['pwd'] });
    expect(await d.sessions.revoke(a.sessionId, { reason: 'logout', meta, userId: a.userId })).toBe(true);
    expect(await d.sessions.revoke(a.sessionId, { reason: 'logout', meta, userId: a.userId })).toBe(false);
    expect(await codeOf(d.sessions.refresh(a.refreshToken, meta))).toBe('TOKEN_REVOKED');
    expect(await codeOf(d.sessions.authenticate(a.accessToken))).toBe('TOKEN_REVOKED');
    expect(await codeOf(d.sessions.authenticate(b.accessToken))).toBe('ok');

    // Someone else's session is not theirs to revoke.
    const stranger = await signIn();
    expect(await d.sessions.revoke(b.sessionId, { reason: 'revoked', meta, userId: stranger.userId })).toBe(false);
    expect(await codeOf(d.sessions.authenticate(b.accessToken))).toBe('ok');

    expect(
      await d.sessions.revokeAll(a.userId, { reason: 'password_changed', meta, exceptSessionId: c.sessionId }),
    ).toBe(1);
    expect(await codeOf(d.sessions.refresh(b.refreshToken, meta))).toBe('TOKEN_REVOKED');
    expect(await codeOf(d.sessions.authenticate(b.accessToken))).toBe('TOKEN_REVOKED');
    expect(await codeOf(d.sessions.authenticate(c.accessToken))).toBe('ok');
    expect((await d.sessions.list(a.userId)).map((s) => s.id)).toEqual([c.sessionId]);
  });

  it('authenticates an access token without touching the database', async () => {
    const live = await signIn();
    const gone = await signIn();
    await d.sessions.revoke(gone.sessionId, { reason: 'logout', meta });
    // A spy at the edge: repositories that fail if anything is asked of them.
    const touched: string[] = [];
    const noDatabase = new Proxy({} as typeof d.repos.sessions, {
      get: (_t, name) => () => {
        touched.push(String(name));
        throw new Error(`database used: ${String(name)}`);
      },
    });
    const offline = createSessions({ ...d, repos: { sessions: noDatabase } });
    expect(await offline.authenticate(live.accessToken)).toEqual({
      userId: live.userId,
      sessionId: live.sessionId,
      authTime: expect.any(Number),
      amr: ['pwd'],
    });
    expect(await codeOf(offline.authenticate(gone.accessToken))).toBe('TOKEN_REVOKED');
    expect(await codeOf(offline.authenticate(live.refreshToken))).toBe('TOKEN_INVALID');
    expect(touched).toEqual([]);
  });

  it('gives a refresh token REFRESH_TOKEN_TTL without remember-me and REMEMBER_ME_TTL with it, and rotation keeps the choice', async () => {
    for (const [rememberMe, ttl] of [
      [false, DAY],
      [true, 30 * DAY],
    ] as const) {
      wholeSecond();
      const first = await signIn(rememberMe);
      expect(first.rememberMe).toBe(rememberMe);
      expect(first.refreshTokenExpiresAt.getTime()).toBe(d.clock.now() + ttl);
      expect(jwtPayload(first.refreshToken).exp * 1000).toBe(d.clock.now() + ttl);
      expect(first.accessTokenExpiresAt.getTime()).toBe(d.clock.now() + 5 * MIN);
      d.clock.advance(ttl / 2);
      const next = await d.sessions.refresh(first.refreshToken, meta);
      expect(next.rememberMe).toBe(rememberMe);
      expect(next.refreshTokenExpiresAt.getTime()).toBe(d.clock.now() + ttl);
      // Unused for its whole lifetime, the token expires.
      d.clock.advance(ttl);
      expect(await codeOf(d.sessions.refresh(next.refreshToken, meta))).toBe('TOKEN_EXPIRED');
    }
  });

  it('ends every session at SESSION_ABSOLUTE_TTL, however often it is refreshed', async () => {
    wholeSecond();
    let current: AuthResult = await signIn(true);
    const end = d.clock.now() + 90 * DAY;
    for (let day = 20; day < 90; day += 20) {
      d.clock.advance(20 * DAY);
      current = await d.sessions.refresh(current.refreshToken, meta);
      expect(current.refreshTokenExpiresAt.getTime()).toBeLessThanOrEqual(end);
    }
    expect(current.refreshTokenExpiresAt.getTime()).toBe(end);
    d.clock.set(end - 1000);
    current = await d.sessions.refresh(current.refreshToken, meta);
    d.clock.set(end);
    expect(await codeOf(d.sessions.refresh(current.refreshToken, meta))).toBe('SESSION_EXPIRED');
    expect(await d.sessions.list(current.userId)).toEqual([]);
  });

  it('refuses to refresh for a deactivated or a deleted user (TOKEN_REVOKED)', async () => {
    const a = await signIn();
    await d.repos.users.setActive(a.userId, false);
    expect(await codeOf(d.sessions.refresh(a.refreshToken, meta))).toBe('TOKEN_REVOKED');
    const b = await signIn();
    await d.sql('delete from users where id = $1', [b.userId]);
    expect(await codeOf(d.sessions.refresh(b.refreshToken, meta))).toBe('TOKEN_REVOKED');
  });

  it('refuses an access token as a refresh token, and garbage, with TOKEN_INVALID', async () => {
    const a = await signIn();
    for (const token of [a.accessToken, '', 'garbage', `${a.refreshToken}x`]) {
      expect(await codeOf(d.sessions.refresh(token, meta)), token.slice(0, 30)).toBe('TOKEN_INVALID');
    }
  });

  it('inspects a token as a bearer token for verifyToken: a refresh token is never valid there, and nothing changes', async () => {
    const a = await signIn();
    expect(await d.tokenInfo.inspect(a.accessToken)).toEqual({
      valid: true,
      tokenType: 'access',
      userId: a.userId,
      expiresAt: a.accessTokenExpiresAt,
      reason: null,
    });
    expect(await d.tokenInfo.inspect(a.refreshToken)).toEqual({
      valid: false,
      tokenType: 'refresh',
      userId: null,
      expiresAt: null,
      reason: 'TOKEN_INVALID',
    });
    expect(await codeOf(d.sessions.refresh(a.refreshToken, meta))).toBe('ok');
    expect(await d.tokenInfo.inspect('garbage')).toMatchObject({
      valid: false,
      tokenType: null,
      reason: 'TOKEN_INVALID',
    });
    d.clock.advance(5 * MIN);
    expect(await d.tokenInfo.inspect(a.accessToken)).toMatchObject({
      valid: false,
      tokenType: 'access',
      reason: 'TOKEN_EXPIRED',
    });
  });

  it('flushes expired tokens and dead sessions, but keeps a recently revoked one so a restart still refuses its access tokens', async () => {
    const dead = await signIn();
    const revokedLately = await signIn();
    await d.sessions.revoke(revokedLately.sessionId, { reason: 'logout', meta });
    // Both sessions reach their absolute end (as a session refreshed just before it would).
    await d.sql('update sessions set expires_at = $1 where id = any($2::uuid[])', [
      new Date(d.clock.now() - 1),
      [dead.sessionId, revokedLately.sessionId],
    ]);
    const left = async () =>
      (
        await d.sql<{ id: string }>('select id from sessions where id = any($1::uuid[])', [
          [dead.sessionId, revokedLately.sessionId],
        ])
      ).map((r) => r.id);
    await d.sessions.flushExpired();
    expect(await left()).toEqual([revokedLately.sessionId]);
    const restarted = await startDomain({ env: { ACCESS_TOKEN_TTL: '5m' }, clock: d.clock, database: d.database });
    expect(await codeOf(restarted.sessions.authenticate(revokedLately.accessToken))).toBe('TOKEN_REVOKED');
    await restarted.close();
    // Once its access tokens have all expired, it goes too.
    d.clock.advance(5 * MIN + 2000);
    await d.sessions.flushExpired();
    expect(await left()).toEqual([]);
  });

  it('rebuilds the revoked set from the database in a new process, and follows revocations made elsewhere', async () => {
    const a = await signIn();
    const b = await signIn();
    await d.sessions.revoke(a.sessionId, { reason: 'logout', meta });
    const restarted = await startDomain({ env: { ACCESS_TOKEN_TTL: '5m' }, clock: d.clock, database: d.database });
    expect(await codeOf(restarted.sessions.authenticate(a.accessToken))).toBe('TOKEN_REVOKED');
    const follow = restarted.revocationSync.follower();
    expect(await codeOf(restarted.sessions.authenticate(b.accessToken))).toBe('ok');
    // Revoked by "another process" (the first instance), seen by this one on its next poll.
    await d.sessions.revoke(b.sessionId, { reason: 'admin', meta });
    await follow();
    expect(await codeOf(restarted.sessions.authenticate(b.accessToken))).toBe('TOKEN_REVOKED');
    await restarted.close();
  });
});
