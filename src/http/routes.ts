/** The small routes: JWKS, liveness, readiness, Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { JWKS_MAX_AGE_S } from '../configApps.js';
import type { Services } from '../services.js';
import type { Metrics } from './metrics.js';

export async function plainRoutes(
  app: FastifyInstance,
  { services, metrics }: { services: Services; metrics: Metrics },
) {
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    const jwks = services.keys.jwks();
    if (!jwks)
      return reply.code(404).send({ error: 'JWKS_DISABLED', message: 'JWT_ALG=HS256: there are no public keys' });
    // Other services cache this: `keys rotate` publishes a key KEY_ACTIVATION_DELAY (this max-age + 1 min)
    // before it signs, and keeps old keys listed until their tokens expire.
    return reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_S}`).send(jwks);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      const problem = await services.health.problem();
      if (problem) return reply.code(503).send({ status: 'unavailable', reason: problem });
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    metrics.revokedSet.set(services.revocations.size());
    if (services.redisBreaker) {
      metrics.redisSkipped.set(services.redisBreaker.isOpen() ? 1 : 0);
      metrics.redisTrips.set(services.redisBreaker.trips());
    }
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
