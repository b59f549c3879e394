/**
 * Signing keys: the key ring that signs and verifies tokens, the JWKS, rotation.
 *
 * Keys live in the database (so every instance shares them), private halves
 * encrypted with AES-256-GCM when LATCHKEY_KEY_SECRET is set. Two kinds:
 *  - `sign`: the asymmetric key of JWT_ALG that signs access tokens (published in the JWKS);
 *  - `refresh`: a 256-bit HMAC secret that signs refresh tokens. HMAC is
 *    deterministic, so the server can hand back the *same* successor token to
 *    a tab that lost a refresh race (API.md §4.4) without storing tokens;
 *  - `otp`: a 256-bit HMAC secret that keys the hashes of one-time codes, so a
 *    copy of the database alone cannot turn a stored hash back into a live code.
 * `rotate` replaces the access and refresh keys; a retired refresh key verifies
 * until every refresh token it signed has expired, then it is dropped.
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
  /** The key that hashes new one-time codes, and the one a stored hash names. */
  codeKey(): { kid: string; secret: Buffer };
  codeKeyFor(kid: string): Buffer | undefined;
  /** Public keys for `/.well-known/jwks.json`; `undefined` when JWT_ALG=HS256. */
  jwks(): { keys: JWK[] } | undefined;
  /** Re-read keys from the database (another instance may have rotated). */
  reload(): Promise<void>;
  /**
  /**
   * Make new keys: the access-signing key is published at once and signs after
   * KEY_ACTIVATION_DELAY (so verifiers holding a cached JWKS already know it), or at once with
   * `now` (a compromised key); the refresh key (checked by this server alone) changes at once.
   * The old ones keep verifying until their tokens expire. (With JWT_ALG=HS256 only the refresh
   * key: JWT_SECRET is a setting.)
   */
  rotate(options?: {
    now?: boolean;
  }): Promise<{ kid: string | undefined; refreshKid: string; retired: string[]; activatesAt: Date }>;
}

interface LoadOptions {
  repo: KeysRepository;
  config: Pick<
    Config,
    | 'jwtAlg'
    | 'jwtSecret'
    | 'keySecret'
    | 'accessTokenTtlMs'
    | 'jwtLeewayMs'
    | 'refreshTokenTtlMs'
    | 'rememberMeTtlMs'
    | 'sessionAbsoluteTtlMs'
  > &
    Partial<Pick<Config, 'keyActivationDelayMs'>>;
  clock: Clock;
}

/** Load the key ring, creating the first keys when the database has none. */
export async function loadKeyRing({ repo, config, clock }: LoadOptions): Promise<KeyRing> {
  const sealer = config.keySecret ? await createSealer(config.keySecret, 'signing-keys-v1', 'signing keys') : undefined;
  const hs256 = config.jwtAlg === 'HS256';

  const newKeyRow = async (use: 'sign' | 'refresh' | 'otp'): Promise<NewSigningKey> => {
    const alg: string = use === 'sign' ? config.jwtAlg : 'HS256';
    let publicJwk: JWK | null = null;
    let privateJwk: JWK;
    if (use !== 'sign') {
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
      kid: `${{ sign: 'k', refresh: 'r', otp: 'c' }[use]}-${randomUUID()}`,
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
  if (!hasActive('otp', 'HS256')) await repo.ensureActive(await newKeyRow('otp'));
  // Keys stored before LATCHKEY_KEY_SECRET was set are encrypted now: "at rest" means every row.
  // The active refresh and code keys are also replaced: an old backup holds them in plain text,
  // and it must not keep forging refresh tokens (the old key still verifies the tokens it signed).
  if (sealer) {
    for (const row of existing) {
      if (isSealed(row)) continue;
      if ((row.use === 'refresh' || row.use === 'otp') && !row.retiredAt)
        await repo.rotate(await newKeyRow(row.use), new Date(clock.now()));
      await repo.sealPrivate(row.kid, await sealer.seal(row.privateJwk));
    }
  }

  let rows: SigningKeyRow[] = [];
  /**
   * Keys that sign, newest first, each from its `createdAt` until its `retiredAt`: a key made by
   * `rotate` has a `createdAt` in the future (when it starts signing) and the key it replaces is
   * retired at that same moment, so the switch needs no reload at the right time.
   */
  let signers: { from: number; until: number; key: SigningKey }[] = [];
  let signer: SigningKey | undefined;
  let refresh: SigningKey | undefined;
  let code: { kid: string; secret: Buffer } | undefined;
  const verifiers = new Map<string, Key>();
  const refreshVerifiers = new Map<string, Key>();
  const codeKeys = new Map<string, Buffer>();
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
  /** The longest a refresh token lives: the longer of the two lifetimes, never past a session's end. */
  const refreshLifetime = Math.min(
    Math.max(config.refreshTokenTtlMs, config.rememberMeTtlMs),
    config.sessionAbsoluteTtlMs,
  );
  const refreshStillVerifies = (row: SigningKeyRow) =>
    !row.retiredAt || row.retiredAt.getTime() + refreshLifetime + config.jwtLeewayMs + 60_000 > clock.now();

  const reload = async () => {
    rows = await repo.all();
    const nextVerifiers = new Map<string, Key>();
    const nextRefresh = new Map<string, Key>();
    const nextPublic: JWK[] = [];
    let nextSigner: SigningKey | undefined;
    const nextSigners: typeof signers = [];
    let nextRefreshSigner: SigningKey | undefined;
    let nextCode: typeof code;
    const nextCodeKeys = new Map<string, Buffer>();
    // Newest first, so the newest active key signs.
    for (const row of [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())) {
      if (row.use === 'otp') {
        const secret = Buffer.from(String((await privateOf(row)).k), 'base64url');
        if (!row.retiredAt && !nextCode) nextCode = { kid: row.kid, secret };
        nextCodeKeys.set(row.kid, secret);
        continue;
      }
      if (row.use === 'refresh') {
        if (!refreshStillVerifies(row)) continue;
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
      const until = row.retiredAt?.getTime() ?? Infinity;
      if (until > clock.now()) {
        const key = await importJWK(await privateOf(row), row.alg);
        nextSigners.push({
          from: row.createdAt.getTime(),
          until,
          key: { kid: row.kid, alg: config.jwtAlg, key, sign: jwsSigner(config.jwtAlg, key) },
        });
      }
    }
    nextSigner = nextSigners.find((s) => s.from <= clock.now())?.key ?? nextSigners.at(-1)?.key;
    if (hs256) {
      nextSigner = { kid: hsKid, alg: 'HS256', key: hsKey!, sign: jwsSigner('HS256', hsKey!) };
      nextVerifiers.set(hsKid, hsKey!);
      nextSigners.length = 0;
    }
    if (!nextSigner || !nextRefreshSigner || !nextCode) throw new Error('no active signing key');
    signer = nextSigner;
    signers = nextSigners;
    refresh = nextRefreshSigner;
    code = nextCode;
    codeKeys.clear();
    for (const [k, v] of nextCodeKeys) codeKeys.set(k, v);
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

  /** The key that signs now: the newest whose time has come (usually the first; a pending one is skipped). */
  const accessSigner = (): SigningKey => {
    if (signers.length < 2) return signer!;
    const now = clock.now();
    for (const s of signers) if (s.from <= now && s.until > now) return s.key;
    return signer!;
  };

  return {
    accessSigner,
    accessVerifier,
    refreshSigner: () => refresh!,
    refreshVerifier: (kid) => (kid ? refreshVerifiers.get(kid) : undefined),
    codeKey: () => code!,
    codeKeyFor: (kid) => codeKeys.get(kid),
    jwks: () => (hs256 ? undefined : { keys: publicKeys }),
    reload,
    rotate: async ({ now = false } = {}) => {
      const at = new Date(clock.now());
      const activatesAt = new Date(clock.now() + (now ? 0 : (config.keyActivationDelayMs ?? 0)));
      // Stored with `createdAt` = when it starts signing; the keys it replaces retire at that moment.
      const access = hs256
        ? undefined
        : await repo.rotate({ ...(await newKeyRow('sign')), createdAt: activatesAt }, activatesAt);
      const refreshKey = await repo.rotate(await newKeyRow('refresh'), at);
      await reload();
      return {
        kid: access?.active.kid,
        refreshKid: refreshKey.active.kid,
        retired: [...(access?.retired ?? []), ...refreshKey.retired],
        activatesAt,
      };
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
