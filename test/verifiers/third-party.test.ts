/**
 * Access tokens checked by code nobody here wrote, as another service would:
 * Debian's PyJWT (PyJWKClient on /.well-known/jwks.json) and the npm packages
 * jsonwebtoken + jwks-rsa, for every algorithm Latchkey signs with (HS256
 * with the shared secret: it has no JWKS). A refresh token must fail them:
 * its key is not published, and even a verifier that skipped the signature
 * refuses its audience.
 *
 * jsonwebtoken 9 has no EdDSA (auth0/node-jsonwebtoken#987): EdDSA is checked
 * by PyJWT (2.6, Debian 12: PyJWKClient maps OKP/Ed25519 keys to EdDSA), and a
 * test records that jsonwebtoken cannot take it. PyJWT missing: a printed skip
 * locally, a failure under CI.
 */
import { join } from 'node:path';
import jsonwebtoken from 'jsonwebtoken';
import jwksClient from 'jwks-rsa';
import { beforeAll, describe, expect, it } from 'vitest';
import { pglite } from '../support/databases.js';
import { run } from '../support/processes.js';
import { loginUser, registerUser, suiteServer } from '../support/server.js';

const PYTHON = process.env.LATCHKEY_PYTHON ?? '/usr/bin/python3';
const REQUIRE_PYJWT = process.env.LATCHKEY_REQUIRE_PYJWT === '1' || process.env.CI === 'true';
const script = join(import.meta.dirname, 'pyjwt_verify.py');

const pyjwt = await run(PYTHON, ['-c', 'import jwt, cryptography; print(jwt.__version__)']).then(
  ({ stdout }) => stdout.trim(),
  () => undefined,
);
if (!pyjwt) {
  if (REQUIRE_PYJWT)
    throw new Error(
      `PyJWT is required under CI but ${PYTHON} cannot import jwt and cryptography (apt-get install python3-jwt python3-cryptography)`,
    );
  console.warn(
    `[skip] ${PYTHON} has no PyJWT/cryptography (apt-get install python3-jwt python3-cryptography): PyJWT checks not run`,
  );
}

const SECRET = 'a shared secret of at least thirty-two characters';
const ISSUER = 'latchkey';
const AUDIENCE = 'latchkey';

interface PyResult {
  ok: boolean;
  claims?: Record<string, unknown>;
  error?: string;
}
const pyVerify = async (mode: 'full' | 'audience', token: string, alg: string, source: string): Promise<PyResult> =>
  JSON.parse((await run(PYTHON, [script, mode, token, alg, ISSUER, AUDIENCE, source])).stdout);

/** jsonwebtoken.verify with keys from jwks-rsa (or the shared secret): the claims, or the error's name. */
function npmVerify(
  token: string,
  alg: jsonwebtoken.Algorithm,
  jwksUri: string | undefined,
): Promise<{ ok: boolean; claims?: jsonwebtoken.JwtPayload; error?: string }> {
  const client = jwksUri ? jwksClient({ jwksUri, cache: false }) : undefined;
  const key: jsonwebtoken.Secret | jsonwebtoken.GetPublicKeyOrSecret = client
    ? (header, done) =>
        client.getSigningKey(header.kid).then(
          (k) => done(null, k.getPublicKey()),
          (e: Error) => done(e),
        )
    : SECRET;
  return new Promise((resolve) =>
    jsonwebtoken.verify(
      token,
      key as jsonwebtoken.GetPublicKeyOrSecret,
      { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE },
      (err, claims) =>
        resolve(err ? { ok: false, error: err.name } : { ok: true, claims: claims as jsonwebtoken.JwtPayload }),
    ),
  );
}

const tamper = (token: string) => {
  const [h, p, s] = token.split('.');
  return `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
};

describe.each([
  { alg: 'EdDSA', npm: false },
  { alg: 'ES256', npm: true },
  { alg: 'RS256', npm: true },
  { alg: 'HS256', npm: true },
] as const)('$alg tokens checked by third-party verifiers', ({ alg, npm }) => {
  const t = suiteServer(pglite, {
    env: { JWT_ALG: alg, EXPOSE_REFRESH_TOKEN: 'true', ...(alg === 'HS256' ? { JWT_SECRET: SECRET } : {}) },
  });
  let access: string;
  /** An access token of an account with roles (API.md §10.2): the `roles` claim. */
  let withRoles: string;
  let refresh: string;
  let userId: string;
  let jwksUri: string | undefined;
  /** What PyJWT verifies with: the JWKS URL, or the shared secret. */
  let source: string;
  beforeAll(async () => {
    const registered = await registerUser(t.client());
    userId = registered.userId;
    access = registered.res.body.data.register.accessToken;
    refresh = registered.res.body.data.register.refreshToken;
    jwksUri = alg === 'HS256' ? undefined : `${t.url}/.well-known/jwks.json`;
    source = jwksUri ?? SECRET;
    const other = await registerUser(t.client());
    await t.sql(
      `insert into user_roles (user_id, role, granted_at) values ($1, 'support', now()), ($1, 'admin', now())`,
      [other.userId],
    );
    withRoles = (await loginUser(t, other.email)).token!;
  });

  it.runIf(pyjwt)('PyJWT accepts the access token and refuses a tampered one and the refresh token', async () => {
    const ok = await pyVerify('full', access, alg, source);
    expect(ok).toMatchObject({
      ok: true,
      claims: { sub: userId, iss: ISSUER, aud: AUDIENCE, auth_time: expect.any(Number), amr: ['pwd'] },
    });
    expect(ok.claims).not.toHaveProperty('roles');
    expect((await pyVerify('full', withRoles, alg, source)).claims).toMatchObject({ roles: ['admin', 'support'] });
    expect((await pyVerify('full', tamper(access), alg, source)).error).toBe('InvalidSignatureError');
    // The refresh token: its key is in no JWKS (nor is it the shared secret), and its audience is not ours.
    expect((await pyVerify('full', refresh, alg, source)).ok).toBe(false);
    expect((await pyVerify('audience', refresh, 'HS256', source)).error).toBe('InvalidAudienceError');
  });

  if (!npm) {
    // Worth knowing before choosing JWT_ALG: a service verifying with jsonwebtoken cannot take EdDSA.
    it('jsonwebtoken (9.x, no EdDSA) cannot verify it: services using it need ES256 or RS256', async () => {
      expect((await npmVerify(access, 'EdDSA' as jsonwebtoken.Algorithm, jwksUri)).ok).toBe(false);
    });
    return;
  }

  it('jsonwebtoken + jwks-rsa accept the access token and refuse a tampered one and the refresh token', async () => {
    const algorithm = alg as jsonwebtoken.Algorithm;
    expect(await npmVerify(access, algorithm, jwksUri)).toMatchObject({
      ok: true,
      claims: { sub: userId, iss: ISSUER, aud: AUDIENCE, auth_time: expect.any(Number), amr: ['pwd'] },
    });
    expect((await npmVerify(withRoles, algorithm, jwksUri)).claims).toMatchObject({ roles: ['admin', 'support'] });
    expect((await npmVerify(tamper(access), algorithm, jwksUri)).error).toBe('JsonWebTokenError');
    expect((await npmVerify(refresh, algorithm, jwksUri)).ok).toBe(false);
    // Whatever key a verifier had, the audience it checks (above) is not the refresh token's.
    const decoded = jsonwebtoken.decode(refresh, { complete: true })!;
    expect(decoded.header).toMatchObject({ typ: 'rt+jwt', alg: 'HS256' });
    expect(decoded.payload).toMatchObject({ aud: `${ISSUER}:refresh` });
  });
});
