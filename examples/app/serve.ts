/**
 * The example app's server: the page (with where Latchkey is written into a meta tag), its
 * bundle (main.tsx with @latchkey/client, @latchkey/react and React, built by esbuild at start),
 * and — in layout (a) — GRAPHQL_PATH forwarded to Latchkey with the browser's Host, cookies
 * and Origin untouched, so Latchkey sees the app's own origin.
 *
 * @example
 *   const app = await startExampleApp({ host: '127.0.0.1', port: 5173, settings: { url: '', graphqlPath: '/auth/graphql' },
 *     forwardTo: 'http://127.0.0.1:4000' });
 */
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, request as httpRequest, type ServerResponse, createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface ExampleAppSettings {
  /** Latchkey's origin as the browser reaches it; '' when this server forwards GRAPHQL_PATH. */
  url: string;
  graphqlPath: string;
  /** Latchkey's hosted sign-in page (`<Latchkey>/login`), offered as a link. */
  signInPage?: string;
}

export interface ExampleAppOptions {
  host: string;
  port: number;
  settings: ExampleAppSettings;
  /** Layout (a): forward `settings.graphqlPath` to this Latchkey origin. */
  forwardTo?: string;
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** main.tsx and what it imports, as one browser module. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [here('main.tsx')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

const escapeAttribute = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** Pass the request on unchanged (Host included) and the answer back unchanged (Set-Cookie included). */
function forward(target: string, req: IncomingMessage, res: ServerResponse) {
  const to = new URL(req.url ?? '/', target);
  const upstream = httpRequest(
    { host: to.hostname, port: to.port, path: to.pathname + to.search, method: req.method, headers: req.headers, timeout: 15_000 },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('timeout', () => upstream.destroy(new Error('Latchkey did not answer in time')));
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('Latchkey is not reachable');
  });
  req.pipe(upstream);
}

export async function startExampleApp(options: ExampleAppOptions): Promise<{ url: string; close(): Promise<void> }> {
  const [script, template] = await Promise.all([bundle(), readFile(here('index.html'), 'utf8')]);
  const page = template.replace(
    '<!--settings-->',
    `<meta name="latchkey-app" content="${escapeAttribute(JSON.stringify(options.settings))}" />`,
  );
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://app').pathname;
    if (options.forwardTo && path === options.settings.graphqlPath) return forward(options.forwardTo, req, res);
    if (path === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return res.end(script);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    url: `http://${options.host}:${options.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
