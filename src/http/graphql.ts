/**
 * POST/GET /graphql: Mercurius with jit and its document cache, the Pothos
 * schema, and the per-request context (viewer from the bearer token, user+profile
 * loader, refresh cookie). JSON bodies only (src/http/transport.ts); mutations
 * over GET are refused by Mercurius with 405; batching is off.
 */
import DataLoader from 'dataloader';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import { AuthError } from '../auth/errors.js';
import type { UserWithProfile } from '../auth/ports.js';
import type { Viewer } from '../auth/sessions.js';
import type { GraphQLContext } from '../graphql/builder.js';
import { graphqlSchema } from '../graphql/schema.js';
import type { Services } from '../services.js';
import { clientAddress } from './clientAddress.js';
import { refreshCookie } from './cookies.js';
import { depthLimit } from './depth.js';
import { createErrorFormatter } from './errors.js';
import { setOAuthStateCookie } from './oauthRoutes.js';
import { graphqlTransport } from './transport.js';
import { validationRules } from './validation.js';

const USER_AGENT_MAX = 512;

/** `Bearer <token>` → the token; no header or another scheme → undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  return header.slice(space + 1).trim();
}

/**
 * A request's loaders, each made on first use. A class with a getter, not an object
 * literal with one: the literal's getter kept each request alive past young-generation
 * collections (docs/performance.md, "The speed work").
 */
class RequestLoaders {
  #user: DataLoader<string, UserWithProfile | null> | undefined;

  constructor(private readonly accounts: Services['accounts']) {}

  get user(): DataLoader<string, UserWithProfile | null> {
    return (this.#user ??= new DataLoader(async (ids: readonly string[]) => {
      const rows = await this.accounts.withProfiles(ids);
      const byId = new Map(rows.map((r) => [r.user.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }));
  }
}

export async function graphqlRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { config, sessions, accounts } = services;

  graphqlTransport(app, config.graphqlPath);

  const buildContext = (request: FastifyRequest, reply: FastifyReply): GraphQLContext => {
    let viewer: Promise<Viewer | null> | undefined;
    const context: GraphQLContext = {
      services,
      // User agents are capped (512 characters) once, here: audit rows and sessions keep no 15 kB headers.
      meta: { ip: clientAddress(request), userAgent: request.headers['user-agent']?.slice(0, USER_AGENT_MAX) ?? null },
      viewer() {
        viewer ??= (async () => {
          const token = bearerToken(request.headers.authorization);
          if (token === undefined) return null;
          if (!token) throw new AuthError('TOKEN_INVALID');
          return sessions.authenticate(token);
        })();
        return viewer;
      },
      async requireViewer() {
        const v = await context.viewer();
        if (!v) throw new AuthError('UNAUTHENTICATED');
        return v;
      },
      loaders: new RequestLoaders(accounts),
      refreshCookie: refreshCookie(request, reply, config),
      oauthStateCookie: { set: (providerId, value) => setOAuthStateCookie(reply, config, providerId, value) },
    };
    return context;
  };

  await app.register(mercurius, {
    schema: graphqlSchema(),
    path: config.graphqlPath,
    jit: 1,
    cache: true,
    allowBatchedQueries: false,
    // The depth limit is a validation rule of ours (depth.ts), not Mercurius' queryDepth: it must not block introspection.
    validationRules: [
      ...validationRules({ maxAliases: config.graphqlMaxAliases, production: config.production }),
      depthLimit(config.graphqlMaxDepth),
    ],
    graphiql: false,
    context: buildContext as never,
    errorFormatter: createErrorFormatter({ production: config.production }) as never,
  });
}
