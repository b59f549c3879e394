/**
 * The synchronous JWS signer: every token it signs verifies with jose, and for the
 * deterministic algorithms it is byte for byte what jose's SignJWT signs — so refresh
 * tokens re-signed from a database row match the ones handed out before.
 */
import { SignJWT, errors, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { compactJws, jwsSigner } from '../../src/auth/jws.js';
import type { JwtAlg } from '../../src/config.js';

const claims = {
  sid: 'session-1',
  iss: 'latchkey',
  aud: 'latchkey',
  sub: 'user-1',
  jti: 'token-1',
  iat: 1_900_000_000,
  exp: 1_900_000_300,
};

async function keysFor(alg: JwtAlg) {
  if (alg === 'HS256') {
    const secret = new TextEncoder().encode('a secret of at least thirty-two bytes!!');
    const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    return { signKey: key, verifyKey: key };
  }
  const pair = await generateKeyPair(alg, { extractable: true });
  // The key ring imports private keys from JWKs, as here.
  return { signKey: (await importJWK(await exportJWK(pair.privateKey), alg)) as CryptoKey, verifyKey: pair.publicKey };
}

const sign = (alg: JwtAlg, key: CryptoKey) =>
  new SignJWT({ sid: claims.sid })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: 'k1' })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setSubject(claims.sub)
    .setJti(claims.jti)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(key);

describe.each(['EdDSA', 'ES256', 'RS256', 'HS256'] as const)('compactJws with %s', (alg) => {
  it('signs tokens jose verifies, header and claims intact', async () => {
    const { signKey, verifyKey } = await keysFor(alg);
    const token = compactJws({ alg, typ: 'at+jwt', kid: 'k1' }, claims, jwsSigner(alg, signKey));
    const { payload, protectedHeader } = await jwtVerify(token, verifyKey, {
      algorithms: [alg],
      typ: 'at+jwt',
      issuer: 'latchkey',
      audience: 'latchkey',
      currentDate: new Date(1_900_000_100_000),
    });
    expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: 'k1' });
    expect(payload).toEqual(claims);
  });

  it('is refused by jose once a byte of it changes', async () => {
    const { signKey, verifyKey } = await keysFor(alg);
    const token = compactJws({ alg, typ: 'at+jwt', kid: 'k1' }, claims, jwsSigner(alg, signKey));
    const forged = token.replace(
      /\.[^.]+\./,
      `.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.`,
    );
    await expect(
      jwtVerify(forged, verifyKey, { algorithms: [alg], currentDate: new Date(1_900_000_100_000) }),
    ).rejects.toThrow(errors.JWSSignatureVerificationFailed);
  });
});

describe.each(['EdDSA', 'HS256'] as const)('compactJws with deterministic %s', (alg) => {
  it("matches jose's SignJWT byte for byte", async () => {
    const { signKey } = await keysFor(alg);
    const mine = compactJws({ alg, typ: 'at+jwt', kid: 'k1' }, claims, jwsSigner(alg, signKey));
    expect(mine).toBe(await sign(alg, signKey));
  });
});
