/**
 * tokens.ts: signing and verifying access and refresh tokens (RFC 8725,
 * RFC 9068), on the real key ring over in-memory PGlite and a manual clock.
 */
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { KeyRing } from '../../../src/auth/keys.js';
import { createTokens, type Tokens } from '../../../src/auth/tokens.js';
import { T0, codeOf, suiteDomain, testConfig } from '../../support/domain.js';
import { forgedAccessTokens, signJws } from '../../support/forge.js';
import { jwtPayload } from '../../support/server.js';

const SUB = '11111111-1111-4111-8111-111111111111';
const SID = '22222222-2222-4222-8222-222222222222';

describe('access and refresh tokens', () => {
  const d = suiteDomain({ env: { ACCESS_TOKEN_TTL: '5m' } });

  /** Tokens on the same key ring and clock, with other settings. */
  const tokensWith = (env: Record<string, string>, keys: KeyRing = d.keys): Tokens =>
    createTokens({ config: testConfig({ ACCESS_TOKEN_TTL: '5m', ...env }), keys, clock: d.clock });

  const refreshClaims = () => {
    const iat = Math.floor(d.clock.now() / 1000);
    return { sub: SUB, sid: SID, jti: '33333333-3333-4333-8333-333333333333', iat, exp: iat + 86_400 };
  };

  it('signs an access token with typ at+jwt, kid and every claim of API.md §3', async () => {
    const { token, claims } = await d.tokens.signAccess({ sub: SUB, sid: SID });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: d.keys.accessSigner().kid });
    const payload = jwtPayload(token);
    expect(payload).toEqual({
      iss: 'latchkey',
      aud: 'latchkey',
      sub: SUB,
      sid: SID,
      jti: claims.jti,
      iat: T0 / 1000,
      exp: T0 / 1000 + 300,
    });
    expect(await d.tokens.verifyAccess(token)).toEqual(claims);
    const other = await d.tokens.signAccess({ sub: SUB, sid: SID });
    expect(other.claims.jti).not.toBe(claims.jti);
  });

  it('never takes a refresh token as an access token, nor the reverse', async () => {
    const refresh = await d.tokens.signRefresh(refreshClaims());
    const { token: access } = await d.tokens.signAccess({ sub: SUB, sid: SID });
    expect(decodeProtectedHeader(refresh).typ).toBe('rt+jwt');
    expect(await codeOf(d.tokens.verifyAccess(refresh))).toBe('TOKEN_INVALID');
    expect(await codeOf(d.tokens.verifyRefresh(access))).toBe('TOKEN_INVALID');
    expect(await d.tokens.verifyRefresh(refresh)).toEqual(refreshClaims());
  });

  it('signs a refresh token deterministically: the same row gives the same string', async () => {
    expect(await d.tokens.signRefresh(refreshClaims())).toBe(await d.tokens.signRefresh(refreshClaims()));
  });

  it('reads typ as the media type it is: application/at+jwt and any case pass, another type does not', async () => {
    const { kid, key } = d.keys.accessSigner();
    const now = Math.floor(d.clock.now() / 1000);
    const claims = { iss: 'latchkey', aud: 'latchkey', sub: SUB, sid: SID, jti: 'j', iat: now, exp: now + 60 };
    const typed = (typ: string) => signJws({ alg: 'EdDSA', typ, kid }, claims, key, 'EdDSA');
    for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])
      expect(await codeOf(d.tokens.verifyAccess(await typed(typ))), typ).toBe('ok');
    for (const typ of ['application/rt+jwt', 'at+jwt+x', 'application/jwt', 'text/at+jwt']) {
      expect(await codeOf(d.tokens.verifyAccess(await typed(typ))), typ).toBe('TOKEN_INVALID');
    }
  });

  it('refuses iss and aud of another issuer or audience', async () => {
    const { token } = await d.tokens.signAccess({ sub: SUB, sid: SID });
    expect(await codeOf(tokensWith({ JWT_ISSUER: 'someone-else' }).verifyAccess(token))).toBe('TOKEN_INVALID');
    expect(await codeOf(tokensWith({ JWT_AUDIENCE: 'another-api' }).verifyAccess(token))).toBe('TOKEN_INVALID');
    const custom = tokensWith({ JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: 'api.example' });
    const mine = await custom.signAccess({ sub: SUB, sid: SID });
    expect(jwtPayload(mine.token)).toMatchObject({ iss: 'https://auth.example', aud: 'api.example' });
    expect(await codeOf(custom.verifyAccess(mine.token))).toBe('ok');
    expect(await codeOf(d.tokens.verifyAccess(mine.token))).toBe('TOKEN_INVALID');
  });

  it('expires at exp, not a second later, without leeway', async () => {
    const tokens = tokensWith({});
    const { token } = await tokens.signAccess({ sub: SUB, sid: SID });
    const start = d.clock.now();
    d.clock.advance(300_000 - 1);
    expect(await codeOf(tokens.verifyAccess(token))).toBe('ok');
    d.clock.advance(1);
    expect(await codeOf(tokens.verifyAccess(token))).toBe('TOKEN_EXPIRED');
    d.clock.set(start);
  });

  it('allows JWT_LEEWAY of clock skew on exp, and no more', async () => {
    const tokens = tokensWith({ JWT_LEEWAY: '30s' });
    const { token } = await tokens.signAccess({ sub: SUB, sid: SID });
    const start = d.clock.now();
    d.clock.advance(300_000 + 29_000);
    expect(await codeOf(tokens.verifyAccess(token))).toBe('ok');
    d.clock.advance(1_000);
    expect(await codeOf(tokens.verifyAccess(token))).toBe('TOKEN_EXPIRED');
    d.clock.set(start);
  });

  it('refuses nbf in the future, unless within JWT_LEEWAY', async () => {
    const { kid, key } = d.keys.accessSigner();
    const now = Math.floor(d.clock.now() / 1000);
    const token = await signJws(
      { alg: 'EdDSA', typ: 'at+jwt', kid },
      { iss: 'latchkey', aud: 'latchkey', sub: SUB, sid: SID, jti: 'j', iat: now, nbf: now + 20, exp: now + 300 },
      key,
      'EdDSA',
    );
    expect(await codeOf(tokensWith({}).verifyAccess(token))).toBe('TOKEN_INVALID');
    expect(await codeOf(tokensWith({ JWT_LEEWAY: '30s' }).verifyAccess(token))).toBe('ok');
    expect(await codeOf(tokensWith({ JWT_LEEWAY: '10s' }).verifyAccess(token))).toBe('TOKEN_INVALID');
  });

  it('refuses a token issued in the future (iat) beyond JWT_LEEWAY: a clock gone wrong would outlive its revocation', async () => {
    const { kid, key } = d.keys.accessSigner();
    const now = Math.floor(d.clock.now() / 1000);
    const token = await signJws(
      { alg: 'EdDSA', typ: 'at+jwt', kid },
      { iss: 'latchkey', aud: 'latchkey', sub: SUB, sid: SID, jti: 'j-future', iat: now + 60, exp: now + 360 },
      key,
      'EdDSA',
    );
    expect(await codeOf(tokensWith({}).verifyAccess(token))).toBe('TOKEN_INVALID');
    expect(await codeOf(tokensWith({ JWT_LEEWAY: '30s' }).verifyAccess(token))).toBe('TOKEN_INVALID');
    expect(await codeOf(tokensWith({ JWT_LEEWAY: '90s' }).verifyAccess(token))).toBe('ok');
  });

  it('does the signature check once, and its cache never outlives exp (nor exp + leeway)', async () => {
    let lookups = 0;
    // A spy at the edge: count how often verification needs a key.
    const counting: KeyRing = { ...d.keys, accessVerifier: (kid) => (lookups++, d.keys.accessVerifier(kid)) };
    for (const [leeway, leewayMs] of [
      ['0s', 0],
      ['45s', 45_000],
    ] as const) {
      const tokens = tokensWith({ JWT_LEEWAY: leeway }, counting);
      const { token } = await tokens.signAccess({ sub: SUB, sid: SID });
      const start = d.clock.now();
      lookups = 0;
      for (let i = 0; i < 5; i++) expect(await codeOf(tokens.verifyAccess(token))).toBe('ok');
      expect(lookups).toBe(1);
      d.clock.advance(300_000 + leewayMs - 1);
      expect(await codeOf(tokens.verifyAccess(token))).toBe('ok');
      d.clock.advance(1);
      expect(await codeOf(tokens.verifyAccess(token)), `cached token after exp, leeway ${leeway}`).toBe(
        'TOKEN_EXPIRED',
      );
      expect(await codeOf(tokens.verifyAccess(token))).toBe('TOKEN_EXPIRED');
      d.clock.set(start);
    }
  });

  it('refuses forged refresh tokens: alg none, edited payload, another key', async () => {
    const genuine = await d.tokens.signRefresh(refreshClaims());
    const [h, p] = genuine.split('.');
    const edited = Buffer.from(JSON.stringify({ ...jwtPayload(genuine), sid: 'other' })).toString('base64url');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'rt+jwt' })).toString('base64url');
    const kid = decodeProtectedHeader(genuine).kid;
    const otherKey = await signJws(
      { alg: 'HS256', typ: 'rt+jwt', kid },
      jwtPayload(genuine),
      new TextEncoder().encode('x'.repeat(32)),
      'HS256',
    );
    for (const token of [
      `${h}.${p}.`,
      `${h}.${edited}.${genuine.split('.')[2]}`,
      `${none}.${p}.`,
      otherKey,
      '',
      'garbage',
    ]) {
      expect(await codeOf(d.tokens.verifyRefresh(token)), token.slice(0, 40)).toBe('TOKEN_INVALID');
    }
  });

  it('refuses refresh tokens signed with the genuine key but not what Latchkey issues', async () => {
    const { kid, key } = d.keys.refreshSigner();
    const claims = jwtPayload(await d.tokens.signRefresh(refreshClaims()));
    const header = { alg: 'HS256', typ: 'rt+jwt', kid };
    const genuine = await signJws(header, claims, key, 'HS256');
    expect(await d.tokens.verifyRefresh(genuine)).toEqual(refreshClaims());
    for (const token of [
      await signJws({ ...header, crit: ['exp'] }, claims, key, 'HS256'),
      await signJws(header, { ...claims, aud: 'latchkey' }, key, 'HS256'),
      await signJws(header, { ...claims, iss: 'someone-else' }, key, 'HS256'),
      await signJws(header, { ...claims, nbf: claims.iat }, key, 'HS256'),
      await signJws(header, { ...claims, jti: undefined }, key, 'HS256'),
      `${genuine}.extra`,
      // The same signature with a character of padding-like noise: not the signature's text.
      `${genuine}=`,
    ]) {
      expect(await codeOf(d.tokens.verifyRefresh(token)), token.slice(-60)).toBe('TOKEN_INVALID');
    }
  });
});

describe('forged access tokens, for each JWT_ALG', () => {
  // One database: each algorithm's key ring only ever uses its own keys.
  const first = suiteDomain();

  describe.each(['EdDSA', 'ES256', 'RS256', 'HS256'])('JWT_ALG=%s', (alg) => {
    const d = suiteDomain(() => ({
      env: { JWT_ALG: alg, JWT_SECRET: 'an HS256 secret of at least thirty-two characters' },
      database: first.database,
    }));

    it('refuses every forgery with TOKEN_INVALID or TOKEN_EXPIRED, and takes the genuine token', async () => {
      const now = Math.floor(d.clock.now() / 1000);
      const refreshToken = await d.tokens.signRefresh({
        sub: SUB,
        sid: SID,
        jti: '33333333-3333-4333-8333-333333333333',
        iat: now,
        exp: now + 60,
      });
      const forged = await forgedAccessTokens({
        signer: d.keys.accessSigner(),
        publicJwk: d.keys.jwks()?.keys[0],
        issuer: 'latchkey',
        audience: 'latchkey',
        sub: SUB,
        sid: SID,
        nowSec: now,
        refreshToken,
        trapUrl: 'http://127.0.0.1:9',
      });
      expect(forged.length).toBeGreaterThan(alg === 'HS256' ? 35 : 40);
      for (const f of forged) expect(await codeOf(d.tokens.verifyAccess(f.token)), f.name).toBe(f.code);
      const { token } = await d.tokens.signAccess({ sub: SUB, sid: SID });
      expect(await codeOf(d.tokens.verifyAccess(token))).toBe('ok');
    });
  });
});
