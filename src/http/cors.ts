/**
 * Apps on other origins (API.md §9.2): the origins of CORS_ORIGINS may call
 * GRAPHQL_PATH with credentials; every other origin gets no CORS headers, and
 * a request that carries one (a cross-site GET, which needs no preflight) is
 * refused before any GraphQL runs.
 *
 * Exact origins only, never a wildcard (a wildcard cannot carry credentials,
 * and a pattern is how `app.example.com.evil.net` gets in). Preflights are
 * cached by the browser for PREFLIGHT_MAX_AGE_S (Chromium caps it at two hours).
 *
 * @example
 *   await allowOrigins(app, config); // on the root instance, before the GraphQL routes
 */
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

export const PREFLIGHT_MAX_AGE_S = 600;

/** The request comes from this server's own origin (its Host, or PUBLIC_URL behind a proxy). */
function sameOrigin(origin: string, request: FastifyRequest, publicUrl: string): boolean {
  if (origin === publicUrl) return true;
  try {
    return new URL(origin).host === request.host;
  } catch {
    return false; // `null` (a sandboxed frame, a file) and other non-URLs
  }
}

/** Called on the root instance (not registered as a child plugin), so its hooks see every route. */
export async function allowOrigins(
  app: FastifyInstance,
  config: Pick<Config, 'corsOrigins' | 'graphqlPath' | 'publicUrl'>,
) {
  const allowed = new Set(config.corsOrigins);
  const isGraphql = (request: FastifyRequest) => request.url.split('?', 1)[0] === config.graphqlPath;

  if (allowed.size) {
    await app.register(cors, {
      // Per request, so only GRAPHQL_PATH answers CORS; `Vary: Origin` is set on every answer.
      delegator: (request, callback) => {
        const origin = request.headers.origin;
        const ok = isGraphql(request) && origin !== undefined && allowed.has(origin);
        callback(null, {
          origin: ok ? origin : false,
          credentials: true,
          methods: ['GET', 'POST'],
          allowedHeaders: ['content-type', 'authorization', 'accept'],
          maxAge: PREFLIGHT_MAX_AGE_S,
        });
      },
    });
  }

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (
      origin === undefined ||
      !isGraphql(request) ||
      allowed.has(origin) ||
      sameOrigin(origin, request, config.publicUrl)
    )
      return;
    return reply
      .code(403)
      .header('cache-control', 'no-store')
      .send({
        errors: [
          { message: `Origin ${origin} may not call this API (see CORS_ORIGINS)`, extensions: { code: 'FORBIDDEN' } },
        ],
      });
  });
}
