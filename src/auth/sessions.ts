/**
 * Sessions: sign-in → a session (a refresh-token family); refresh → atomic
 * rotation with a grace window and reuse detection; revoke; authenticate an
 * access token without touching the database.
 *
 * The rules (API.md §4):
 *  - rotation marks the presented token used and issues its successor in one
 *    statement; of N concurrent refreshes exactly one rotates;
 *  - a rotated token presented again within REFRESH_REUSE_GRACE gets the
 *    session's *current* refresh token (same jti as the winner's) and a fresh
 *    access token: another tab raced, nobody is signed out;
 *  - after the grace it is a replay: the whole session is revoked (RFC 9700 §4.14.2);
 *  - no session outlives SESSION_ABSOLUTE_TTL; a revoked session's tokens give TOKEN_REVOKED.
 *
 * @example
 *   const result = await sessions.start(user.id, { rememberMe: true, meta, method: 'password' });
 *   const next = await sessions.refresh(result.refreshToken, meta);
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { Audit, RequestMeta } from './audit.js';
import { type Clock, pinnedTime } from './clock.js';
import { AuthError, unavailable } from './errors.js';
import { type Limits, noLimits } from './limits.js';
import type {
  LiveSession,
  NewToken,
  RefreshTokenRow,
  Repositories,
  RotateResult,
  Session,
  Successor,
} from './ports.js';
import { refreshExpiry } from './refreshExpiry.js';
import type { Revocations } from './revocations.js';
import type { Tokens } from './tokens.js';
import { type AuthResult, issueTokenPair, seconds } from './tokenPair.js';
import type { Transactions } from './webhookPorts.js';
import { changeWithEvents } from './webhooks.js';

export { type AuthResult, authenticatedAtOf } from './tokenPair.js';

/** A sign-in's tokens, and its time: the user's `lastLoginAt` from now on. */
export interface SignedIn extends AuthResult {
  signedInAt: Date;
}

/** Who an access token speaks for. */
export interface Viewer {
  userId: string;
  sessionId: string;
  /** The token's auth_time (seconds) and amr, when it carries them. */
  authTime?: number;
  amr?: string[];
}

type SessionConfig = Pick<
  Config,
  'refreshTokenTtlMs' | 'rememberMeTtlMs' | 'sessionAbsoluteTtlMs' | 'refreshReuseGraceMs' | 'databaseQueryTimeoutMs'
>;

interface Deps {
  repos: Pick<Repositories, 'sessions'>;
  tokens: Tokens;
  revocations: Revocations;
  audit: Audit;
  config: SessionConfig;
  clock: Clock;
  /** The per-address refresh limit (none when omitted). */
  limits?: Limits;
  /** Where sign-ins and revocations write their webhook events (none when omitted). */
  transactions?: Transactions;
  /** The account's roles for the `roles` claim (none when omitted). */
  roles?: { atSignIn(userId: string): Promise<string[]>; of(userId: string): Promise<string[]> };
}

const noRoles = { atSignIn: async () => [], of: async () => [] };

/**
 * A genuine refresh token (our signature) whose row is gone: flushed after it
 * expired, or deleted with its session or user — which ends the session.
 */
const goneReason = (exp: number, now: number) => (exp * 1000 <= now ? 'TOKEN_EXPIRED' : 'TOKEN_REVOKED');

export function createSessions({
  repos,
  tokens,
  revocations,
  audit,
  config,
  clock,
  limits = noLimits,
  transactions,
  roles = noRoles,
}: Deps) {
  /** Revoke with `write` and emit `session.revoked` for each session it ended, in one transaction. */
  const revokeWithEvents = <T>(
    write: (r: Pick<Repositories, 'sessions'>) => Promise<T>,
    ended: (result: T) => { userId: string; sessionIds: readonly string[] },
    reason: string,
  ) =>
    changeWithEvents(transactions, repos, write, (result) => {
      const { userId, sessionIds } = ended(result);
      return sessionIds.map((sessionId) => ['session.revoked', { userId, sessionId, reason }] as const);
    });

  const newToken = (session: Pick<Session, 'rememberMe' | 'expiresAt'>, now: number): NewToken => ({
    jti: randomUUID(),
    issuedAt: new Date(seconds(now) * 1000),
    expiresAt: refreshExpiry(config, session.rememberMe, now, session.expiresAt.getTime()),
  });
  /** A rotation's successor: the database knows the session, so it gets both answers (see Successor). */
  const successor = (now: number): Successor => ({
    jti: randomUUID(),
    issuedAt: new Date(seconds(now) * 1000),
    expiresAt: { rememberMe: refreshExpiry(config, true, now), plain: refreshExpiry(config, false, now) },
  });

  /** The token pair for a session whose current refresh token is `token`. */
  const issue = (session: Session, token: RefreshTokenRow | NewToken, held?: readonly string[]) =>
    issueTokenPair(tokens, session, token, held);

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
    // The event is written by the rotation itself (its user and session filled in there).
    await audit.recordWith('refresh', null, meta, undefined, async (event) => {
      result = await repos.sessions.rotate(claims.jti, successor(started), { at, deadline, event });
      return result.kind === 'rotated';
    });

    if (result.kind === 'rotated') return issue(result.session, result.token, result.roles);
    if (result.kind === 'unknown') throw new AuthError(goneReason(claims.exp, clock.now()));

    const { token, session, userActive, nowMs: now } = result;
    if (session.revokedAt || !userActive) throw new AuthError('TOKEN_REVOKED');
    if (session.expiresAt.getTime() <= now) throw new AuthError('SESSION_EXPIRED');
    if (token.usedAt) {
      if (now - token.usedAt.getTime() <= config.refreshReuseGraceMs) {
        // Another tab won the race: answer with the chain's current token, not a new one.
        const current = await repos.sessions.currentToken(session.id);
        if (current && current.expiresAt.getTime() > now)
          return issue(session, current, await roles.of(session.userId));
      }
      const revoked = await revokeWithEvents(
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

  return {
    /**
     * Open a new session for a user who just proved who they are (by `method`: password,
     * otp, register, …; `amr` its RFC 8176 methods): the session, its first token, the login
     * stamp and the login_succeeded event are written together. Only the sign-in pipeline
     * (signIn.ts) calls this: it decides first whether a second factor is needed.
     */
    async start(
      userId: string,
      { rememberMe, meta, method, amr }: { rememberMe: boolean; meta: RequestMeta; method: string; amr: string[] },
    ): Promise<SignedIn> {
      const now = clock.now();
      const session: Session & { amr: string[] } = {
        id: randomUUID(),
        userId,
        rememberMe,
        createdAt: new Date(now),
        lastUsedAt: new Date(now),
        expiresAt: new Date(now + config.sessionAbsoluteTtlMs),
        revokedAt: null,
        revokeReason: null,
        userAgent: meta.userAgent?.slice(0, 512) ?? null,
        ip: meta.ip,
        authenticatedAt: new Date(now),
        amr,
      };
      const token = newToken(session, now);
      const held = await roles.atSignIn(userId);
      let opened = false;
      await audit.recordWith('login_succeeded', userId, meta, { method }, async (event) => {
        opened = await changeWithEvents(
          transactions,
          repos,
          (r) => r.sessions.signIn(session, token, event),
          (ok) =>
            ok
              ? [
                  [
                    'user.signed_in',
                    { userId, sessionId: session.id, method, amr, ip: session.ip, userAgent: session.userAgent },
                  ],
                ]
              : [],
        );
        return opened;
      });
      // The account was deleted while it signed in: no session was opened, so no tokens.
      if (!opened) throw new AuthError('INVALID_CREDENTIALS');
      return { ...(await issue(session, token, held)), signedInAt: session.createdAt };
    },

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

    /**
     * Who a bearer token speaks for, or an AuthError. No database query:
     * the signature is checked (or found in the cache) and the session looked up in the revoked set.
     */
    async authenticate(accessToken: string): Promise<Viewer> {
      const claims = await tokens.verifyAccess(accessToken);
      if (revocations.refuses(claims)) throw new AuthError('TOKEN_REVOKED');
      return { userId: claims.sub, sessionId: claims.sid, authTime: claims.auth_time, amr: claims.amr };
    },

    /**
     * Record a real sign-in on a live session (reauthentication) and hand
     * out tokens that say so: a new access token, and the session's current refresh token.
     */
    async reauthenticated(viewer: { userId: string; sessionId: string }, amr: string[]): Promise<AuthResult> {
      const now = clock.now();
      const session = await repos.sessions.markAuthenticated(viewer.sessionId, viewer.userId, new Date(now), amr);
      const current = session && (await repos.sessions.currentToken(session.id));
      if (!session || !current || current.expiresAt.getTime() <= now) throw new AuthError('UNAUTHENTICATED');
      return issue(session, current, await roles.of(session.userId));
    },

    /** The session a refresh token belongs to, if the token is genuine (for logout). */
    async sessionOfRefreshToken(presented: string): Promise<{ sessionId: string; userId: string } | undefined> {
      try {
        const claims = await tokens.verifyRefresh(presented);
        return { sessionId: claims.sid, userId: claims.sub };
      } catch {
        return undefined;
      }
    },

    /**
     * The session of a refresh token that could still refresh: genuine, not rotated, not expired,
     * its session neither revoked nor past its end. An old cookie (from a backup, a rotated or
     * logged-out token) proves nothing about the session now, so it may not end every session.
     */
    async liveSessionOfRefreshToken(presented: string): Promise<Viewer | undefined> {
      const claims = await tokens.verifyRefresh(presented).catch(() => undefined);
      const found = claims && (await repos.sessions.findToken(claims.jti));
      const now = clock.now();
      if (!found || found.token.usedAt || found.token.expiresAt.getTime() <= now) return undefined;
      if (found.session.revokedAt || found.session.expiresAt.getTime() <= now) return undefined;
      return { userId: found.session.userId, sessionId: found.session.id };
    },

    /** End one session. With `userId`, only if it belongs to that user. True when it was live. */
    async revoke(
      sessionId: string,
      opts: { reason: string; meta: RequestMeta; userId?: string; actorId?: string | null },
    ): Promise<boolean> {
      const row = await revokeWithEvents(
        (r) => r.sessions.revoke(sessionId, opts.reason, pinnedTime(clock), opts.userId),
        (row) => ({ userId: row?.userId ?? '', sessionIds: row ? [sessionId] : [] }),
        opts.reason,
      );
      // Refuse its access tokens here even if it was already revoked (idempotent).
      if (row || !opts.userId) await revocations.revoke([sessionId]);
      if (row)
        await audit.record(
          opts.reason === 'logout' ? 'logout' : 'session_revoked',
          row.userId,
          opts.meta,
          { sessionId, reason: opts.reason },
          opts.actorId,
        );
      return Boolean(row);
    },

    /** End every session of a user (optionally keeping one); returns how many ended. */
    async revokeAll(
      userId: string,
      opts: { reason: string; meta: RequestMeta; exceptSessionId?: string; actorId?: string | null },
    ): Promise<number> {
      const ids = await revokeWithEvents(
        (r) => r.sessions.revokeAllForUser(userId, opts.reason, pinnedTime(clock), opts.exceptSessionId),
        (sessionIds) => ({ userId, sessionIds }),
        opts.reason,
      );
      await revocations.revoke(ids);
      if (ids.length) {
        await audit.record(
          opts.reason === 'logout' ? 'logout' : 'session_revoked',
          userId,
          opts.meta,
          { sessions: ids.length, reason: opts.reason },
          opts.actorId,
        );
      }
      return ids.length;
    },

    async list(userId: string): Promise<LiveSession[]> {
      return repos.sessions.listLive(userId, new Date(clock.now()));
    },

    /**
     * Delete expired refresh tokens and dead sessions (`latchkey tokens flush-expired`),
     * keeping sessions revoked so recently that their access tokens may still be
     * live: their rows refuse those tokens after a restart.
     */
    async flushExpired(): Promise<{ sessions: number; refreshTokens: number }> {
      const now = clock.now();
      return repos.sessions.flushExpired(new Date(now), new Date(now - revocations.ttlMs));
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
