/**
 * Access and refresh tokens: signing (jws.ts, node:crypto) and verification (jose), pure crypto, no I/O
 * (beyond the key ring, which only reads the database for a kid it has never seen).
 *
 * Access token: JWS `typ: at+jwt` (RFC 9068) signed with JWT_ALG, claims
 * iss, aud, sub, sid, jti, iat, exp, and auth_time / amr (the session's last
 * real sign-in and its RFC 8176 methods, API.md §8.2.5). Refresh token: JWS `typ: rt+jwt`,
 * HS256 with the server's refresh secret, audience `<issuer>:refresh`. The two
 * differ in typ, audience, algorithm family and key, so neither passes as the other.
 *
 * Verification (RFC 8725): the one configured algorithm only; typ, iss, aud,
 * exp, nbf checked; headers `jwk`, `jku`, `x5u`, `x5c` and unknown `crit`
 * refused; keys come only from the key ring, never fetched.
 *
 * @example
 *   const tokens = createTokens({ config, keys, clock });
 *   const { token } = await tokens.signAccess({ sub: user.id, sid: session.id });
 *   const claims = await tokens.verifyAccess(token); // { sub, sid, jti, exp, ... }
 */
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import type { Clock } from './clock.js';
import { AuthError } from './errors.js';
import { compactJws, hs256Matches } from './jws.js';
import type { KeyRing } from './keys.js';

export const ACCESS_TYP = 'at+jwt';
export const REFRESH_TYP = 'rt+jwt';

interface TokenClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  /** Seconds since the epoch. */
  exp: number;
}

export interface AccessClaims extends TokenClaims {
  /** Seconds since the epoch: the session's last real sign-in (tokens signed before it existed lack it). */
  auth_time?: number;
  amr?: string[];
  /** The account's roles (API.md §10.2), as of the sign-in or refresh that signed it; absent when none. */
  roles?: string[];
}

export interface RefreshClaims extends TokenClaims {}

export interface Tokens {
  signAccess(subject: {
    sub: string;
    sid: string;
    authTime?: Date;
    amr?: string[];
    roles?: readonly string[];
    /** The session's absolute end: the token expires then at the latest (no token outlives its session). */
    notAfter?: Date;
  }): Promise<{ token: string; claims: AccessClaims }>;
  /** @throws AuthError TOKEN_INVALID or TOKEN_EXPIRED */
  verifyAccess(token: string): Promise<AccessClaims>;
  /** Deterministic: the same claims always give the same token string. */
  signRefresh(claims: RefreshClaims): Promise<string>;
  /** Verifies signature and claims; `exp` is returned, not enforced (the session decides which error fits). */
  verifyRefresh(token: string): Promise<RefreshClaims>;
}

type TokenConfig = Pick<Config, 'jwtAlg' | 'jwtIssuer' | 'jwtAudience' | 'jwtLeewayMs' | 'accessTokenTtlMs'>;

const forbiddenHeaders = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/** `typ` is a media type: compared case-insensitively, `application/` optional (RFC 7515 §4.1.9, RFC 9068 §4). */
const mediaType = (typ: unknown) =>
  typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : undefined;

/** Reject what RFC 8725 says to reject before any key is looked up. */
function checkHeader(token: string, alg: string, typ: string): JWTHeaderParameters {
  let header: JWTHeaderParameters;
  try {
    header = decodeProtectedHeader(token) as JWTHeaderParameters;
  } catch {
    throw new AuthError('TOKEN_INVALID');
  }
  if (header.alg !== alg || mediaType(header.typ) !== typ) throw new AuthError('TOKEN_INVALID');
  for (const h of forbiddenHeaders) if (h in header) throw new AuthError('TOKEN_INVALID');
  return header;
}

function mapJoseError(e: unknown): never {
  if (e instanceof AuthError) throw e;
  if (e instanceof errors.JWTExpired) throw new AuthError('TOKEN_EXPIRED');
  throw new AuthError('TOKEN_INVALID');
}

function claimsOf(payload: JWTPayload): TokenClaims {
  const { sub, sid, jti, iat, exp } = payload as Record<string, unknown>;
  if (
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number'
  ) {
    throw new AuthError('TOKEN_INVALID');
  }
  return { sub, sid, jti, iat, exp };
}

function accessClaimsOf(payload: JWTPayload): AccessClaims {
  const { auth_time, amr } = payload as Record<string, unknown>;
  const claims: AccessClaims = claimsOf(payload);
  if (typeof auth_time === 'number') claims.auth_time = auth_time;
  if (Array.isArray(amr) && amr.every((m) => typeof m === 'string')) claims.amr = amr;
  const { roles } = payload as Record<string, unknown>;
  if (Array.isArray(roles) && roles.every((r) => typeof r === 'string')) claims.roles = roles;
  return claims;
}

export function createTokens({ config, keys, clock }: { config: TokenConfig; keys: KeyRing; clock: Clock }): Tokens {
  const refreshAudience = `${config.jwtIssuer}:refresh`;
  const leewaySec = Math.floor(config.jwtLeewayMs / 1000);
  // Verified access tokens, until they expire: the hot path does the signature check once.
  const verified = new LRUCache<string, AccessClaims>({ max: 50_000 });

  const verifyOptions = (typ: string, audience: string, algorithms: string[]) => ({
    algorithms,
    typ,
    issuer: config.jwtIssuer,
    audience,
    clockTolerance: leewaySec,
    currentDate: new Date(clock.now()),
    requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
  });

  return {
    async signAccess({ sub, sid, authTime, amr, roles: held, notAfter }) {
      const signer = keys.accessSigner();
      const iat = Math.floor(clock.now() / 1000);
      const auth_time = authTime && Math.floor(authTime.getTime() / 1000);
      // Omitted when empty: a token of an account without roles is byte for byte what it was before roles.
      const roles = held?.length ? [...held] : undefined;
      const claims: AccessClaims = {
        sub,
        sid,
        jti: randomUUID(),
        iat,
        exp: Math.min(
          iat + Math.ceil(config.accessTokenTtlMs / 1000),
          notAfter ? Math.floor(notAfter.getTime() / 1000) : Number.POSITIVE_INFINITY,
        ),
        auth_time,
        amr,
        roles,
      };
      const token = compactJws(
        { alg: signer.alg, typ: ACCESS_TYP, kid: signer.kid },
        {
          sid,
          iss: config.jwtIssuer,
          aud: config.jwtAudience,
          sub,
          jti: claims.jti,
          iat,
          exp: claims.exp,
          auth_time,
          amr,
          roles,
        },
        signer.sign,
      );
      return { token, claims };
    },

    async verifyAccess(token) {
      const cached = verified.get(token);
      const nowSec = clock.now() / 1000;
      if (cached) {
        if (cached.exp + leewaySec > nowSec) return cached;
        verified.delete(token);
        throw new AuthError('TOKEN_EXPIRED');
      }
      const header = checkHeader(token, config.jwtAlg, ACCESS_TYP);
      const key = await keys.accessVerifier(header.kid);
      if (!key) throw new AuthError('TOKEN_INVALID');
      try {
        const { payload } = await jwtVerify(token, key, verifyOptions(ACCESS_TYP, config.jwtAudience, [config.jwtAlg]));
        const claims = accessClaimsOf(payload);
        // Issued "later than now" beyond the leeway: a clock gone wrong, or a forgery. Either way it
        // would outlive what a revocation reckons with (its lifetime from the revocation), so refuse it.
        if (claims.iat * 1000 > clock.now() + config.jwtLeewayMs)
          throw new AuthError('TOKEN_INVALID', 'Token is not valid yet');
        verified.set(token, claims);
        return claims;
      } catch (e) {
        mapJoseError(e);
      }
    },

    async signRefresh(claims) {
      const signer = keys.refreshSigner();
      // Fixed claim order and HMAC make this deterministic (see keys.ts).
      return compactJws(
        { alg: 'HS256', typ: REFRESH_TYP, kid: signer.kid },
        {
          sid: claims.sid,
          iss: config.jwtIssuer,
          aud: refreshAudience,
          sub: claims.sub,
          jti: claims.jti,
          iat: claims.iat,
          exp: claims.exp,
        },
        signer.sign,
      );
    },

    async verifyRefresh(token) {
      const header = checkHeader(token, 'HS256', REFRESH_TYP);
      const key = keys.refreshVerifier(header.kid);
      const parts = token.split('.');
      // Our own tokens carry no critical extensions.
      if (!key || header.crit !== undefined || parts.length !== 3) throw new AuthError('TOKEN_INVALID');
      const [head, body, signature] = parts;
      if (!hs256Matches(key, `${head}.${body}`, signature)) throw new AuthError('TOKEN_INVALID');
      let payload: JWTPayload;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw new AuthError('TOKEN_INVALID');
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
        throw new AuthError('TOKEN_INVALID');
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      // Expiry is judged by the caller against the database (SESSION_EXPIRED vs TOKEN_EXPIRED);
      // none of ours has `nbf`.
      if (payload.iss !== config.jwtIssuer || !audiences.includes(refreshAudience) || payload.nbf !== undefined)
        throw new AuthError('TOKEN_INVALID');
      return claimsOf(payload);
    },
  };
}
