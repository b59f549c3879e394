/**
 * The token pair a session hands out (sessions.ts) after a sign-in, a refresh or a
 * reauthentication: a new access token and the session's current refresh token.
 */
import type { NewToken, RefreshTokenRow, Session } from './ports.js';
import type { Tokens } from './tokens.js';

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

/** A session's last real sign-in: rows older than the column count from their start. */
export const authenticatedAtOf = (session: Pick<Session, 'authenticatedAt' | 'createdAt'>) =>
  session.authenticatedAt ?? session.createdAt;

export const seconds = (ms: number) => Math.floor(ms / 1000);

/** The token pair for a session whose current refresh token is `token`. */
export async function issueTokenPair(
  tokens: Tokens,
  session: Session,
  token: RefreshTokenRow | NewToken,
  /** The account's roles now (the `roles` claim). */
  roles: readonly string[] = [],
): Promise<AuthResult> {
  const [access, refreshToken] = await Promise.all([
    tokens.signAccess({
      sub: session.userId,
      sid: session.id,
      authTime: authenticatedAtOf(session),
      amr: session.amr ?? [],
      roles,
      notAfter: session.expiresAt,
    }),
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
}
