/**
 * `GET /.well-known/openid-configuration` (API.md §9.3): enough discovery for a
 * JWT library to find the keys — `issuer` (the tokens' `iss`, JWT_ISSUER) and
 * `jwks_uri` (on PUBLIC_URL). Latchkey is not an OpenID provider (no
 * authorization endpoint, no ID tokens); only the fields that are true are listed.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { JWKS_MAX_AGE_S } from '../configApps.js';

export async function discoveryRoutes(app: FastifyInstance, { config }: { config: Config }) {
  const document = {
    issuer: config.jwtIssuer,
    jwks_uri: `${config.publicUrl}/.well-known/jwks.json`,
    id_token_signing_alg_values_supported: [config.jwtAlg],
    token_endpoint_auth_methods_supported: ['none'],
  };
  app.get('/.well-known/openid-configuration', async (_request, reply) => {
    if (config.jwtAlg === 'HS256')
      return reply.code(404).send({ error: 'JWKS_DISABLED', message: 'JWT_ALG=HS256: there are no public keys' });
    return reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_S}`).send(document);
  });
}
