/**
 * Signing keys: the key ring that signs and verifies tokens, the JWKS, rotation.
 *
 * Keys live in the database (so every instance shares them), private halves
 * encrypted with AES-256-GCM when LATCHKEY_KEY_SECRET is set. Two kinds:
 *  - `sign`: the asymmetric key of JWT_ALG that signs access tokens (published in the JWKS);
 *  - `refresh`: a 256-bit HMAC secret that signs refresh tokens. HMAC is
 *    deterministic, so the server can hand back the *same* successor token to
 *    a tab that lost a refresh race (API.md §4.4) without storing tokens.
 * With JWT_ALG=HS256 access tokens are signed with JWT_SECRET and there is no JWKS.
 *
 * @example
 *   const ring = await loadKeyRing({ repo, config, clock });
 *   ring.jwks(); // { keys: [{ kty: 'OKP', crv: 'Ed25519', kid, alg: 'EdDSA', use: 'sig', x }] }
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Config, JwtAlg } from '../config.js';
import type { Clock } from './clock.js';
import { type JwsSign, jwsSigner } from './jws.js';
import type { KeysRepository, NewSigningKey, SigningKeyRow } from './ports.js';
import { createSealer, isSealedText } from './sealer.js';

type Key = CryptoKey | Uint8Array;

export interface SigningKey {
  kid: string;
  alg: JwtAlg;
  key: Key;
  /** Signs synchronously with this key (see jws.ts). */
  sign: JwsSign;
}

export interface KeyRing {
  /** The key that signs new access tokens. */
  accessSigner(): SigningKey;
  /** A key that may verify an access token with this `kid`, or undefined. */
  accessVerifier(kid: string | undefined): Promise<Key | undefined>;
  refreshSigner(): SigningKey;
  refreshVerifier(kid: string | undefined): Key | undefined;
  /** Public keys for `/.well-known/jwks.json`; `undefined` when JWT_ALG=HS256. */
  jwks(): { keys: JWK[] } | undefined;
  /** Re-read keys from the database (another instance may have rotated). */
  reload(): Promise<void>;
  /** Make a new access-signing key active; the old ones keep verifying until their tokens expire. */
  rotate(): Promise<{ kid: string; retired: string[] }>;
}

interface LoadOptions {
  repo: KeysRepository;
  config: Pick<Config, 'jwtAlg' | 'jwtSecret' | 'keySecret' | 'accessTokenTtlMs' | 'jwtLeewayMs'>;
  clock: Clock;
}

/** Load the key ring, creating the first keys when the database has none. */
export async function loadKeyRing({ repo, config, clock }: LoadOptions): Promise<KeyRing> {
  const sealer = config.keySecret ? await createSealer(config.keySecret, 'signing-keys-v1', 'signing keys') : undefined;
  const hs256 = config.jwtAlg === 'HS256';

  const newKeyRow = async (use: 'sign' | 'refresh'): Promise<NewSigningKey> => {
    const alg: string = use === 'refresh' ? 'HS256' : config.jwtAlg;
    let publicJwk: JWK | null = null;
    let privateJwk: JWK;
    if (use === 'refresh') {
      privateJwk = { kty: 'oct', k: randomBytes(32).toString('base64url') };
    } else {
      const pair = await generateKeyPair(alg, {
        extractable: true,
        ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
      });
      publicJwk = await exportJWK(pair.publicKey);
      privateJwk = await exportJWK(pair.privateKey);
    }
    const text = JSON.stringify(privateJwk);
    return {
      kid: `${use === 'refresh' ? 'r' : 'k'}-${randomUUID()}`,
      alg,
      use,
      publicJwk,
      privateJwk: sealer ? await sealer.seal(text) : text,
      createdAt: new Date(clock.now()),
    };
  };

  const existing = await repo.all();
  const hasActive = (use: string, alg: string) => existing.some((r) => r.use === use && r.alg === alg && !r.retiredAt);
  if (!hs256 && !hasActive('sign', config.jwtAlg)) await repo.ensureActive(await newKeyRow('sign'));
  if (!hasActive('refresh', 'HS256')) await repo.ensureActive(await newKeyRow('refresh'));
  // Keys stored before LATCHKEY_KEY_SECRET was set are encrypted now: "at rest" means every row.
  if (sealer) {
    for (const row of existing) if (!isSealed(row)) await repo.sealPrivate(row.kid, await sealer.seal(row.privateJwk));
  }

  let rows: SigningKeyRow[] = [];
  let signer: SigningKey | undefined;
  let refresh: SigningKey | undefined;
  const verifiers = new Map<string, Key>();
  const refreshVerifiers = new Map<string, Key>();
  let publicKeys: JWK[] = [];

  const hsKey = hs256 ? await hmacKey(new TextEncoder().encode(config.jwtSecret!)) : undefined;
  const hsKid = hs256 ? `hs-${createHash('sha256').update(config.jwtSecret!).digest('base64url').slice(0, 12)}` : '';

  const privateOf = async (row: SigningKeyRow): Promise<JWK> => {
    if (isSealed(row)) {
      if (!sealer)
        throw new Error('signing keys are encrypted: set LATCHKEY_KEY_SECRET to the secret they were encrypted with');
      return JSON.parse(await sealer.open(row.privateJwk));
    }
    return JSON.parse(row.privateJwk);
  };

  /** Retired keys verify until every token they signed has expired. */
  const stillVerifies = (row: SigningKeyRow) =>
    !row.retiredAt || row.retiredAt.getTime() + config.accessTokenTtlMs + config.jwtLeewayMs + 60_000 > clock.now();

  const reload = async () => {
    rows = await repo.all();
    const nextVerifiers = new Map<string, Key>();
    const nextRefresh = new Map<string, Key>();
    const nextPublic: JWK[] = [];
    let nextSigner: SigningKey | undefined;
    let nextRefreshSigner: SigningKey | undefined;
    // Newest first, so the newest active key signs.
    for (const row of [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())) {
      if (row.use === 'refresh') {
        const key = await hmacKey(await importJWK(await privateOf(row), 'HS256'));
        if (!row.retiredAt && !nextRefreshSigner)
          nextRefreshSigner = { kid: row.kid, alg: 'HS256', key, sign: jwsSigner('HS256', key) };
        nextRefresh.set(row.kid, key);
        continue;
      }
      if (hs256 || row.alg !== config.jwtAlg || !stillVerifies(row)) continue;
      const publicJwk = row.publicJwk as JWK;
      nextVerifiers.set(row.kid, await importJWK(publicJwk, row.alg));
      nextPublic.push({ ...publicJwk, kid: row.kid, alg: row.alg, use: 'sig' });
      if (!row.retiredAt && !nextSigner) {
        const key = await importJWK(await privateOf(row), row.alg);
        nextSigner = { kid: row.kid, alg: config.jwtAlg, key, sign: jwsSigner(config.jwtAlg, key) };
      }
    }
    if (hs256) {
      nextSigner = { kid: hsKid, alg: 'HS256', key: hsKey!, sign: jwsSigner('HS256', hsKey!) };
      nextVerifiers.set(hsKid, hsKey!);
    }
    if (!nextSigner || !nextRefreshSigner) throw new Error('no active signing key');
    signer = nextSigner;
    refresh = nextRefreshSigner;
    verifiers.clear();
    for (const [k, v] of nextVerifiers) verifiers.set(k, v);
    refreshVerifiers.clear();
    for (const [k, v] of nextRefresh) refreshVerifiers.set(k, v);
    publicKeys = nextPublic;
  };
  await reload();

  // An unknown kid may be a key another instance just made: reload, but at most every 5 s
  // so forged kids cannot turn into a database query per request.
  let lastMissReload = 0;
  const accessVerifier = async (kid: string | undefined) => {
    if (!kid) return undefined;
    const found = verifiers.get(kid);
    if (found || hs256) return found;
    if (clock.now() - lastMissReload < 5000) return undefined;
    lastMissReload = clock.now();
    await reload();
    return verifiers.get(kid);
  };

  return {
    accessSigner: () => signer!,
    accessVerifier,
    refreshSigner: () => refresh!,
    refreshVerifier: (kid) => (kid ? refreshVerifiers.get(kid) : undefined),
    jwks: () => (hs256 ? undefined : { keys: publicKeys }),
    reload,
    rotate: async () => {
      if (hs256) throw new Error('JWT_ALG=HS256 uses JWT_SECRET; rotate it by changing the setting');
      const { active, retired } = await repo.rotate(await newKeyRow('sign'), new Date(clock.now()));
      await reload();
      return { kid: active.kid, retired };
    },
  };
}

const isSealed = (row: SigningKeyRow) => isSealedText(row.privateJwk);
/**
 * An HMAC secret as a CryptoKey, imported once: jose imports raw bytes anew for every
 * signature and check, which costs more than the HMAC itself.
 */
async function hmacKey(secret: Key): Promise<CryptoKey> {
  if (!(secret instanceof Uint8Array)) return secret;
  return crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}
