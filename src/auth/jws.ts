/**
 * Signing a compact JWS synchronously with node:crypto. jose (which verifies every token
 * here) signs through WebCrypto, and in Node each WebCrypto call is a round trip through
 * libuv's thread pool — on a busy 2-core machine several times the cost of the signature
 * itself. Signing is the easy half of JWS (nothing to distrust); verification stays with
 * jose and its RFC 8725 checks.
 *
 * The output is byte for byte what jose's SignJWT gives for the same header and claims
 * (tested), which keeps refresh tokens deterministic across versions.
 *
 * One verification is here too: the HMAC of Latchkey's own refresh tokens (`hs256Matches`).
 * They are opaque to everyone else, and a refresh is hot; jose's WebCrypto round trip for
 * the HMAC was ~10 % of a refresh's CPU on this machine. The header rules of RFC 8725
 * (alg, typ, no key-carrying or critical headers) are checked before it, as before.
 *
 * @example
 *   const sign = jwsSigner('EdDSA', cryptoKey);
 *   const token = compactJws({ alg: 'EdDSA', typ: 'at+jwt', kid }, { sub, exp }, sign);
 */
import { createHmac, createSecretKey, KeyObject, sign, timingSafeEqual } from 'node:crypto';
import type { JwtAlg } from '../config.js';

/** Signs a JWS signing input (`header.payload`); returns the raw signature. */
export type JwsSign = (input: string) => Buffer;

/** A synchronous signer for `alg` with `key` (a CryptoKey as jose uses, or HMAC secret bytes). */
export function jwsSigner(alg: JwtAlg, key: CryptoKey | Uint8Array): JwsSign {
  const k = key instanceof Uint8Array ? createSecretKey(key) : KeyObject.from(key);
  switch (alg) {
    case 'HS256':
      return (input) => createHmac('sha256', k).update(input).digest();
    case 'EdDSA':
      return (input) => sign(null, Buffer.from(input), k);
    case 'ES256':
      // JWS wants the raw r||s form (RFC 7518 §3.4), not DER.
      return (input) => sign('sha256', Buffer.from(input), { key: k, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return (input) => sign('sha256', Buffer.from(input), k);
  }
}

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `base64url(header).base64url(payload).base64url(signature)`; key order is kept as given. */
export function compactJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signWith: JwsSign,
): string {
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${signWith(input).toString('base64url')}`;
}

/** KeyObjects of the CryptoKeys jose holds, made once per key. */
const keyObjects = new WeakMap<CryptoKey | Uint8Array, KeyObject>();

/**
 * Whether `signature` (base64url) is the HS256 MAC of `input` under `key`, compared in
 * constant time. Synchronous: no thread-pool round trip.
 */
export function hs256Matches(key: CryptoKey | Uint8Array, input: string, signature: string): boolean {
  let k = keyObjects.get(key);
  if (!k) keyObjects.set(key, (k = key instanceof Uint8Array ? createSecretKey(key) : KeyObject.from(key)));
  const expected = createHmac('sha256', k).update(input).digest();
  const given = Buffer.from(signature, 'base64url');
  // base64url decoding skips what is not base64url: the re-encoding must give the text back.
  return (
    given.length === expected.length && given.toString('base64url') === signature && timingSafeEqual(given, expected)
  );
}
