/**
 * `GET /revocations?since=<cursor>&limit=<n>` (API.md §9.3), for other services:
 * bearer REVOCATION_FEED_TOKEN; 404 when the setting is unset (the feed is off),
 * 401 for a missing or wrong token (compared in constant time). Pages hold at most
 * FEED_MAX_PAGE revocations (500 unless `limit` asks for fewer or more).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { isAuthError } from '../auth/errors.js';
import { FEED_MAX_PAGE } from '../auth/revocationFeed.js';
import type { Services } from '../services.js';
import { bearerToken } from './graphql.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

export async function revocationFeedRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const secret = services.config.revocationFeedToken;
  const expected = secret ? digest(secret) : undefined;

  app.get('/revocations', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (!expected)
      return reply
        .code(404)
        .send({ error: 'NOT_FOUND', message: 'The revocation feed is off: set REVOCATION_FEED_TOKEN' });
    const token = bearerToken(request.headers.authorization);
    if (!token || !timingSafeEqual(digest(token), expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="latchkey-revocations"')
        .send({ error: 'UNAUTHENTICATED', message: 'Bearer REVOCATION_FEED_TOKEN required' });
    }
    const query = request.query as { since?: unknown; limit?: unknown };
    const since = typeof query.since === 'string' && query.since !== '' ? query.since : undefined;
    const limit = query.limit === undefined ? 500 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > FEED_MAX_PAGE) {
      return reply
        .code(400)
        .send({ error: 'BAD_USER_INPUT', message: `limit: a whole number from 1 to ${FEED_MAX_PAGE}` });
    }
    try {
      return await services.revocationFeed.read(since, limit);
    } catch (e) {
      if (isAuthError(e) && e.code === 'BAD_USER_INPUT')
        return reply.code(400).send({ error: e.code, message: e.message });
      throw e;
    }
  });
}
