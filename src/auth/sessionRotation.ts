/**
 * Refresh: the atomic rotation of a refresh token, with a grace window and reuse detection.
 *
 * The rules (API.md §4):
 *  - rotation marks the presented token used and issues its successor in one
 *    statement; of N concurrent refreshes exactly one rotates;
 *  - a rotated token presented again within REFRESH_REUSE_GRACE gets the
 *    session's *current* refresh token (same jti as the winner's) and a fresh
 *    access token: another tab raced, nobody is signed out;
 *  - after the grace it is a replay: the whole session is revoked (RFC 9700 §4.14.2);
 *  - no session outlives SESSION_ABSOLUTE_TTL; a revoked session's tokens give TOKEN_REVOKED.
 */
import { randomUUID } from 'node:crypto';
import type { RequestMeta } from './audit.js';
import { pinnedTime } from './clock.js';
import { isUnavailable } from '../shared/unavailable.js';
import { AuthError, unavailable } from './errors.js';
import type { RefreshTokenRow, RotateResult, Successor } from './ports.js';
import { refreshExpiry } from './refreshExpiry.js';
import type { SessionParts } from './sessionDeps.js';
import { revokeWithEvents } from './sessionEnd.js';
import { createStallWitness } from './stallWitness.js';
import { type AuthResult, issueTokenPair, seconds } from './tokenPair.js';

/**
 * A genuine refresh token (our signature) whose row is gone: flushed after it
 * expired, or deleted with its session or user — which ends the session.
 */
const goneReason = (exp: number, now: number) => (exp * 1000 <= now ? 'TOKEN_EXPIRED' : 'TOKEN_REVOKED');

export function createSessionRotation(deps: SessionParts) {
  const { repos, tokens, revocations, audit, config, clock, limits, roles } = deps;
  const stalls = createStallWitness(clock);
  /**
   * How long after a rotation ran a stall that held its commit is first seen here: a request
   * waiting on the database gives up after the query limit (and the driver's margin), one
   * waiting for a connection after the pool's.
   */
  const stallReachMs = config.databaseQueryTimeoutMs + config.databasePoolTimeoutMs + 1000;

  /** A rotation's successor: the database knows the session, so it gets both answers (see Successor). */
  const successor = (now: number): Successor => ({
    jti: randomUUID(),
    issuedAt: new Date(seconds(now) * 1000),
    expiresAt: { rememberMe: refreshExpiry(config, true, now), plain: refreshExpiry(config, false, now) },
  });

  /**
   * One refresh, limits aside: a rotation, the current token inside the grace, or an AuthError.
   * The database judges every stored time on its own clock when the statement runs, so instances
   * whose clocks differ, and a request that waited out a stalled database, decide alike.
   */
  const rotateOrAnswer = async (presented: string, meta: RequestMeta): Promise<AuthResult> => {
    const claims = await tokens.verifyRefresh(presented);
    const started = clock.now();
    const at = pinnedTime(clock);
    // Past this the caller has given up (query timeout): a rotation must not commit after it.
    const deadline = new Date(started + config.databaseQueryTimeoutMs);
    let result!: RotateResult;
    try {
      // The event is written by the rotation itself (its user and session filled in there).
      await audit.recordWith('refresh', null, meta, undefined, async (event) => {
        result = await repos.sessions.rotate(claims.jti, successor(started), { at, deadline, event });
        return result.kind === 'rotated';
      });
    } catch (e) {
      if (isUnavailable(e)) stalls.failed();
      throw e;
    }
    // A statement that ran past its deadline waited out a stall (its caller is told to retry, below).
    if (result.kind === 'refused' && result.nowMs > deadline.getTime()) stalls.failed();
    else stalls.answered();

    if (result.kind === 'rotated') return issueTokenPair(tokens, result.session, result.token, result.roles);
    if (result.kind === 'unknown') throw new AuthError(goneReason(claims.exp, clock.now()));

    const { token, session, userActive, nowMs: now } = result;
    if (session.revokedAt || !userActive) throw new AuthError('TOKEN_REVOKED');
    if (session.expiresAt.getTime() <= now) throw new AuthError('SESSION_EXPIRED');
    if (token.usedAt) {
      const current = await answerWith(token, token.usedAt.getTime(), now);
      if (current) return issueTokenPair(tokens, session, current, await roles.of(session.userId));
      const revoked = await revokeWithEvents(
        deps,
        (r) => r.sessions.revoke(session.id, 'reuse', at),
        (row) => ({ userId: session.userId, sessionIds: row ? [session.id] : [] }),
        'reuse',
      );
      if (revoked) await revocations.revoke([session.id]);
      await audit.record('refresh_reuse_detected', session.userId, meta, { sessionId: session.id, jti: token.jti });
      throw new AuthError('TOKEN_REUSED');
    }
    if (token.expiresAt.getTime() <= now) throw new AuthError('TOKEN_EXPIRED');
    // Unused, live, yet not rotated: the statement ran past its deadline and did nothing. Retry.
    if (now > deadline.getTime()) throw unavailable();
    throw new AuthError('TOKEN_INVALID');
  };

  /**
   * The session's current token, when a rotated token presented again (at `now`, the database's
   * clock) is answered with it rather than treated as a replay:
   *  - within the grace of its rotation: another tab won the race;
   *  - or within the grace of the end of a stall this instance saw hold that rotation (see
   *    stallWitness.ts), if its successor was never used: its answer was lost to the stall.
   */
  const answerWith = async (token: RefreshTokenRow, usedAt: number, now: number) => {
    const grace = config.refreshReuseGraceMs;
    // The stall's times are this instance's: the database's clock read on it, now.
    const offset = now - clock.now();
    const lostInStall = () => stalls.held(usedAt - offset, now - offset, stallReachMs, grace);
    const raced = now - usedAt <= grace;
    if (!raced && !lostInStall()) return undefined;
    const current = await repos.sessions.currentToken(token.sessionId);
    if (!current || current.expiresAt.getTime() <= now) return undefined;
    return raced || current.jti === token.replacedBy ? current : undefined;
  };

  return {
    /**
     * Rotate a refresh token (see the rules at the top of this file). Only refreshes that fail
     * count against the address: a genuine token proves possession, so a busy office behind one
     * NAT (or a load test) may refresh as often as its sessions need; guessing and replaying may not.
     */
    async refresh(presented: string, meta: RequestMeta): Promise<AuthResult> {
      await limits.take('refreshIp', meta.ip, meta);
      const result = await rotateOrAnswer(presented, meta);
      await limits.forgive('refreshIp', meta.ip);
      return result;
    },
  };
}
