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
import { decodeProtectedHeader } from 'jose';
import type { Config } from '../config.js';
import type { Repositories } from '../store/repositories/index.js';
import type { LiveSession, NewToken, RefreshTokenRow, SessionRow, Successor } from '../store/repositories/sessions.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Clock } from './clock.js';
import { AuthError, isAuthError } from './errors.js';
import { type Limits, noLimits } from './limits.js';
import type { Revocations } from './revocations.js';
import { ACCESS_TYP, REFRESH_TYP, type Tokens } from './tokens.js';

export interface AuthResult {
  userId: string;
  sessionId: string;
  rememberMe: boolean;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  /** Whole seconds, like the token's `iat`. */
  refreshTokenIssuedAt: Date;
  refreshTokenExpiresAt: Date;
}

/** A sign-in's tokens, and its time: the user's `lastLoginAt` from now on. */
export interface SignedIn extends AuthResult {
  signedInAt: Date;
}

export interface TokenInfo {
  valid: boolean;
  tokenType: 'access' | 'refresh' | null;
  userId: string | null;
  expiresAt: Date | null;
  /** An error code of API.md §5 when not valid. */
  reason: string | null;
}

const codeOf = (e: unknown) => (isAuthError(e) ? e.code : 'TOKEN_INVALID');

/** Who an access token speaks for. */
export interface Viewer {
  userId: string;
  sessionId: string;
  /** The token's auth_time (seconds) and amr, when it carries them. */
  authTime?: number;
  amr?: string[];
}

/** A session's last real sign-in: rows older than the column count from their start. */
export const authenticatedAtOf = (session: Pick<SessionRow, 'authenticatedAt' | 'createdAt'>) => session.authenticatedAt ?? session.createdAt;

type SessionConfig = Pick<
  Config,
  'refreshTokenTtlMs' | 'rememberMeTtlMs' | 'sessionAbsoluteTtlMs' | 'refreshReuseGraceMs'
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
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * A genuine refresh token (our signature) whose row is gone: flushed after it
 * expired, or deleted with its session or user — which ends the session.
 */
const goneReason = (exp: number, now: number) => (exp * 1000 <= now ? 'TOKEN_EXPIRED' : 'TOKEN_REVOKED');

export function createSessions({ repos, tokens, revocations, audit, config, clock, limits = noLimits }: Deps) {
  /** A refresh token's lifetime: the remember-me choice, never past the session's absolute end. */
  // Whole seconds, so the token string can be signed again from the row alone.
  const expiry = (rememberMe: boolean, now: number) => seconds(now + (rememberMe ? config.rememberMeTtlMs : config.refreshTokenTtlMs)) * 1000;
  const newToken = (session: Pick<SessionRow, 'rememberMe' | 'expiresAt'>, now: number): NewToken => {
    const exp = Math.min(expiry(session.rememberMe, now), seconds(session.expiresAt.getTime()) * 1000);
    return { jti: randomUUID(), issuedAt: new Date(seconds(now) * 1000), expiresAt: new Date(exp) };
  };
  /** The same rule for a rotation, where the database knows the session: it picks and caps (see Successor). */
  const successor = (now: number): Successor => ({
    jti: randomUUID(),
    issuedAt: new Date(seconds(now) * 1000),
    expiresAt: { rememberMe: new Date(expiry(true, now)), plain: new Date(expiry(false, now)) },
  });

  /** The token pair for a session whose current refresh token is `token`. */
  const issue = async (session: SessionRow, token: RefreshTokenRow | NewToken): Promise<AuthResult> => {
    const [access, refreshToken] = await Promise.all([
      tokens.signAccess({ sub: session.userId, sid: session.id, authTime: authenticatedAtOf(session), amr: session.amr ?? [] }),
      tokens.signRefresh({
        sub: session.userId,
        sid: session.id,
        jti: token.jti,
        iat: seconds(token.issuedAt.getTime()),
        exp: seconds(token.expiresAt.getTime()),
      }),
    ]);
    return {
      userId: session.userId,
      sessionId: session.id,
      rememberMe: session.rememberMe,
      accessToken: access.token,
      accessTokenExpiresAt: new Date(access.claims.exp * 1000),
      refreshToken,
      refreshTokenIssuedAt: token.issuedAt,
      refreshTokenExpiresAt: token.expiresAt,
    };
  };

  const revokeIds = async (ids: string[]) => {
    await revocations.revoke(ids);
  };

  /** One refresh, limits aside: a rotation, the current token inside the grace, or an AuthError. */
  const rotateOrAnswer = async (presented: string, meta: RequestMeta): Promise<AuthResult> => {
    const claims = await tokens.verifyRefresh(presented);
    const now = clock.now();
    const result = await repos.sessions.rotate(claims.jti, new Date(now), successor(now));

    if (result.kind === 'rotated') {
      await audit.record('refresh', result.session.userId, meta, { sessionId: result.session.id });
      return issue(result.session, result.token);
    }
    if (result.kind === 'unknown') throw new AuthError(goneReason(claims.exp, now));

    const { token, session, userActive } = result;
    if (session.revokedAt || !userActive) throw new AuthError('TOKEN_REVOKED');
    if (session.expiresAt.getTime() <= now) throw new AuthError('SESSION_EXPIRED');
    if (token.usedAt) {
      if (now - token.usedAt.getTime() <= config.refreshReuseGraceMs) {
        // Another tab won the race: answer with the chain's current token, not a new one.
        const current = await repos.sessions.currentToken(session.id);
        if (current && current.expiresAt.getTime() > now) return issue(session, current);
      }
      const revoked = await repos.sessions.revoke(session.id, 'reuse', new Date(now));
      if (revoked) await revokeIds([session.id]);
      await audit.record('refresh_reuse_detected', session.userId, meta, { sessionId: session.id, jti: token.jti });
      throw new AuthError('TOKEN_REUSED');
    }
    if (token.expiresAt.getTime() <= now) throw new AuthError('TOKEN_EXPIRED');
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
      const session: SessionRow & { amr: string[] } = {
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
      await audit.recordWith('login_succeeded', userId, meta, { method }, (event) => repos.sessions.signIn(session, token, event));
      return { ...(await issue(session, token)), signedInAt: session.createdAt };
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
      if (revocations.has(claims.sid)) throw new AuthError('TOKEN_REVOKED');
      return { userId: claims.sub, sessionId: claims.sid, authTime: claims.auth_time, amr: claims.amr };
    },

    /** The live session behind a viewer (for the recent sign-in rule), or undefined. */
    async live(viewer: { userId: string; sessionId: string }): Promise<SessionRow | undefined> {
      const row = await repos.sessions.findById(viewer.sessionId);
      const now = clock.now();
      return row && row.userId === viewer.userId && !row.revokedAt && row.expiresAt.getTime() > now ? row : undefined;
    },

    /** Record a real sign-in on a live session (a password change proves the password); false when it is not live. */
    async markAuthenticated(viewer: { userId: string; sessionId: string }, amr: string[]): Promise<boolean> {
      return Boolean(await repos.sessions.markAuthenticated(viewer.sessionId, viewer.userId, new Date(clock.now()), amr));
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
      return issue(session, current);
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

    /** End one session. With `userId`, only if it belongs to that user. True when it was live. */
    async revoke(sessionId: string, opts: { reason: string; meta: RequestMeta; userId?: string }): Promise<boolean> {
      const row = await repos.sessions.revoke(sessionId, opts.reason, new Date(clock.now()), opts.userId);
      // Refuse its access tokens here even if it was already revoked (idempotent).
      if (row || !opts.userId) await revokeIds([sessionId]);
      if (row) await audit.record(opts.reason === 'logout' ? 'logout' : 'session_revoked', row.userId, opts.meta, { sessionId, reason: opts.reason });
      return Boolean(row);
    },

    /** End every session of a user (optionally keeping one); returns how many ended. */
    async revokeAll(userId: string, opts: { reason: string; meta: RequestMeta; exceptSessionId?: string }): Promise<number> {
      const ids = await repos.sessions.revokeAllForUser(userId, opts.reason, new Date(clock.now()), opts.exceptSessionId);
      await revokeIds(ids);
      if (ids.length) {
        await audit.record(opts.reason === 'logout' ? 'logout' : 'session_revoked', userId, opts.meta, {
          sessions: ids.length,
          reason: opts.reason,
        });
      }
      return ids.length;
    },

    /**
     * Whether `token` would be accepted as a bearer (access) token now, and what it
     * is: the `verifyToken` operation. A refresh token is never `valid` here, so a
     * service that looks only at `valid` cannot take one for an access token
     * (API.md §4.1). Changes nothing and makes no database query.
     */
    async inspect(token: string): Promise<TokenInfo> {
      let typ: unknown;
      try {
        typ = decodeProtectedHeader(token).typ;
      } catch {
        typ = undefined;
      }
      const tokenType = typ === ACCESS_TYP ? 'access' : typ === REFRESH_TYP ? 'refresh' : null;
      try {
        const claims = await tokens.verifyAccess(token);
        const revoked = revocations.has(claims.sid);
        return {
          valid: !revoked,
          tokenType: 'access',
          userId: revoked ? null : claims.sub,
          expiresAt: new Date(claims.exp * 1000),
          reason: revoked ? 'TOKEN_REVOKED' : null,
        };
      } catch (e) {
        return { valid: false, tokenType, userId: null, expiresAt: null, reason: codeOf(e) };
      }
    },

    async list(userId: string): Promise<LiveSession[]> {
      return repos.sessions.listLive(userId, new Date(clock.now()));
    },

    /**
     * A function that, each time it is called, adds to the revoked set the
     * sessions revoked since its last call (by the CLI, or by an instance that
     * cannot reach this one). Overlaps by a few seconds for clock skew; adding twice is harmless.
     */
    revocationFollower() {
      let last = clock.now();
      return async () => {
        const started = clock.now();
        const rows = await repos.sessions.revokedSince(new Date(last - 5000));
        for (const r of rows) revocations.add([r.id], r.revokedAt.getTime() + revocations.ttlMs);
        last = started;
      };
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

    /** Fill the revoked set from the database (at start): sessions whose access tokens may still be live. */
    async loadRevocations(): Promise<number> {
      const rows = await repos.sessions.revokedSince(new Date(clock.now() - revocations.ttlMs));
      for (const r of rows) revocations.add([r.id], r.revokedAt.getTime() + revocations.ttlMs);
      return rows.length;
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
