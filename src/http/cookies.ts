/**
 * The refresh-token cookie: HttpOnly, Secure and SameSite per settings, path
 * limited to the GraphQL endpoint. Remember-me off → a session cookie (no
 * Max-Age); on → Max-Age until the token expires. Responses that set or clear
 * it are marked `Cache-Control: no-store`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthResult } from '../auth/sessions.js';
import type { Clock } from '../auth/clock.js';
import type { Config } from '../config.js';
import type { RefreshCookie } from '../graphql/builder.js';

export const REFRESH_COOKIE = 'latchkey_refresh';
export const GRAPHQL_PATH = '/graphql';

export function refreshCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite'>,
  clock: Clock,
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
      // Whole seconds until the token expires, rounded up: a fresh remember-me login gets exactly REMEMBER_ME_TTL.
      const maxAge = result.rememberMe
        ? Math.max(0, Math.ceil((result.refreshTokenExpiresAt.getTime() - clock.now()) / 1000))
        : undefined;
      reply.setCookie(REFRESH_COOKIE, result.refreshToken, maxAge === undefined ? attributes : { ...attributes, maxAge });
    },
    clear() {
      reply.header('cache-control', 'no-store');
      reply.clearCookie(REFRESH_COOKIE, attributes);
    },
  };
}
