/**
 * A rotation swallowed by a database stall (stallWitness.ts): it ran, the database froze before
 * its answer came back, the instance gave up, and the rotation committed when the stall ended —
 * stamped before it, its successor delivered to nobody. The client's retry after the stall is
 * answered with that successor, within the grace of the stall's end; a replay is still a replay.
 * In-memory PGlite and a manual clock; the stall is the driver's own time-out error, thrown by the
 * repository (the edge of the domain).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestMeta } from '../../../src/auth/audit.js';
import { codeOf, suiteDomain } from '../../support/domain.js';
import { jwtPayload, uniqueEmail } from '../../support/server.js';

const meta: RequestMeta = { ip: '192.0.2.9', userAgent: 'unit test' };
const SECOND = 1000;
const GRACE = 10 * SECOND;

describe('a rotation swallowed by a database stall', () => {
  // A stall is first seen within 1 s (query limit) + 1 s (pool) + 1 s of margin of the rotation it held.
  const d = suiteDomain({
    env: { REFRESH_REUSE_GRACE: '10s', DATABASE_QUERY_TIMEOUT: '1s', DATABASE_POOL_TIMEOUT: '1s' },
  });
  const rotate = () => d.repos.sessions.rotate;
  let original: ReturnType<typeof rotate> | undefined;
  afterEach(() => {
    if (original) d.repos.sessions.rotate = original;
    original = undefined;
  });

  const signIn = async () => {
    const created = await d.repos.users.create({
      email: uniqueEmail(),
      passwordHash: null,
      createdAt: new Date(d.clock.now()),
    });
    if (!('user' in created)) throw new Error('user not created');
    return d.sessions.start(created.user.id, { rememberMe: false, meta, method: 'password', amr: ['pwd'] });
  };

  /** The database stalls under this instance's refreshes for `ms`: every refresh tried meanwhile times out. */
  async function stall(ms: number, token: string) {
    original = rotate();
    d.repos.sessions.rotate = async () => {
      throw new Error('Query read timeout');
    };
    for (let waited = 0; waited < ms; waited += 1500) {
      d.clock.advance(1500);
      await expect(d.sessions.refresh(token, meta)).rejects.toThrow('Query read timeout');
    }
    d.repos.sessions.rotate = original;
    original = undefined;
  }

  it('answers the retry after the stall with the successor nobody received, within the grace of its end', async () => {
    const first = await signIn();
    // Rotated; the answer is lost to the stall that follows at once.
    const lost = await d.sessions.refresh(first.refreshToken, meta);
    await stall(20 * SECOND, first.refreshToken);
    d.clock.advance(2 * SECOND);

    const retry = await d.sessions.refresh(first.refreshToken, meta);
    expect(jwtPayload(retry.refreshToken).jti).toBe(jwtPayload(lost.refreshToken).jti);
    expect(retry.sessionId).toBe(first.sessionId);
    expect(await codeOf(d.sessions.authenticate(retry.accessToken))).toBe('ok');
    // The chain goes on from it.
    expect(await codeOf(d.sessions.refresh(retry.refreshToken, meta))).toBe('ok');
  });

  it('treats the old token as a replay past the grace of the stall’s end', async () => {
    const first = await signIn();
    await d.sessions.refresh(first.refreshToken, meta);
    await stall(20 * SECOND, first.refreshToken);
    d.clock.advance(GRACE + SECOND);
    expect(await codeOf(d.sessions.refresh(first.refreshToken, meta))).toBe('TOKEN_REUSED');
  });

  it('treats the old token as a replay once its successor was used, stall or not', async () => {
    const first = await signIn();
    const next = await d.sessions.refresh(first.refreshToken, meta);
    await d.sessions.refresh(next.refreshToken, meta);
    await stall(20 * SECOND, next.refreshToken);
    expect(await codeOf(d.sessions.refresh(first.refreshToken, meta))).toBe('TOKEN_REUSED');
  });

  it('treats the old token as a replay when the stall began long after its rotation was answered', async () => {
    const first = await signIn();
    await d.sessions.refresh(first.refreshToken, meta);
    d.clock.advance(60 * SECOND);
    const other = await signIn();
    await stall(20 * SECOND, other.refreshToken);
    expect(await codeOf(d.sessions.refresh(first.refreshToken, meta))).toBe('TOKEN_REUSED');
  });
});
