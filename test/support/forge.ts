/**
 * Forged access tokens: the attacks of RFC 8725 and API.md §4.2, each with the
 * error the server must answer. Tokens are put together by hand (WebCrypto
 * signs whatever header we like), so no library refuses to build a bad one.
 *
 * @example
 *   const forged = await forgedAccessTokens({ signer: keys.accessSigner(), publicJwk, issuer, audience, ... });
 *   for (const f of forged) expect(await codeOf(f.token)).toBe(f.code);
 */
import { createPublicKey, webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningKey } from '../../src/auth/keys.js';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const subtleParams: Record<string, AlgorithmIdentifier | EcdsaParams> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
};

/** A compact JWS of `header` and `payload`, signed with `key` as `alg` (EdDSA, ES256, RS256 or HS256). */
export async function signJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  alg: string,
): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  const data = new TextEncoder().encode(input);
  let signature: ArrayBuffer;
  if (alg === 'HS256' && !(key instanceof Uint8Array) && key.algorithm.name === 'HMAC') {
    // The server's own HMAC keys are imported once and not extractable: sign with them as they are.
    signature = await webcrypto.subtle.sign('HMAC', key as webcrypto.CryptoKey, data);
  } else if (alg === 'HS256') {
    // Key confusion: the bytes of another key (e.g. a public one) used as an HMAC secret.
    const raw =
      key instanceof Uint8Array
        ? key
        : new Uint8Array(await webcrypto.subtle.exportKey('raw', key as webcrypto.CryptoKey));
    const hmac = await webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    signature = await webcrypto.subtle.sign('HMAC', hmac, data);
  } else {
    signature = await webcrypto.subtle.sign(
      subtleParams[alg] as webcrypto.AlgorithmIdentifier,
      key as webcrypto.CryptoKey,
      data,
    );
  }
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

export interface ForgeContext {
  /** The server's real access-token key (keys.accessSigner()). */
  signer: SigningKey;
  /** Its public JWK as the JWKS publishes it (absent for HS256). */
  publicJwk?: JWK;
  issuer: string;
  audience: string;
  /** A real user and session, so only the forgery is wrong. */
  sub: string;
  sid: string;
  nowSec: number;
  /** A genuine refresh token of that session (must not pass as an access token). */
  refreshToken: string;
  /** Where jku / x5u point: a listener that records any fetch. */
  trapUrl: string;
}

export interface Forged {
  name: string;
  token: string;
  code: 'TOKEN_INVALID' | 'TOKEN_EXPIRED';
}

/** A syntactically valid but meaningless X.509 chain entry: x5c must be refused for being there. */
const X5C = Buffer.from('not a certificate, and never fetched').toString('base64');

/** Every forgery we know of; each must be refused with `code`, never accepted, never a 500. */
export async function forgedAccessTokens(c: ForgeContext): Promise<Forged[]> {
  const { alg, kid, key } = c.signer;
  const claims = {
    iss: c.issuer,
    aud: c.audience,
    sub: c.sub,
    sid: c.sid,
    jti: 'forged-jti',
    iat: c.nowSec,
    exp: c.nowSec + 300,
  };
  const header = { alg, typ: 'at+jwt', kid };
  const real = (h: Record<string, unknown>, p: Record<string, unknown> = claims) => signJws(h, p, key, alg);
  const genuine = await real(header);
  const [gh, gp, gs] = genuine.split('.');

  // An attacker's own key of the configured kind.
  const attacker = alg === 'HS256' ? undefined : await generateKeyPair(alg, { extractable: true });
  const attackerJwk = attacker ? { ...(await exportJWK(attacker.publicKey)), kid: 'attacker', alg } : undefined;
  const mine = (h: Record<string, unknown>) =>
    attacker
      ? signJws(h, claims, attacker.privateKey, alg)
      : signJws(h, claims, new TextEncoder().encode('attacker-secret-attacker-secret!!'), 'HS256');

  const forged: Forged[] = [];
  const add = (name: string, token: string, code: Forged['code'] = 'TOKEN_INVALID') =>
    forged.push({ name, token, code });

  for (const none of ['none', 'None', 'NONE', 'nOnE']) {
    add(`alg ${none}, no signature`, `${b64({ alg: none, typ: 'at+jwt', kid })}.${gp}.`);
    add(`alg ${none}, genuine signature kept`, `${b64({ alg: none, typ: 'at+jwt', kid })}.${gp}.${gs}`);
  }
  add('stripped signature', `${gh}.${gp}.`);
  add('edited payload (sub)', `${gh}.${b64({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${gs}`);
  add('edited payload (exp pushed out)', `${gh}.${b64({ ...claims, exp: claims.exp + 86_400 })}.${gs}`);
  add('edited header (kid)', `${b64({ ...header, kid: 'other' })}.${gp}.${gs}`);
  if (c.publicJwk) {
    // Key confusion: HMAC keyed with the public key, in the forms a naive verifier would use.
    const pem = createPublicKey({ key: c.publicJwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const hs = { alg: 'HS256', typ: 'at+jwt', kid };
    add('HS256 keyed with the public key (PEM)', await signJws(hs, claims, new TextEncoder().encode(pem), 'HS256'));
    add(
      'HS256 keyed with the public key (JWK JSON)',
      await signJws(hs, claims, new TextEncoder().encode(JSON.stringify(c.publicJwk)), 'HS256'),
    );
    add(
      'HS256 keyed with the public key (x / n)',
      await signJws(hs, claims, new TextEncoder().encode(String(c.publicJwk.x ?? c.publicJwk.n)), 'HS256'),
    );
  }
  if (attackerJwk) {
    add('embedded jwk (attacker key)', await mine({ ...header, kid: 'attacker', jwk: attackerJwk }));
    add('embedded jwk with the real kid', await mine({ ...header, jwk: attackerJwk }));
  }
  add('jku to a key set we do not own', await mine({ ...header, kid: 'attacker', jku: `${c.trapUrl}/jwks.json` }));
  add('x5u to a certificate we do not own', await mine({ ...header, kid: 'attacker', x5u: `${c.trapUrl}/cert.pem` }));
  add('x5c chain in the header', await mine({ ...header, kid: 'attacker', x5c: [X5C] }));
  add('unknown kid', await mine({ ...header, kid: 'attacker' }));
  // The real key signing a header that must be refused anyway: refusal does not depend on the signature.
  add(
    'genuine signature with jwk',
    await real({ ...header, ...(attackerJwk ? { jwk: attackerJwk } : { jwk: { kty: 'oct', k: 'AA' } }) }),
  );
  add('genuine signature with jku', await real({ ...header, jku: `${c.trapUrl}/jwks.json` }));
  add('genuine signature with x5u', await real({ ...header, x5u: `${c.trapUrl}/cert.pem` }));
  add('genuine signature with x5c', await real({ ...header, x5c: [X5C] }));
  add(
    'unknown crit',
    await real({ ...header, crit: ['urn:example:must-understand'], 'urn:example:must-understand': true }),
  );
  add('crit naming a standard claim', await real({ ...header, crit: ['exp'] }));
  add('typ JWT', await real({ ...header, typ: 'JWT' }));
  add('typ rt+jwt', await real({ ...header, typ: 'rt+jwt' }));
  add('no typ', await real({ alg, kid }));
  add('no kid', await real({ alg, typ: 'at+jwt' }));
  add('wrong iss', await real(header, { ...claims, iss: 'https://evil.example' }));
  add('wrong aud', await real(header, { ...claims, aud: 'another-service' }));
  add('aud of refresh tokens', await real(header, { ...claims, aud: `${c.issuer}:refresh` }));
  add('no sid', await real(header, { ...claims, sid: undefined }));
  add('no exp', await real(header, { ...claims, exp: undefined }));
  add('expired', await real(header, { ...claims, iat: c.nowSec - 600, exp: c.nowSec - 300 }), 'TOKEN_EXPIRED');
  add('nbf in the future', await real(header, { ...claims, nbf: c.nowSec + 3600 }));
  add('a refresh token as bearer', c.refreshToken);
  add('empty string', '');
  add('garbage', 'garbage');
  add('three dots', '...');
  add('three parts of junk', 'a.b.c');
  add('header only', gh);
  add('non-JSON header', `${b64('not json')}.${gp}.${gs}`);
  add('header is a JSON array', `${b64([header])}.${gp}.${gs}`);
  add('payload is not JSON', `${gh}.${b64('not json')}.${gs}`);
  add('five parts (JWE shape)', `${gh}.${gp}.${gs}.x.y`);
  // Long, but under Node's 16 KiB header limit (beyond it HTTP answers 431 before any check).
  add('very long', `${gh}.${'A'.repeat(12_000)}.${gs}`);
  return forged;
}
