/**
 * Sessions: sign-in → a session (a refresh-token family); refresh → atomic
 * rotation with a grace window and reuse detection; revoke; authenticate an
 * access token without touching the database.
 *
 * This file assembles the parts and answers the lookups; the parts live beside it:
 * opening a session and reauthenticating on one (sessionSignIn.ts), refresh and its
 * rules (sessionRotation.ts), ending sessions (sessionEnd.ts).
 *
 * @example
 *   const result = await sessions.start(user.id, { rememberMe: true, meta, method: 'password' });
 *   const next = await sessions.refresh(result.refreshToken, meta);
 */
import { AuthError } from './errors.js';
import type { LiveSession } from './ports.js';
import { type SessionDeps, withDefaults } from './sessionDeps.js';
import { createSessionEnd } from './sessionEnd.js';
import { createSessionRotation } from './sessionRotation.js';
import { createSessionSignIn } from './sessionSignIn.js';

export { type AuthResult, authenticatedAtOf } from './tokenPair.js';
export type { SignedIn } from './sessionSignIn.js';

/** Who an access token speaks for. */
export interface Viewer {
  userId: string;
  sessionId: string;
  /** The token's auth_time (seconds) and amr, when it carries them. */
  authTime?: number;
  amr?: string[];
}

export function createSessions(input: SessionDeps) {
  const deps = withDefaults(input);
  const { repos, tokens, revocations, clock } = deps;
  return {
    ...createSessionSignIn(deps),
    ...createSessionRotation(deps),
    ...createSessionEnd(deps),

    /**
     * Who a bearer token speaks for, or an AuthError. No database query:
     * the signature is checked (or found in the cache) and the session looked up in the revoked set.
     */
    async authenticate(accessToken: string): Promise<Viewer> {
      const claims = await tokens.verifyAccess(accessToken);
      if (revocations.refuses(claims)) throw new AuthError('TOKEN_REVOKED');
      return { userId: claims.sub, sessionId: claims.sid, authTime: claims.auth_time, amr: claims.amr };
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

    async list(userId: string): Promise<LiveSession[]> {
      return repos.sessions.listLive(userId, new Date(clock.now()));
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
