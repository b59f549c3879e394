/**
 * @latchkey/verify in another service: a plain node:http service behind the
 * package's middleware accepts a Latchkey access token, refuses forged, expired
 * and wrongly addressed ones, and — following the revocation feed — refuses a
 * logged-out token within about a second, long before it expires.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createVerifier, type VerifyError } from '../../packages/verify/src/index.js';
import { pglite } from '../support/databases.js';
import { registerUser, suiteServer } from '../support/server.js';

const FEED_TOKEN = 'feed-token-for-the-verify-package-tests-0123';

describe('@latchkey/verify', () => {
  const t = suiteServer(pglite, { env: { REVOCATION_FEED_TOKEN: FEED_TOKEN, ACCESS_TOKEN_TTL: '5m' } });
  let verifier: ReturnType<typeof createVerifier>;
  let service: Server;
  let serviceUrl: string;

  beforeAll(async () => {
    verifier = createVerifier({
      issuer: 'latchkey',
      audience: 'latchkey',
      jwksUrl: `${t.url}/.well-known/jwks.json`,
      revocations: { url: `${t.url}/revocations`, token: FEED_TOKEN, intervalMs: 200 },
    });
    const guard = verifier.middleware();
    service = createServer((req, res) =>
      guard(req, res, () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ hello: (req as { auth?: { sub: string } }).auth?.sub }));
      }),
    );
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    verifier?.close();
    await new Promise((resolve) => service?.close(resolve));
  });

  const call = async (token?: string) => {
    const res = await fetch(serviceUrl, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as { hello?: string; error?: string } };
  };

  it('lets a signed-in user through with their id, and refuses a missing token', async () => {
    const alice = t.client();
    const { res } = await registerUser(alice);
    expect(await call(alice.token)).toEqual({ status: 200, body: { hello: res.body.data.register.user.id } });
    expect(await call()).toMatchObject({ status: 401, body: { error: 'UNAUTHENTICATED' } });
  });

  it('refuses a logged-out token within about a second', async () => {
    const bob = t.client();
    await registerUser(bob);
    const token = bob.token!;
    expect((await call(token)).status).toBe(200);
    expect((await bob.gql('mutation { logout }')).body.data.logout).toBe(true);
    await vi.waitUntil(async () => (await call(token)).status === 401, { timeout: 1500, interval: 50 });
    expect(await call(token)).toMatchObject({ status: 401, body: { error: 'TOKEN_REVOKED' } });
  });

  it('refuses tokens signed by another key, for another audience, or of another type', async () => {
    const carol = t.client();
    await registerUser(carol);
    const { privateKey } = await generateKeyPair('EdDSA');
    const forged = await new SignJWT({ sid: 'x' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'made-up' })
      .setIssuer('latchkey')
      .setAudience('latchkey')
      .setSubject('someone')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await call(forged)).toMatchObject({ status: 401, body: { error: 'TOKEN_INVALID' } });
    const other = createVerifier({
      issuer: 'latchkey',
      audience: 'another-app',
      jwksUrl: `${t.url}/.well-known/jwks.json`,
    });
    await expect(other.verify(carol.token!)).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    } satisfies Partial<VerifyError>);
    // A refresh token is never an access token.
    await expect(verifier.verify(carol.refreshToken()!)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
