/**
 * The settings that let an app on another origin use Latchkey (API.md §7, §9.2),
 * seen over HTTP: GRAPHQL_PATH moves the endpoint and the refresh cookie's Path,
 * COOKIE_DOMAIN sets its Domain, CORS_ORIGINS answers listed origins (credentials,
 * exact origin, Vary, cached preflight) and refuses the rest before execution,
 * REDIRECT_ORIGINS reaches the web app, WEB_APP=false serves no app.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { pglite } from '../support/databases.js';
import { REGISTER, TEST_PASSWORD, parseSetCookie, send, suiteServer, uniqueEmail } from '../support/server.js';

const APP = 'http://app.localhost:5173';
const json = { 'content-type': 'application/json' };
const registerBody = () =>
  JSON.stringify({ query: REGISTER, variables: { email: uniqueEmail('layout'), password: TEST_PASSWORD } });

describe('GRAPHQL_PATH, COOKIE_DOMAIN and CORS_ORIGINS', () => {
  const t = suiteServer(pglite, {
    env: { GRAPHQL_PATH: '/auth/graphql', COOKIE_DOMAIN: 'localhost', CORS_ORIGINS: `${APP}, https://other.example` },
  });

  it('serves GraphQL at GRAPHQL_PATH only, and the refresh cookie follows it with the configured Domain', async () => {
    const res = await send(t.url, '/auth/graphql', { method: 'POST', headers: json, body: registerBody() });
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data.register.accessToken).toBeTruthy();
    const cookie = parseSetCookie(
      (
        await fetch(`${t.url}/auth/graphql`, { method: 'POST', headers: json, body: registerBody() })
      ).headers.getSetCookie()[0],
    );
    expect(cookie).toMatchObject({ path: '/auth/graphql', domain: 'localhost', httpOnly: true });
    expect(
      (await send(t.url, '/graphql', { method: 'POST', headers: json, body: '{"query":"{ me { id } }"}' })).status,
    ).toBe(404);
  });

  it('answers a listed origin’s preflight with its exact origin, credentials, Vary and a cached max-age', async () => {
    const res = await send(t.url, '/auth/graphql', {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('lets a listed origin call the API with credentials', async () => {
    const res = await fetch(`${t.url}/auth/graphql`, {
      method: 'POST',
      headers: { ...json, origin: APP },
      body: registerBody(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(res.headers.getSetCookie()).toHaveLength(1);
  });

  it('gives an unlisted origin no CORS headers and refuses its requests before execution', async () => {
    for (const origin of ['https://evil.example', 'http://app.localhost:5174', 'null', `${APP}.evil.example`]) {
      const preflight = await send(t.url, '/auth/graphql', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(preflight.headers.get('access-control-allow-credentials'), origin).toBeNull();

      const email = uniqueEmail('refused');
      const body = JSON.stringify({ query: REGISTER, variables: { email, password: TEST_PASSWORD } });
      const res = await send(t.url, '/auth/graphql', { method: 'POST', headers: { ...json, origin }, body });
      expect(res.status, origin).toBe(403);
      expect(res.json.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      // Not executed: the account does not exist.
      expect(await t.sql('select 1 from users where email = $1', [email])).toHaveLength(0);
      // A cross-site GET needs no preflight: refused all the same.
      const get = await send(t.url, `/auth/graphql?query=${encodeURIComponent('{ me { id } }')}`, {
        headers: { origin },
      });
      expect(get.status, origin).toBe(403);
    }
  });

  it('still serves its own origin (the web app) without CORS headers', async () => {
    const res = await send(t.url, '/auth/graphql', {
      method: 'POST',
      headers: { ...json, origin: t.url },
      body: registerBody(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('WEB_APP=false', () => {
  const t = suiteServer(pglite, { env: { WEB_APP: 'false' } });

  it('serves no web app at / while the API and the small routes stay', async () => {
    const page = await send(t.url, '/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(page.text).not.toContain('<div id="root">');
    expect((await send(t.url, '/login', { headers: { accept: 'text/html' } })).status).toBe(404);
    expect((await send(t.url, '/healthz')).status).toBe(200);
    expect(
      (await send(t.url, '/graphql', { method: 'POST', headers: json, body: '{"query":"{ me { id } }"}' })).json,
    ).toEqual({ data: { me: null } });
  });
});

describe('REDIRECT_ORIGINS reach the web app', () => {
  const t = suiteServer(pglite, { env: { REDIRECT_ORIGINS: 'https://app.example.com', GRAPHQL_PATH: '/api/graphql' } });

  it('puts GRAPHQL_PATH and REDIRECT_ORIGINS into every page the app is served as', async () => {
    for (const path of ['/', '/login?next=https://app.example.com/x', '/index.html']) {
      const html = (await send(t.url, path, { headers: { accept: 'text/html' } })).text;
      const content = /<meta name="latchkey-settings" content="([^"]*)">/.exec(html)?.[1];
      expect(content, path).toBeDefined();
      expect(JSON.parse(content!.replace(/&quot;/g, '"').replace(/&amp;/g, '&'))).toEqual({
        graphqlPath: '/api/graphql',
        redirectOrigins: ['https://app.example.com'],
      });
    }
  });
});

describe('settings of other apps', () => {
  it('defaults PUBLIC_URL to localhost for a loopback HOST, else to HOST', () => {
    expect(loadConfig({ PORT: '4100' }).publicUrl).toBe('http://localhost:4100');
    expect(loadConfig({ HOST: '::1' }).publicUrl).toBe('http://localhost:4000');
    expect(loadConfig({ HOST: '10.0.0.5', PORT: '80' }).publicUrl).toBe('http://10.0.0.5:80');
    expect(loadConfig({ PUBLIC_URL: 'https://auth.example.com' }).publicUrl).toBe('https://auth.example.com');
  });

  it('refuses wildcards, paths and non-origins with a message naming the variable', () => {
    for (const [name, value] of [
      ['CORS_ORIGINS', '*'],
      ['CORS_ORIGINS', 'https://app.example.com/path'],
      ['REDIRECT_ORIGINS', 'javascript:alert(1)'],
      ['PUBLIC_URL', 'auth.example.com'],
      ['GRAPHQL_PATH', 'graphql'],
      ['GRAPHQL_PATH', '/healthz'],
      ['GRAPHQL_PATH', '/api/'],
      ['WEB_APP', 'maybe'],
    ]) {
      expect(() => loadConfig({ [name]: value }), `${name}=${value}`).toThrow(new RegExp(`^${name}=`));
    }
  });

  it('never prints REVOCATION_FEED_TOKEN', () => {
    expect(() => loadConfig({ REVOCATION_FEED_TOKEN: 'short-secret' })).toThrow(
      'REVOCATION_FEED_TOKEN=(hidden) is invalid',
    );
  });
});
