/**
 * External sign-in over HTTP (API.md §9.1): the state cookie `startOAuth` sets, and the
 * redirect URI `GET /auth/oauth/<id>/callback`, which ends in a redirect — to `next`, to the
 * second step (`/login/verify#challenge=…`), or to `/login?error=<CODE>` — never with a token
 * in the URL. The refresh cookie is set here when the pipeline opened a session.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Services } from '../services.js';
import { clientAddress } from './clientAddress.js';
import { refreshCookie } from './cookies.js';

export const OAUTH_STATE_COOKIE = 'latchkey_oauth';

/** As long as the `state` challenge lives (5 minutes). */
const STATE_MAX_AGE_S = 300;

const callbackPath = (id: string) => `/auth/oauth/${id}/callback`;

/**
 * HttpOnly; SameSite=Lax so it comes along on the provider's top-level redirect back; its path
 * is the callback's, so no other request carries it.
 */
function stateCookieAttributes(config: Pick<Config, 'cookieSecure'>, providerId: string) {
  return { httpOnly: true, secure: config.cookieSecure, sameSite: 'lax' as const, path: callbackPath(providerId) };
}

export function setOAuthStateCookie(
  reply: FastifyReply,
  config: Pick<Config, 'cookieSecure'>,
  providerId: string,
  value: string,
): void {
  reply.header('cache-control', 'no-store');
  reply.setCookie(OAUTH_STATE_COOKIE, value, { ...stateCookieAttributes(config, providerId), maxAge: STATE_MAX_AGE_S });
}

export async function oauthRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { config, oauth } = services;
  app.get<{ Params: { id: string } }>(
    '/auth/oauth/:id/callback',
    async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const id = request.params.id;
      if (!config.oauthProviders.some((p) => p.id === id))
        return reply.code(404).send({ error: 'NOT_FOUND', message: 'No such provider' });
      const meta = { ip: clientAddress(request), userAgent: request.headers['user-agent']?.slice(0, 512) ?? null };
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const url = new URL(`${config.publicUrl}${callbackPath(id)}${query}`);
      const outcome = await oauth.callback(id, url, request.cookies[OAUTH_STATE_COOKIE], meta);
      // The state is spent either way: the browser drops it.
      reply.clearCookie(OAUTH_STATE_COOKIE, stateCookieAttributes(config, id));
      if (outcome.signedIn) refreshCookie(request, reply, config).set(outcome.signedIn);
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      return reply.redirect(outcome.location, 303);
    },
  );
}
