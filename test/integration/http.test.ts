/**
 * What a browser and an operator see of the server besides GraphQL errors:
 * the refresh cookie (attributes from the settings, session vs persistent,
 * kept across rotation, cleared by logout, never cached), the token expiry
 * fields, the refresh token handed to non-browser clients only when enabled,
 * and the plain routes (JWKS, health, readiness, metrics) with helmet's
 * security headers.
 */
import { describe, expect, it } from 'vitest';
import { databaseTargets, pglite } from '../support/databases.js';
import {
  LOGIN,
  ME,
  REFRESH,
  TEST_PASSWORD,
  jwtPayload,
  parseSetCookie,
  registerUser,
  send,
  suiteServer,
  type GqlResponse,
  type SetCookie,
} from '../support/server.js';

const targets = await databaseTargets();
const COOKIE = 'latchkey_refresh';

/** The one refresh cookie a response set, and the response's caching. */
function refreshCookieOf(res: GqlResponse): SetCookie {
  const cookies = res.setCookies.map(parseSetCookie).filter((c) => c.name === COOKIE);
  expect(cookies).toHaveLength(1);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return cookies[0];
}

describe.each(targets)('refresh cookie and plain routes on $name', (target) => {
  const t = suiteServer(target, { env: { REMEMBER_ME_TTL: '2h', REFRESH_TOKEN_TTL: '30m', ACCESS_TOKEN_TTL: '90s' } });

  it('sets an HttpOnly, Secure, SameSite=Strict session cookie on /graphql without remember-me', async () => {
    const alice = t.client();
    const { res } = await registerUser(alice);
    for (const response of [
      res,
      await alice.gql(LOGIN, { email: (await alice.gql(ME)).body.data.me.email, password: TEST_PASSWORD }),
      await alice.gql(REFRESH),
    ]) {
      const cookie = refreshCookieOf(response);
      expect(cookie.value).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/graphql' });
      // A session cookie: the browser forgets it when it closes.
      expect(cookie.maxAge).toBeUndefined();
      expect(cookie.expires).toBeUndefined();
      expect(cookie.domain).toBeUndefined();
    }
  });

  it('makes the cookie persistent for REMEMBER_ME_TTL with remember-me, and rotation keeps the choice', async () => {
    const bob = t.client();
    const { email, res } = await registerUser(bob, { rememberMe: true });
    expect(refreshCookieOf(res).maxAge).toBe(2 * 60 * 60);
    const rotated = await bob.gql(REFRESH);
    expect(rotated.body.errors).toBeUndefined();
    expect(refreshCookieOf(rotated).maxAge).toBe(2 * 60 * 60);
    const login = await t.client().gql(LOGIN, { email, password: TEST_PASSWORD, rememberMe: true });
    expect(refreshCookieOf(login).maxAge).toBe(7200);

    // And without it, a rotated session cookie stays a session cookie.
    const carol = t.client();
    await registerUser(carol, { rememberMe: false });
    const again = await carol.gql(REFRESH);
    expect(refreshCookieOf(again).maxAge).toBeUndefined();
  });

  it('reports expiries that match the tokens and the settings', async () => {
    for (const rememberMe of [false, true]) {
      const before = Date.now();
      const { res } = await registerUser(t.client(), { rememberMe });
      const p = res.body.data.register;
      const access = jwtPayload(p.accessToken);
      expect(p.accessTokenExpiresAt).toBe(new Date(access.exp * 1000).toISOString());
      expect(access.exp - access.iat).toBe(90);
      const refreshTtl = rememberMe ? 2 * 60 * 60_000 : 30 * 60_000;
      const refreshEnd = new Date(p.refreshTokenExpiresAt).getTime();
      expect(refreshEnd).toBeGreaterThan(before + refreshTtl - 2000);
      expect(refreshEnd).toBeLessThanOrEqual(Date.now() + refreshTtl);
      // Not handed to the browser's scripts unless EXPOSE_REFRESH_TOKEN=true.
      expect(p.refreshToken).toBeNull();
    }
  });

  it('clears the cookie on logout with the same name and path, not cacheable', async () => {
    const dave = t.client();
    await registerUser(dave, { rememberMe: true });
    const old = dave.cookies.get(COOKIE)!;
    const out = await dave.gql('mutation { logout }');
    expect(out.body.data.logout).toBe(true);
    const cleared = refreshCookieOf(out);
    expect(cleared.value).toBe('');
    expect(cleared.path).toBe('/graphql');
    expect(cleared.maxAge === 0 || (cleared.expires?.getTime() ?? Infinity) < Date.now()).toBe(true);
    // The cleared token is dead, not merely forgotten.
    const replay = await t.client().gql(REFRESH, { refreshToken: old });
    expect(replay.code).toBe('TOKEN_REVOKED');
  });

  it('prefers the refreshToken argument to the cookie', async () => {
    const erin = t.client();
    await registerUser(erin);
    const mallory = t.client();
    await registerUser(mallory);
    const erinsToken = erin.cookies.get(COOKIE)!;
    // Mallory's cookie rides along; the argument says whose session rotates.
    const res = await mallory.gql(REFRESH, { refreshToken: erinsToken });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.refreshToken.user.id).toBe(jwtPayload(erinsToken).sub);
  });

  it('answers without any token: UNAUTHENTICATED, and no cookie set', async () => {
    const res = await t.client().gql(REFRESH);
    expect(res.code).toBe('UNAUTHENTICATED');
    expect(res.setCookies.filter((c) => parseSetCookie(c).value !== '')).toEqual([]);
  });

  it('serves public keys only in the JWKS', async () => {
    const res = await send(t.url, '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json.keys.length).toBeGreaterThan(0);
    for (const key of res.json.keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(typeof key.kid).toBe('string');
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'])
        expect(key, secret).not.toHaveProperty(secret);
    }
  });

  it('answers health, readiness and metrics', async () => {
    expect((await send(t.url, '/healthz')).json).toEqual({ status: 'ok' });
    const ready = await send(t.url, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.status).toBe('ready');

    await registerUser(t.client());
    const metrics = await send(t.url, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toMatch(/^# HELP latchkey_logins_total/m);
    expect(metrics.text).toMatch(/^latchkey_logins_total\{result="success"\} [1-9]/m);
    expect(metrics.text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
  });

  it('sends helmet security headers on the app and on the API', async () => {
    for (const [path, init, status] of [
      ['/', { headers: { accept: 'text/html' } }, 200],
      [
        '/graphql',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ me { id } }"}' },
        200,
      ],
      ['/healthz', {}, 200],
      // Error answers keep them: unknown route, refused content type, a mutation over GET.
      ['/nowhere.txt', {}, 404],
      [
        '/graphql',
        { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ me { id } }"}' },
        415,
      ],
      ['/graphql?query=mutation%20%7B%20logout%20%7D', {}, 405],
    ] as const) {
      const { headers, status: got } = await send(t.url, path, init as RequestInit);
      expect(got, path).toBe(status);
      expect(headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(headers.get('strict-transport-security'), path).toMatch(/max-age=\d+/);
      expect(headers.get('content-security-policy'), path).toMatch(/default-src 'self'/);
      expect(headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
      expect(headers.get('x-powered-by'), path).toBeNull();
    }
  });
});

// Two servers with the settings turned the other way (one each: a server costs a database).
describe('COOKIE_SAMESITE=Lax, COOKIE_SECURE=false, EXPOSE_REFRESH_TOKEN=true, JWT_ALG=RS256', () => {
  const t = suiteServer(pglite, {
    env: { COOKIE_SAMESITE: 'Lax', COOKIE_SECURE: 'false', EXPOSE_REFRESH_TOKEN: 'true', JWT_ALG: 'RS256' },
  });

  it('sets SameSite=Lax without Secure, on every response that sets or clears it', async () => {
    const alice = t.client();
    const { res } = await registerUser(alice);
    for (const response of [res, await alice.gql(REFRESH), await alice.gql('mutation { logout }')]) {
      const cookie = refreshCookieOf(response);
      expect(cookie).toMatchObject({ sameSite: 'Lax', httpOnly: true, path: '/graphql' });
      expect(cookie.secure).toBeUndefined();
    }
  });

  it('returns the refresh token in the payload, the same as the cookie, and takes it back as the argument', async () => {
    const app = t.client();
    const { res } = await registerUser(app);
    const token = res.body.data.register.refreshToken;
    expect(token).toBe(app.cookies.get(COOKIE));

    // A mobile app keeps no cookies: the argument alone rotates.
    const rotated = await t.client().gql(REFRESH, { refreshToken: token });
    expect(rotated.body.errors).toBeUndefined();
    const next = rotated.body.data.refreshToken.refreshToken;
    expect(next).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(next).not.toBe(token);
    expect((await t.client().gql(REFRESH, { refreshToken: next })).body.errors).toBeUndefined();
  });

  it('publishes the RSA public key without its private members', async () => {
    const { json } = await send(t.url, '/.well-known/jwks.json');
    expect(json.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(Object.keys(json.keys[0]).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });
});

describe('COOKIE_SAMESITE=None, JWT_ALG=HS256', () => {
  const secret = 'a-test-secret-of-at-least-32-characters!';
  const t = suiteServer(pglite, { env: { COOKIE_SAMESITE: 'None', JWT_ALG: 'HS256', JWT_SECRET: secret } });

  it('sets SameSite=None with Secure (browsers drop it otherwise)', async () => {
    const alice = t.client();
    const { res } = await registerUser(alice);
    for (const response of [res, await alice.gql('mutation { logout }')]) {
      expect(refreshCookieOf(response)).toMatchObject({ sameSite: 'None', secure: true, httpOnly: true });
    }
  });

  it('has no JWKS: 404 with a JSON reason', async () => {
    const res = await send(t.url, '/.well-known/jwks.json');
    expect(res.status).toBe(404);
    expect(res.json.message).toMatch(/HS256/);
    expect(res.text).not.toContain(secret);
  });
});
