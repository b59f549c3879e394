/**
 * keys.ts: the key ring on in-memory PGlite with a manual clock — each
 * JWT_ALG, rotation (the new key signs, the old one verifies until its tokens
 * have expired, then leaves the JWKS), and private keys encrypted at rest.
 */
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyRing } from '../../../src/auth/keys.js';
import { createTokens } from '../../../src/auth/tokens.js';
import type { Database } from '../../../src/store/db.js';
import { keysRepository } from '../../../src/store/repositories/keys.js';
import { codeOf, memoryDatabase, rawQuery, startDomain, suiteDomain, T0, testConfig } from '../../support/domain.js';
import { signJws } from '../../support/forge.js';

const SUB = '11111111-1111-4111-8111-111111111111';
const SID = '22222222-2222-4222-8222-222222222222';
const SECRET = 'a long key-encryption secret for tests';
const JWT_SECRET = 'an HS256 secret of at least thirty-two characters';

/** Private JWK members that must never appear in a JWKS. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

// One database for every algorithm: switching JWT_ALG on a database that holds keys of another works too.
let shared: Database;
beforeAll(async () => {
  shared = await memoryDatabase();
});
afterAll(async () => {
  await shared?.close();
});

describe.each([
  { alg: 'EdDSA', kty: 'OKP', extra: { crv: 'Ed25519' } },
  { alg: 'ES256', kty: 'EC', extra: { crv: 'P-256' } },
  { alg: 'RS256', kty: 'RSA', extra: { e: 'AQAB' } },
] as const)('JWT_ALG=$alg', ({ alg, kty, extra }) => {
  const d = suiteDomain(() => ({ env: { JWT_ALG: alg }, database: shared }));

  it('signs with it, publishes only the public key, and verifies its own tokens', async () => {
    const { token } = await d.tokens.signAccess({ sub: SUB, sid: SID });
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg, typ: 'at+jwt' });
    const jwks = d.keys.jwks()!;
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty, kid: header.kid, alg, use: 'sig', ...extra });
    for (const m of PRIVATE_MEMBERS) expect(jwks.keys[0]).not.toHaveProperty(m);
    if (alg === 'RS256') expect(Buffer.from(jwks.keys[0].n!, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
    expect(await codeOf(d.tokens.verifyAccess(token))).toBe('ok');
  });

  it('refuses tokens of any other algorithm, even signed by a key it holds', async () => {
    const { kid } = d.keys.accessSigner();
    const now = Math.floor(d.clock.now() / 1000);
    const claims = { iss: 'latchkey', aud: 'latchkey', sub: SUB, sid: SID, jti: 'j', iat: now, exp: now + 60 };
    // The refresh key is an HS256 key this server really holds: it must not sign access tokens.
    const refreshKey = d.keys.refreshSigner();
    const hs = await signJws({ alg: 'HS256', typ: 'at+jwt', kid: refreshKey.kid }, claims, refreshKey.key, 'HS256');
    expect(await codeOf(d.tokens.verifyAccess(hs))).toBe('TOKEN_INVALID');
    const relabelled = await signJws(
      { alg: alg === 'ES256' ? 'EdDSA' : 'ES256', typ: 'at+jwt', kid },
      claims,
      d.keys.accessSigner().key,
      alg,
    );
    expect(await codeOf(d.tokens.verifyAccess(relabelled))).toBe('TOKEN_INVALID');
  });
});

describe('JWT_ALG=HS256', () => {
  const d = suiteDomain(() => ({ env: { JWT_ALG: 'HS256', JWT_SECRET }, database: shared }));

  it('signs with JWT_SECRET, has no JWKS and keeps no access key in the database', async () => {
    const { token } = await d.tokens.signAccess({ sub: SUB, sid: SID });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
    expect(d.keys.jwks()).toBeUndefined();
    expect(await codeOf(d.tokens.verifyAccess(token))).toBe('ok');
    const rows = await d.sql<{ use: string; alg: string }>('select use, alg from signing_keys');
    expect(
      rows
        .filter((r) => r.alg === 'HS256')
        .map((r) => r.use)
        .sort(),
    ).toEqual(['otp', 'refresh']);
    // Another secret does not verify it.
    const other = await startDomain({
      env: { JWT_ALG: 'HS256', JWT_SECRET: `${JWT_SECRET}, changed` },
      clock: d.clock,
      database: d.database,
    });
    expect(await codeOf(other.tokens.verifyAccess(token))).toBe('TOKEN_INVALID');
    await other.close();
  });

  it('keeps refresh tokens apart from access tokens although both are HS256', async () => {
    const now = Math.floor(d.clock.now() / 1000);
    const refresh = await d.tokens.signRefresh({
      sub: SUB,
      sid: SID,
      jti: '33333333-3333-4333-8333-333333333333',
      iat: now,
      exp: now + 60,
    });
    const { token: access } = await d.tokens.signAccess({ sub: SUB, sid: SID });
    expect(await codeOf(d.tokens.verifyAccess(refresh))).toBe('TOKEN_INVALID');
    expect(await codeOf(d.tokens.verifyRefresh(access))).toBe('TOKEN_INVALID');
    // Even with the access typ and audience, the refresh key does not sign access tokens.
    const { key, kid } = d.keys.refreshSigner();
    const claims = { iss: 'latchkey', aud: 'latchkey', sub: SUB, sid: SID, jti: 'j', iat: now, exp: now + 60 };
    expect(
      await codeOf(d.tokens.verifyAccess(await signJws({ alg: 'HS256', typ: 'at+jwt', kid }, claims, key, 'HS256'))),
    ).toBe('TOKEN_INVALID');
  });

  it('keys rotate replaces only the refresh key (the access secret is a setting)', async () => {
    const access = d.keys.accessSigner().kid;
    const oldRefresh = d.keys.refreshSigner().kid;
    const { kid, refreshKid, retired } = await d.keys.rotate();
    expect(kid).toBeUndefined();
    expect(retired).toEqual([oldRefresh]);
    expect(d.keys.refreshSigner().kid).toBe(refreshKid);
    expect(d.keys.accessSigner().kid).toBe(access);
  });
});

describe('rotation', () => {
  const d = suiteDomain({ env: { ACCESS_TOKEN_TTL: '5m' } });

  it('signs with the new key; the old one verifies until its tokens expire, then leaves the JWKS', async () => {
    const old = d.keys.accessSigner();
    const { token: before } = await d.tokens.signAccess({ sub: SUB, sid: SID });
    // A token the old key could still have signed with a long life: once the key is gone, it is refused.
    const now = Math.floor(d.clock.now() / 1000);
    const longLived = await signJws(
      { alg: 'EdDSA', typ: 'at+jwt', kid: old.kid },
      { iss: 'latchkey', aud: 'latchkey', sub: SUB, sid: SID, jti: 'long', iat: now, exp: now + 86_400 },
      old.key,
      'EdDSA',
    );

    d.clock.advance(1000);
    const oldRefresh = d.keys.refreshSigner().kid;
    const { kid, retired } = await d.keys.rotate({ now: true });
    expect(retired.sort()).toEqual([old.kid, oldRefresh].sort());
    expect(kid).not.toBe(old.kid);
    const { token: after } = await d.tokens.signAccess({ sub: SUB, sid: SID });
    expect(decodeProtectedHeader(after).kid).toBe(kid);
    expect(
      d.keys
        .jwks()!
        .keys.map((k) => k.kid)
        .sort(),
    ).toEqual([old.kid, kid].sort());
    expect(await codeOf(d.tokens.verifyAccess(before))).toBe('ok');
    expect(await codeOf(d.tokens.verifyAccess(after))).toBe('ok');

    // A second instance on the same database (restarted, or never told) agrees.
    const other = await startDomain({ env: { ACCESS_TOKEN_TTL: '5m' }, clock: d.clock, database: d.database });
    expect(other.keys.accessSigner().kid).toBe(kid);
    expect(await codeOf(other.tokens.verifyAccess(before))).toBe('ok');
    await other.close();

    // Every token of the old key has expired (5 min + a minute's margin for instances that sign late): it is gone.
    d.clock.advance(5 * 60_000 + 60_000);
    await d.keys.reload();
    expect(d.keys.jwks()!.keys.map((k) => k.kid)).toEqual([kid]);
    expect(await codeOf(d.tokens.verifyAccess(before))).toBe('TOKEN_EXPIRED');
    expect(await codeOf(d.tokens.verifyAccess(longLived))).toBe('TOKEN_INVALID');
    expect(await codeOf(d.tokens.verifyAccess(after))).toBe('TOKEN_EXPIRED');
  });

  it('rotates the refresh key too: the old one verifies until its longest token has expired, then is dropped', async () => {
    const oldRefresh = d.keys.refreshSigner().kid;
    const now = Math.floor(d.clock.now() / 1000);
    const claims = {
      sub: SUB,
      sid: SID,
      jti: '44444444-4444-4444-8444-444444444444',
      iat: now,
      exp: now + 30 * 86_400,
    };
    const old = await d.tokens.signRefresh(claims);
    const { refreshKid, retired } = await d.keys.rotate();
    expect(retired).toContain(oldRefresh);
    expect(d.keys.refreshSigner().kid).toBe(refreshKid);
    expect(decodeProtectedHeader(await d.tokens.signRefresh(claims)).kid).toBe(refreshKid);
    expect((await d.tokens.verifyRefresh(old)).jti).toBe(claims.jti);
    // REMEMBER_ME_TTL (30 d) plus a minute's margin later, no token of the old key can be live.
    d.clock.advance(30 * 86_400_000 + 61_000);
    await d.keys.reload();
    expect(d.keys.refreshVerifier(oldRefresh)).toBeUndefined();
    expect(await codeOf(d.tokens.verifyRefresh(old))).toBe('TOKEN_INVALID');
  });

  it('looks an unseen kid up in the database (a key made elsewhere), but forged kids at most once every 5 s', async () => {
    let reads = 0;
    const repo = keysRepository(d.database.db);
    const ring = await loadKeyRing({
      repo: { ...repo, all: () => (reads++, repo.all()) },
      config: testConfig(),
      clock: d.clock,
    });
    const tokens = createTokens({ config: testConfig(), keys: ring, clock: d.clock });
    d.clock.advance(5000);

    const other = await startDomain({ clock: d.clock, database: d.database });
    await other.keys.rotate({ now: true });
    const { token } = await other.tokens.signAccess({ sub: SUB, sid: SID });
    await other.close();
    reads = 0;
    expect(await codeOf(tokens.verifyAccess(token))).toBe('ok');
    expect(reads).toBe(1);

    const { key } = ring.accessSigner();
    const now = Math.floor(d.clock.now() / 1000);
    const forged = (kid: string) =>
      signJws(
        { alg: 'EdDSA', typ: 'at+jwt', kid },
        { iss: 'latchkey', aud: 'latchkey', sub: SUB, sid: SID, jti: kid, iat: now, exp: now + 60 },
        key,
        'EdDSA',
      );
    d.clock.advance(5000);
    for (let i = 0; i < 20; i++)
      expect(await codeOf(tokens.verifyAccess(await forged(`made-up-${i}`)))).toBe('TOKEN_INVALID');
    expect(reads).toBe(2);
    d.clock.advance(5000);
    expect(await codeOf(tokens.verifyAccess(await forged('made-up-again')))).toBe('TOKEN_INVALID');
    expect(reads).toBe(3);
  });
});

describe('LATCHKEY_KEY_SECRET', () => {
  let database: Database;
  beforeAll(async () => {
    database = await memoryDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  const ring = (env: Record<string, string>) =>
    loadKeyRing({ repo: keysRepository(database.db), config: testConfig(env), clock: { now: () => T0 } });

  it('encrypts private keys at rest; the same secret reads them back', async () => {
    const first = await ring({ LATCHKEY_KEY_SECRET: SECRET });
    const rows = await rawQuery<{ kid: string; use: string; private_jwk: string; public_jwk: unknown }>(
      database,
      'select * from signing_keys',
    );
    expect(rows.map((r) => r.use).sort()).toEqual(['otp', 'refresh', 'sign']);
    for (const row of rows) {
      expect(row.private_jwk).toMatch(/^enc:v1:/);
      expect(() => JSON.parse(row.private_jwk)).toThrow();
      expect(row.private_jwk).not.toMatch(/"(d|k|kty)"/);
    }
    // The public half stays readable: the JWKS is built from it.
    expect(rows.find((r) => r.use === 'sign')!.public_jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });

    const tokens = createTokens({ config: testConfig(), keys: first, clock: { now: () => T0 } });
    const { token } = await tokens.signAccess({ sub: SUB, sid: SID });
    const again = await ring({ LATCHKEY_KEY_SECRET: SECRET });
    expect(again.accessSigner().kid).toBe(first.accessSigner().kid);
    const tokensAgain = createTokens({ config: testConfig(), keys: again, clock: { now: () => T0 } });
    expect(await codeOf(tokensAgain.verifyAccess(token))).toBe('ok');
    const refreshClaims = {
      sub: SUB,
      sid: SID,
      jti: '33333333-3333-4333-8333-333333333333',
      iat: T0 / 1000,
      exp: T0 / 1000 + 60,
    };
    expect(await tokensAgain.signRefresh(refreshClaims)).toBe(await tokens.signRefresh(refreshClaims));
  });

  it('stops with a clear message on a wrong secret or none', async () => {
    await expect(ring({ LATCHKEY_KEY_SECRET: 'another secret, not the one' })).rejects.toThrow(
      /could not be decrypted: LATCHKEY_KEY_SECRET is not the secret they were encrypted with/,
    );
    await expect(ring({})).rejects.toThrow(/signing keys are encrypted: set LATCHKEY_KEY_SECRET/);
  });

  it('encrypts keys that were stored in plaintext once the secret is set', async () => {
    const plain = await memoryDatabase();
    const repo = keysRepository(plain.db);
    const clock = { now: () => T0 };
    const before = await loadKeyRing({ repo, config: testConfig(), clock });
    expect(
      (await rawQuery<{ private_jwk: string }>(plain, 'select private_jwk from signing_keys')).every((r) =>
        r.private_jwk.startsWith('{'),
      ),
    ).toBe(true);
    const after = await loadKeyRing({ repo, config: testConfig({ LATCHKEY_KEY_SECRET: SECRET }), clock });
    expect(after.accessSigner().kid).toBe(before.accessSigner().kid);
    expect(
      (await rawQuery<{ private_jwk: string }>(plain, 'select private_jwk from signing_keys')).every((r) =>
        r.private_jwk.startsWith('enc:v1:'),
      ),
    ).toBe(true);
    // The refresh and code keys a plaintext backup holds are replaced, not only encrypted: the
    // backup cannot forge new refresh tokens; the old key still verifies the ones it signed.
    expect(after.refreshSigner().kid).not.toBe(before.refreshSigner().kid);
    expect(after.codeKey().kid).not.toBe(before.codeKey().kid);
    expect(after.refreshVerifier(before.refreshSigner().kid)).toBeDefined();
    await expect(loadKeyRing({ repo, config: testConfig(), clock })).rejects.toThrow(/set LATCHKEY_KEY_SECRET/);
    await plain.close();
  });
});
