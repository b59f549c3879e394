/**
 * The refresh-token cookie: HttpOnly, Secure and SameSite per settings, path
 * limited to the GraphQL endpoint. Remember-me off → a session cookie (no
 * Max-Age); on → Max-Age until the token expires. Responses that set or clear
 * it are marked `Cache-Control: no-store`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthResult } from '../auth/sessions.js';
import type { Config } from '../config.js';
import type { RefreshCookie } from '../graphql/builder.js';

export const REFRESH_COOKIE = 'latchkey_refresh';
export const GRAPHQL_PATH = '/graphql';

export function refreshCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite'>,
): RefreshCookie {
  const attributes = {
    httpOnly: true,
    secure: config.cookieSecure,
    sameSite: config.cookieSameSite.toLowerCase() as 'strict' | 'lax' | 'none',
    path: GRAPHQL_PATH,
  };
  return {
    read: () => request.cookies[REFRESH_COOKIE] || undefined,
    set(result: AuthResult) {
      reply.header('cache-control', 'no-store');
      // The token's own lifetime (exp − iat, whole seconds): a fresh remember-me token gets exactly
      // REMEMBER_ME_TTL however long the request took, and one capped by SESSION_ABSOLUTE_TTL less.
      // (A token handed again inside the grace window keeps its cookie a few seconds past its
      // expiry at most; the server refuses it then.)
      const maxAge = result.rememberMe
        ? Math.max(0, Math.ceil((result.refreshTokenExpiresAt.getTime() - result.refreshTokenIssuedAt.getTime()) / 1000))
        : undefined;
      reply.setCookie(REFRESH_COOKIE, result.refreshToken, maxAge === undefined ? attributes : { ...attributes, maxAge });
    },
    clear() {
      reply.header('cache-control', 'no-store');
      reply.clearCookie(REFRESH_COOKIE, attributes);
    },
  };
}
