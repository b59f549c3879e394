/**
 * The web app (built by Vite into `web/dist`) served at `/`, with the SPA
 * fallback: a GET for a page the server does not know (`/profile`,
 * `/login?next=…`) gets `index.html`, and the app routes it. A page is a path
 * without a file extension, asked for by a client that takes HTML (a browser
 * says `text/html`; curl and fetch say `*\/*` or nothing). API paths, missing
 * files (`/assets/gone.js`) and clients that take only something else (`accept:
 * application/json`) keep their plain 404.
 *
 * In production `*.map` files are not served (404).
 *
 * Hashed assets are cached for a year; `index.html` is revalidated every time,
 * so a new build is picked up on the next load.
 *
 * @example
 *   await app.register(webApp, { root: await findWebRoot() });
 */
import { access, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';

/** Paths that belong to the server, never to the app. */
const SERVER_PATHS = /^\/(graphql|\.well-known|healthz|readyz|metrics|revocations)(\/|$|\?)/;

/** What the app must know of the server's settings, read from `<meta name="latchkey-settings">`. */
export interface WebSettings {
  graphqlPath: string;
  /** Origins `next=` may return to besides this one (REDIRECT_ORIGINS). */
  redirectOrigins: string[];
}

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * index.html with the settings in a meta tag: read synchronously by the app before its
 * first request (no extra round trip; an inline script would need a CSP exception).
 */
export function withSettings(html: string, settings: WebSettings): string {
  const tag = `<meta name="latchkey-settings" content="${escapeAttribute(JSON.stringify(settings))}">`;
  return html.replace('</head>', `    ${tag}\n  </head>`);
}

/** The last segment of the path has an extension: a file, not a page. */
const FILE_PATH = /\.[^/]*$/;

/** An Accept header that takes HTML: none at all, `text/html`, `text/*` or `*\/*`. */
const takesHtml = (accept: string | undefined) => !accept || /text\/html|text\/\*|\*\/\*/.test(accept);

/**
 * Where the built app is: `web/dist` of the package, whether this module runs
 * from `src/` (tests) or from `dist/src/` (`npm start`). Undefined when not built.
 */
export async function findWebRoot(): Promise<string | undefined> {
  for (const relative of ['../../web/dist/', '../../../web/dist/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    try {
      await access(`${dir}index.html`);
      return dir;
    } catch {
      // not this layout
    }
  }
  return undefined;
}

export async function webApp(
  app: FastifyInstance,
  { root, config }: { root: string; config: Pick<Config, 'graphqlPath' | 'redirectOrigins' | 'production'> },
) {
  const page = withSettings(await readFile(`${root}index.html`, 'utf8'), {
    graphqlPath: config.graphqlPath,
    redirectOrigins: config.redirectOrigins,
  });
  const sendPage = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(page);
  const isServerPath = (path: string) => SERVER_PATHS.test(path) || path === config.graphqlPath;

  app.get('/', (_request, reply) => sendPage(reply));
  app.get('/index.html', (_request, reply) => sendPage(reply));
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    // Source maps are built (web/vite.config.ts) for debugging, and served only outside production:
    // there they would hand out the app's source, comments included.
    allowedPath: config.production ? (path) => !path.endsWith('.map') : undefined,
    setHeaders(reply, path) {
      reply.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    const wantsPage =
      (request.method === 'GET' || request.method === 'HEAD') &&
      !isServerPath(path) &&
      !FILE_PATH.test(path) &&
      takesHtml(request.headers.accept);
    if (wantsPage) return sendPage(reply);
    return reply
      .code(404)
      .send({ statusCode: 404, error: 'Not Found', message: `Route ${request.method}:${request.url} not found` });
  });
}
