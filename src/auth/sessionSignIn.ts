/**
 * Signing in on a session: opening a new one (a refresh-token family) for a user who just
 * proved who they are, and recording a reauthentication on one that is already live.
 */
import { randomUUID } from 'node:crypto';
import type { RequestMeta } from './audit.js';
import { AuthError } from './errors.js';
import type { NewToken, Session } from './ports.js';
import { refreshExpiry } from './refreshExpiry.js';
import type { SessionParts } from './sessionDeps.js';
import { type AuthResult, issueTokenPair, seconds } from './tokenPair.js';
import { changeWithEvents } from './webhooks.js';

/** A sign-in's tokens, and its time: the user's `lastLoginAt` from now on. */
export interface SignedIn extends AuthResult {
  signedInAt: Date;
}

export function createSessionSignIn({ repos, tokens, audit, config, clock, transactions, roles }: SessionParts) {
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
      const token: NewToken = {
        jti: randomUUID(),
        issuedAt: new Date(seconds(now) * 1000),
        expiresAt: refreshExpiry(config, session.rememberMe, now, session.expiresAt.getTime()),
      };
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
      return { ...(await issueTokenPair(tokens, session, token, held)), signedInAt: session.createdAt };
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
      // A real sign-in: ADMIN_EMAILS applies, as at any other (an email code may just have proven the address).
      return issueTokenPair(tokens, session, current, await roles.atSignIn(session.userId));
    },
  };
}
