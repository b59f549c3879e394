/** The small routes: JWKS, liveness, readiness, Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { schemaProblem, schemaStatus } from '../store/migrate.js';
import type { Metrics } from './metrics.js';

/** How long /readyz waits for the database before answering 503. */
const READY_TIMEOUT_MS = 1000;

const withinLimit = <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
};

export async function plainRoutes(app: FastifyInstance, { services, metrics }: { services: Services; metrics: Metrics }) {
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    const jwks = services.keys.jwks();
    if (!jwks) return reply.code(404).send({ error: 'JWKS_DISABLED', message: 'JWT_ALG=HS256: there are no public keys' });
    // Other services cache this; rotation keeps old keys listed until their tokens expire.
    return reply.header('cache-control', 'public, max-age=300').send(jwks);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      // Its own connection and its own short limit: a probe never waits on (or holds) the pool.
      await services.database.probe(READY_TIMEOUT_MS);
      const problem = schemaProblem(await withinLimit(schemaStatus(services.database), READY_TIMEOUT_MS));
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
