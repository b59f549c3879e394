/**
 * The refresh-token cookie: HttpOnly, Secure and SameSite per settings, path
 * limited to the GraphQL endpoint (GRAPHQL_PATH), Domain per COOKIE_DOMAIN; its Max-Age is the domain's `refreshCookieMaxAge`
 * (none without remember-me). Responses that set or clear it are marked
 * `Cache-Control: no-store`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAuthError } from '../auth/errors.js';
import { refreshCookieMaxAge } from '../auth/refreshExpiry.js';
import type { AuthResult } from '../auth/sessions.js';
import type { Config } from '../config.js';
import type { RefreshCookie } from '../graphql/builder.js';

export const REFRESH_COOKIE = 'latchkey_refresh';
export function refreshCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite' | 'cookieDomain' | 'graphqlPath'>,
): RefreshCookie {
  const attributes = {
    httpOnly: true,
    secure: config.cookieSecure,
    sameSite: config.cookieSameSite.toLowerCase() as 'strict' | 'lax' | 'none',
    path: config.graphqlPath,
    // Unset: host-only. Set (`example.com`): sent to auth.example.com from app.example.com's calls too.
    ...(config.cookieDomain ? { domain: config.cookieDomain } : {}),
  };
  function clear() {
    reply.header('cache-control', 'no-store');
    reply.clearCookie(REFRESH_COOKIE, attributes);
  }
  return {
    read: () => request.cookies[REFRESH_COOKIE] || undefined,
    set(result: AuthResult) {
      reply.header('cache-control', 'no-store');
      const maxAge = refreshCookieMaxAge(result);
      reply.setCookie(
        REFRESH_COOKIE,
        result.refreshToken,
        maxAge === undefined ? attributes : { ...attributes, maxAge },
      );
    },
    clear,
    refused(error) {
      // A dead refresh cookie is useless to the browser: drop it so the client stops sending it.
      // A rate limit or a busy database says nothing about the token, so it stays.
      if (isAuthError(error) && error.code !== 'RATE_LIMITED' && error.code !== 'SERVICE_UNAVAILABLE') clear();
    },
  };
}
