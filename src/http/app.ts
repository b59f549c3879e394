/**
 * The Fastify app: a composition of plugins (security headers, cookies,
 * GraphQL, the small routes). Knows HTTP; knows no SQL.
 *
 * @example
 *   const app = await buildApp({ services, metrics });
 *   const res = await app.inject({ method: 'GET', url: '/healthz' });
 */
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../services.js';
import { trustProxyOption } from './clientAddress.js';
import { allowOrigins } from './cors.js';
import { discoveryRoutes } from './discovery.js';
import { graphqlRoutes } from './graphql.js';
import { lazyChildLogger, type LogStream, loggerOptions } from './logging.js';
import type { Metrics } from './metrics.js';
import { revocationFeedRoutes } from './revocationFeed.js';
import { oauthRoutes } from './oauthRoutes.js';
import { plainRoutes } from './routes.js';
import { findWebRoot, webApp } from './web.js';

/**
 * Fastify's two lines per request ("incoming request", "request completed") at debug
 * instead of info: at thousands of requests a second they cost more than the request
 * itself (docs/performance.md). Failures keep their error lines, with the request id;
 * LOG_LEVEL=debug brings the access lines back.
 */
class RequestLinesAtDebug extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) super.requestCompleted(error, request, reply);
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * The headers helmet sets, worked out once: with these options they do not depend on the
 * request, and running helmet's middleware per request is a measurable share of a
 * request's cost (docs/performance.md, "The speed work").
 */
function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

/**
 * Slow and silent clients are not held forever (a server with no proxy in front must set these,
 * Node's docs say): the whole request must arrive within HTTP_REQUEST_TIMEOUT and its headers
 * within HTTP_HEADERS_TIMEOUT; a socket silent for HTTP_IDLE_TIMEOUT is closed, and a kept-alive
 * one idle between requests after HTTP_KEEP_ALIVE_TIMEOUT. Node checks the first two on an
 * interval (30 s by default): checked here at a quarter of the shorter one, so they hold.
 */
function httpTimeouts(config: Services['config']) {
  const shorter = Math.min(config.httpRequestTimeoutMs, config.httpHeadersTimeoutMs);
  return {
    requestTimeout: config.httpRequestTimeoutMs,
    connectionTimeout: config.httpIdleTimeoutMs,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs,
    http: {
      headersTimeout: config.httpHeadersTimeoutMs,
      requestTimeout: config.httpRequestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(shorter / 4))),
    },
  };
}

export interface AppOptions {
  services: Services;
  metrics: Metrics;
  /** Pino options or false; defaults to the server's logger (src/http/logging.ts) at config.logLevel. */
  logger?: boolean | object;
  /** Where that default logger writes (stdout when omitted). */
  logStream?: LogStream;
  /** The built web app to serve at `/`; default `web/dist` when built, `false` for none. */
  webRoot?: string | false;
}

export async function buildApp({
  services,
  metrics,
  logger,
  logStream,
  webRoot,
}: AppOptions): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    logger: logger ?? loggerOptions(config.logLevel, logStream),
    trustProxy: trustProxyOption(config.trustProxy),
    bodyLimit: 64 * 1024,
    ...httpTimeouts(config),
    // Request ids in logs tie an INTERNAL_SERVER_ERROR to its cause.
    requestIdHeader: false,
    logController: new RequestLinesAtDebug(),
    childLoggerFactory: lazyChildLogger,
  });
  const headers = securityHeaders({
    // The GraphQL API returns JSON; the web app is same-origin static files.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        // Served over plain http on purpose (COOKIE_SECURE=false, e.g. a LAN host): upgrading the
        // app's own script and style requests to https would leave a blank page.
        upgradeInsecureRequests: config.cookieSecure ? [] : null,
      },
    },
  });
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  await app.register(cookie);
  await allowOrigins(app, config);
  await app.register(graphqlRoutes, { services });
  await app.register(plainRoutes, { services, metrics });
  await app.register(discoveryRoutes, { config });
  await app.register(revocationFeedRoutes, { services });
  await app.register(oauthRoutes, { services });
  const root = webRoot === false || !config.webApp ? undefined : (webRoot ?? (await findWebRoot()));
  if (root) await app.register(webApp, { root, config });
  else if (webRoot === undefined && config.webApp)
    app.log.warn('web app not built (web/dist missing): run `npm run build`; serving the API only');
  return app;
}
