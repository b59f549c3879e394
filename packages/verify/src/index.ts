/**
 * @latchkey/verify: check Latchkey access tokens in another Node.js service.
 *
 * `verify(token)` checks the signature against the server's JWKS (fetched and
 * cached by jose; Latchkey publishes a key before it signs with it), the header
 * `typ: at+jwt`, `iss`, `aud` and `exp`; with `revocations`, it also refuses
 * tokens of sessions revoked (logged out, revoked, password changed), learned by
 * polling Latchkey's revocation feed about once a second.
 *
 * @example
 *   const verifier = createVerifier({
 *     issuer: 'https://auth.example.com',
 *     audience: 'latchkey',
 *     jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 *     revocations: { url: 'https://auth.example.com/revocations', token: process.env.REVOCATION_FEED_TOKEN! },
 *   });
 *   const claims = await verifier.verify(token); // { sub, sid, … } or throws VerifyError
 *   app.use(verifier.middleware());               // Express, Connect, or plain node:http
 */
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { type FeedOptions, followRevocations } from './revocations.js';

export type { FeedOptions } from './revocations.js';

export interface VerifierOptions {
  /** The tokens' `iss` (Latchkey's JWT_ISSUER). */
  issuer: string;
  /** The tokens' `aud` (Latchkey's JWT_AUDIENCE). */
  audience: string;
  /** `https://auth.example.com/.well-known/jwks.json` */
  jwksUrl: string;
  /** Algorithms accepted (default: the asymmetric ones Latchkey signs with). */
  algorithms?: string[];
  /** Clock skew allowed on `exp`/`nbf`, in seconds (default 0). */
  clockToleranceS?: number;
  /** Follow the revocation feed: logged-out tokens are refused within about `intervalMs`. */
  revocations?: FeedOptions;
}

/** The claims of a valid Latchkey access token. */
export interface AccessClaims extends JWTPayload {
  sub: string;
  sid: string;
}

export type VerifyErrorCode =
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_REVOKED'
  | 'UNAUTHENTICATED'
  | 'REVOCATIONS_UNAVAILABLE';

export class VerifyError extends Error {
  override name = 'VerifyError';
  constructor(
    readonly code: VerifyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A request as Express, Connect and node:http have it; `auth` is set by the middleware. */
interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  auth?: AccessClaims;
}
interface ResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

export interface Verifier {
  verify(token: string): Promise<AccessClaims>;
  /** `(req, res, next)`: a bearer token's claims go to `req.auth`; a missing or refused one gets 401. */
  middleware(): (req: RequestLike, res: ResponseLike, next: (error?: unknown) => void) => void;
  /** Stop polling the feed. */
  close(): void;
}

const bearer = (header: string | string[] | undefined) => {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1];
};

export function createVerifier(options: VerifierOptions): Verifier {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  const feed = options.revocations ? followRevocations(options.revocations) : undefined;
  // Without the first page a just-started service would accept every revoked token: it refuses instead.
  const ready = feed?.ready().then(
    () => true,
    () => false,
  );

  async function verify(token: string): Promise<AccessClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        algorithms: options.algorithms ?? ['EdDSA', 'ES256', 'RS256'],
        clockTolerance: options.clockToleranceS ?? 0,
        requiredClaims: ['sub', 'sid', 'exp'],
      }));
    } catch (e) {
      if (e instanceof errors.JWTExpired) throw new VerifyError('TOKEN_EXPIRED', 'Access token expired');
      throw new VerifyError('TOKEN_INVALID', 'Invalid access token');
    }
    if (feed) {
      if (!(await ready)) throw new VerifyError('REVOCATIONS_UNAVAILABLE', 'The revocation feed has not answered yet');
      if (feed.has(String(payload.sid))) throw new VerifyError('TOKEN_REVOKED', 'This session has ended');
    }
    return payload as AccessClaims;
  }

  return {
    verify,
    middleware: () => (req, res, next) => {
      const token = bearer(req.headers.authorization);
      const refuse = (error: VerifyError) => {
        res.statusCode = error.code === 'REVOCATIONS_UNAVAILABLE' ? 503 : 401;
        res.setHeader('www-authenticate', `Bearer error="invalid_token", error_description="${error.code}"`);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: error.code, message: error.message }));
      };
      if (!token) return refuse(new VerifyError('UNAUTHENTICATED', 'Bearer token required'));
      verify(token).then(
        (claims) => {
          req.auth = claims;
          next();
        },
        (e) => (e instanceof VerifyError ? refuse(e) : next(e)),
      );
    },
    close: () => feed?.close(),
  };
}
