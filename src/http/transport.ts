/**
 * GraphQL-over-HTTP rules of the /graphql endpoint, enforced before any
 * GraphQL runs (registered in the GraphQL plugin, so they apply to its routes
 * only):
 *
 * - a POST body is JSON in UTF-8: any other content type (`text/plain`, forms,
 *   multipart: what a cross-site form can send; `application/graphql`) is 415
 *   before the body is read, another charset is 415, invalid UTF-8 is 400;
 * - HEAD is 405 (it would run the GET handler without Mercurius' GET-only-queries check);
 * - no text may hold U+0000 (PostgreSQL cannot store it; refusing it up front
 *   turns a database error into a clear BAD_USER_INPUT);
 * - `query` is a GraphQL document: Mercurius would otherwise take a JSON
 *   string for a ready-made syntax tree;
 * - the document costs no more to parse and validate than a real client's
 *   (size, tokens, fragments, directives: src/http/documentCost.ts);
 * - the answer is `application/graphql-response+json` when the client accepts
 *   it, `application/json` otherwise; it is never cached (`no-store`); a 405
 *   says which methods are allowed.
 *
 * @example
 *   graphqlTransport(app); // before registering Mercurius: its routes inherit these hooks
 *   await app.register(mercurius, options);
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type DocumentNode, getOperationAST, parse } from 'graphql';
import { checkDocumentCost } from './documentCost.js';
import { requestError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const ALLOW = 'GET, POST';
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** True when some string in `value` (keys included) contains U+0000. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  for (const [k, v] of Object.entries(value)) if (k.includes('\u0000') || containsNul(v, depth + 1)) return true;
  return false;
}

/**
 * Starts like a GraphQL document: an optional `{` and then a name or a comment. Of
 * such texts only a bare `true`, `false` or `null` is also JSON. Tested first because
 * JSON.parse throws on every ordinary document, and an exception per request is costly
 * (docs/performance.md).
 */
const GRAPHQL_START = /^[\s,]*(?:\{[\s,]*)?[_A-Za-z#]/;
const JSON_LITERAL = /^\s*(?:true|false|null)\s*$/;

function isJson(text: string): boolean {
  if (GRAPHQL_START.test(text) && !JSON_LITERAL.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The variables of a GET request (a JSON string in the query string), when they parse. */
function getVariables(raw: unknown): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined; // Mercurius reports the syntax error itself
  }
}

/**
 * Mercurius picks the operation of a GET to check that it is a query, and
 * crashes when there is none to pick (several operations and no or an unknown
 * `operationName`): answer that as the bad request it is. GETs are rare here
 * (the client POSTs), so parsing twice costs nothing that matters.
 */
function checkGetOperation(query: string, operationName: unknown): void {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return; // Mercurius reports the syntax error itself
  }
  if (!getOperationAST(document, typeof operationName === 'string' ? operationName : undefined)) {
    throw requestError(
      400,
      operationName
        ? `Unknown operation named "${String(operationName)}"`
        : 'Must provide operation name if query contains multiple operations',
    );
  }
}

/** Accept lists `application/graphql-response+json` (with a non-zero q). */
export function acceptsGraphqlResponse(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return type === GRAPHQL_RESPONSE && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export function graphqlTransport(app: FastifyInstance, graphqlPath: string): void {
  // JSON only. text/plain, forms and multipart are what a cross-site form can send without a preflight
  // (CSRF); application/graphql (which Mercurius parses) is not JSON. Refused before the body is read.
  app.addHook('onRequest', async (request) => {
    // Fastify answers HEAD with the GET handler, and Mercurius refuses mutations only when the method is
    // GET: a HEAD would run them (a cross-site page may send HEAD without a preflight).
    if (request.method === 'HEAD') throw requestError(405, `Method not allowed: use ${ALLOW}`);
    if (request.method !== 'POST') return;
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw requestError(415, 'Unsupported content type: send application/json');
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1].toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8')
      return done(requestError(415, 'Unsupported charset: send UTF-8 JSON'), undefined);
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(requestError(400, 'Request body is not valid UTF-8'), undefined);
    }
    parseJson(request, text, done);
  });

  // After schema validation (which coerces a number `query` to a string), before Mercurius sees the request.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    if (request.validationError) return; // Mercurius reports it
    const params = (request.method === 'GET' ? request.query : request.body) as
      | { query?: unknown; variables?: unknown }
      | undefined;
    const variables = request.method === 'GET' ? getVariables(params?.variables) : undefined;
    if (containsNul(params) || containsNul(variables))
      throw requestError(400, 'Text must not contain NUL (U+0000) characters');
    if (typeof params?.query === 'string' && isJson(params.query))
      throw requestError(400, '"query" must be a GraphQL document');
    if (typeof params?.query === 'string') checkDocumentCost(params.query);
    if (request.method === 'GET' && typeof params?.query === 'string')
      checkGetOperation(params.query, (params as { operationName?: unknown }).operationName);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 405) reply.header('allow', ALLOW);
    // Answers are personal (me, mySessions, tokens): no cache, shared or private, keeps one.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    const type = reply.getHeader('content-type');
    if (
      typeof type === 'string' &&
      type.startsWith('application/json') &&
      acceptsGraphqlResponse(request.headers.accept)
    ) {
      reply.header('content-type', `${GRAPHQL_RESPONSE}; charset=utf-8`);
    }
    return payload;
  });

  app.route({
    method: ['PUT', 'PATCH', 'DELETE'],
    url: graphqlPath,
    handler: (_request, reply) =>
      reply
        .code(405)
        .send({ errors: [{ message: `Method not allowed: use ${ALLOW}`, extensions: { code: 'BAD_USER_INPUT' } }] }),
  });
}
