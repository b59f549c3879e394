/**
 * Forged access tokens over real HTTP (API.md §4.2, RFC 8725), on PGlite and
 * PostgreSQL: every forgery is answered TOKEN_INVALID or TOKEN_EXPIRED —
 * never accepted, never a 500 — wherever a token is taken, and jku / x5u
 * never make the server fetch anything (a local listener counts the hits).
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { forgedAccessTokens, type Forged } from '../support/forge.js';
import { ME, REFRESH, jwtPayload, registerUser, suiteServer } from '../support/server.js';

const VERIFY_TOKEN = `mutation($token: String!) { verifyToken(token: $token) { valid tokenType userId reason } }`;

const targets = await databaseTargets();

describe.each(targets)('forged access tokens on $name', (target) => {
  const t = suiteServer(target);
  let trap: HttpServer;
  const hits: string[] = [];
  let forged: Forged[];
  let genuine: string;
  let refreshToken: string;

  beforeAll(async () => {
    trap = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));

    const alice = t.client();
    await registerUser(alice);
    genuine = alice.token!;
    refreshToken = alice.refreshToken()!;
    const { sub, sid } = jwtPayload(genuine);
    const jwks = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
    forged = await forgedAccessTokens({
      signer: t.server.services.keys.accessSigner(),
      publicJwk: jwks.keys[0],
      issuer: t.config.jwtIssuer,
      audience: t.config.jwtAudience,
      sub,
      sid,
      nowSec: Math.floor(Date.now() / 1000),
      refreshToken,
      trapUrl: `http://127.0.0.1:${(trap.address() as AddressInfo).port}`,
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => trap?.close(resolve));
  });

  it('refuses each forgery as a bearer token with its code, a 200 and no data', async () => {
    // The control: the genuine token works.
    expect((await t.client().gql(ME, undefined, { token: genuine })).body.data.me).not.toBeNull();
    for (const f of forged) {
      // An empty bearer is still a bearer header that was sent: it must not read as "no token".
      const res = await t.client().gql(ME, undefined, { headers: { authorization: `Bearer ${f.token}` } });
      expect(res.status, f.name).toBe(200);
      expect(res.code, f.name).toBe(f.code);
      expect(res.body.data?.me ?? null, f.name).toBeNull();
    }
  });

  it('refuses each forgery in mySessions, verifyToken and as a refresh token, never with a 500', async () => {
    for (const f of forged) {
      const sessions = await t
        .client()
        .gql('{ mySessions { id } }', undefined, { headers: { authorization: `Bearer ${f.token}` } });
      expect(sessions.code, f.name).toBe(f.code);
      const info = await t.client().gql(VERIFY_TOKEN, { token: f.token });
      expect(info.status, f.name).toBe(200);
      expect(info.body.data.verifyToken, f.name).toMatchObject({ valid: false, userId: null });
      expect(info.body.data.verifyToken.reason, f.name).toBe(f.code);
      if (f.token === refreshToken) continue; // a genuine refresh token: it may refresh
      const refresh = await t.client().gql(REFRESH, { refreshToken: f.token });
      expect(refresh.status, f.name).toBe(200);
      // The empty string is no refresh token at all.
      expect(refresh.code, f.name).toBe(f.token === '' ? 'UNAUTHENTICATED' : 'TOKEN_INVALID');
    }
  });

  it('never fetches a jku or x5u, nor anything else', async () => {
    const remote = forged.filter((f) => /^(jku|x5u)/.test(f.name));
    expect(new Set(remote.map((f) => f.name.slice(0, 3)))).toEqual(new Set(['jku', 'x5u']));
    // The control: the trap counts a fetch that does happen.
    const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
    await (await fetch(`${trapUrl}/control`)).text();
    expect(hits).toEqual(['GET /control']);
    // Presented here, so this test holds on its own too (run alone, or first).
    for (const f of remote) {
      expect((await t.client().gql(ME, undefined, { token: f.token })).code, f.name).toBe(f.code);
      expect((await t.client().gql(VERIFY_TOKEN, { token: f.token })).body.data.verifyToken.reason, f.name).toBe(
        f.code,
      );
    }
    expect(hits).toEqual(['GET /control']);
  });
});
