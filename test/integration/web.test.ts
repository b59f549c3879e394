/**
 * The server's side of the web app (src/http/web.ts): the built app at `/`,
 * index.html for page URLs the app routes itself, plain 404s for everything
 * else, caching that lets a new build in, and a CSP the app runs under.
 */
import { request as httpRequest } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { findWebRoot } from '../../src/http/web.js';
import { pglite } from '../support/databases.js';
import { suiteServer } from '../support/server.js';

describe('web app served by the server', () => {
  beforeAll(async () => {
    if (!(await findWebRoot())) throw new Error('web/dist is missing: run `npm run build` (npm install does)');
  });
  const t = suiteServer(pglite);

  const get = (path: string, accept = 'text/html,application/xhtml+xml') =>
    fetch(`${t.url}${path}`, { headers: { accept } });

  it('answers page URLs with the app, revalidated on every load', async () => {
    for (const path of ['/', '/login', '/profile', '/sessions?x=1', '/login/code']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<div id="root"></div>');
    }
  });

  it('serves hashed assets for a year, and the CSP lets the app load them', async () => {
    const html = await (await get('/')).text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const res = await get(script!, '*/*');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const csp = (await get('/')).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts: 'self' is enough
  });

  it('serves the app for its pages to any client that takes HTML, curl and fetch included', async () => {
    // A client that sends no Accept at all (fetch always sends one).
    const bare = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      httpRequest(`${t.url}/dashboard`, (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (c) => (body += c))
          .on('end', () => resolve({ status: res.statusCode, body }));
      })
        .on('error', reject)
        .end();
    });
    expect(bare.status).toBe(200);
    expect(bare.body).toMatch(/<div id="root">/);
    for (const [path, accept] of [
      ['/login', '*/*'],
      ['/login/code', ''],
      ['/login?next=/profile.v2', '*/*'],
      ['/profile', 'text/*'],
      ['/sessions', 'text/html'],
    ]) {
      const res = await fetch(`${t.url}${path}`, accept ? { headers: { accept } } : {});
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(await res.text(), path).toMatch(/<div id="root">/);
    }
  });

  it('keeps plain 404s for unknown files, API paths and non-HTML requests', async () => {
    expect((await get('/assets/missing.js', '*/*')).status).toBe(404);
    expect((await get('/assets/missing.js')).status).toBe(404);
    expect((await get('/favicon.ico', '*/*')).status).toBe(404);
    expect((await get('/nope', 'application/json')).status).toBe(404);
    const api = await get('/graphql/extra');
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/json/);
    expect((await get('/healthz', 'application/json')).status).toBe(200);
  });
});

describe('web app source maps', () => {
  const dev = suiteServer(pglite);
  const prod = suiteServer(pglite, {
    env: { NODE_ENV: 'production', LATCHKEY_KEY_SECRET: 'a key-encryption secret for tests' },
  });

  /** The app's script and its source map, as the page names them. */
  const assets = async (url: string) => {
    const html = await (await fetch(`${url}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    return { script, map: `${script}.map` };
  };

  it('serves them in development and not in production, where the app still loads', async () => {
    const { script, map } = await assets(dev.url);
    expect((await fetch(`${dev.url}${map}`)).status).toBe(200);
    expect((await fetch(`${prod.url}${map}`)).status).toBe(404);
    expect((await fetch(`${prod.url}${script}`)).status).toBe(200);
  });
});
