/**
 * What another service sees (API.md §9.3): a key is published before it signs,
 * so a verifier holding a cached JWKS (jose's `createRemoteJWKSet` with its
 * default options: a 30 s cool-down between fetches) never meets an unknown `kid`;
 * `keys rotate --now` shows the failure that delay prevents. Discovery names the
 * issuer and the JWKS, and `Query.tokenInfo` answers as `verifyToken` does.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pglite } from '../support/databases.js';
import { ME, REFRESH, registerUser, send, suiteServer } from '../support/server.js';

describe('keys published before they sign', () => {
  const t = suiteServer(pglite, { manualClock: true, env: { ACCESS_TOKEN_TTL: '5m' } });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** Time passes for the server (its injected clock) and for jose (which reads Date). */
  function advance(ms: number) {
    t.clock!.advance(ms);
    vi.setSystemTime(Date.now() + ms);
  }

  const verifierOf = () => {
    const jwks = createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`));
    return (token: string) => jwtVerify(token, jwks, { issuer: 'latchkey', audience: 'latchkey', typ: 'at+jwt' });
  };

  it('lets a verifier with a cached JWKS accept every token across a rotation', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // A service starts (and fetches the JWKS) at every step: some fetch it moments before the new key
    // first signs, inside jose's cool-down, which only a key published beforehand gets through.
    const verifiers: ReturnType<typeof verifierOf>[] = [];
    const alice = t.client();
    await registerUser(alice);
    const kids: string[] = [];
    let latest = alice.token!;
    let activatesAt = 0;
    // Eight minutes of refreshes every 20 s, with a rotation one minute in; each new token is checked at once.
    for (let step = 0; step < 24; step++) {
      if (step === 3) {
        const rotated = await t.server.services.keys.rotate();
        activatesAt = rotated.activatesAt.getTime();
        // Published at once, signing only after the default delay: the JWKS max-age (300 s) plus a minute.
        expect(activatesAt - t.clock!.now()).toBe(360_000);
        expect((await send(t.url, '/.well-known/jwks.json')).json.keys.map((k: { kid: string }) => k.kid)).toContain(
          rotated.kid,
        );
      }
      const verify = verifierOf();
      await verify(latest);
      verifiers.push(verify);
      const refreshed = await alice.gql(REFRESH);
      expect(refreshed.body.errors).toBeUndefined();
      const token = refreshed.body.data.refreshToken.accessToken as string;
      const kid = decodeProtectedHeader(token).kid!;
      if (kids.at(-1) !== kid) kids.push(kid);
      latest = token;
      for (const [i, check] of verifiers.entries())
        await expect(check(token), `step ${step} (${kid}), service ${i}`).resolves.toBeDefined();
      advance(20_000);
    }
    // The rotation happened inside the run: the old key signed first, then (after the delay) the new one.
    expect(kids).toHaveLength(2);
    expect(t.clock!.now()).toBeGreaterThan(activatesAt);
  });

  it('with --now a verifier that fetched the JWKS moments ago refuses the new key’s tokens (what the delay prevents)', async () => {
    const verify = verifierOf();
    const bob = t.client();
    await registerUser(bob);
    await expect(verify(bob.token!)).resolves.toBeDefined();
    await t.server.services.keys.rotate({ now: true });
    const next = await bob.gql(REFRESH);
    await expect(verify(next.body.data.refreshToken.accessToken)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    // Latchkey itself knows the key at once.
    expect(
      (await bob.gql(ME, undefined, { token: next.body.data.refreshToken.accessToken })).body.data.me,
    ).not.toBeNull();
  });
});

describe('discovery and tokenInfo', () => {
  const t = suiteServer(pglite, {
    env: { PUBLIC_URL: 'https://auth.example.com', JWT_ISSUER: 'https://auth.example.com' },
  });

  it('names the issuer and the JWKS URL on PUBLIC_URL', async () => {
    const res = await send(t.url, '/.well-known/openid-configuration');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      issuer: 'https://auth.example.com',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
    });
    expect(res.headers.get('cache-control')).toMatch(/max-age=300/);
  });

  it('answers Query.tokenInfo as Mutation.verifyToken does, over GET too', async () => {
    const carol = t.client();
    const { res } = await registerUser(carol);
    const token = carol.token!;
    const query = `query Info($token: String!) { tokenInfo(token: $token) { valid tokenType userId expiresAt reason } }`;
    const asQuery = (await carol.gql(query, { token })).body.data.tokenInfo;
    const asMutation = (
      await carol.gql(
        `mutation V($token: String!) { verifyToken(token: $token) { valid tokenType userId expiresAt reason } }`,
        { token },
      )
    ).body.data.verifyToken;
    expect(asQuery).toEqual(asMutation);
    expect(asQuery).toMatchObject({ valid: true, tokenType: 'access', userId: res.body.data.register.user.id });
    const get = await send(
      t.url,
      `/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ token: 'nonsense' }))}`,
    );
    expect(get.json.data.tokenInfo).toMatchObject({ valid: false });
  });
});
