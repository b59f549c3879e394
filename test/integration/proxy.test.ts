/**
 * TRUST_PROXY in Fastify's forms: `true` is one proxy hop (the right-most
 * X-Forwarded-For entry, written by our proxy; the client writes the left-most),
 * a hop count, or a list of proxy addresses and ranges. Per-address limits count
 * that address, and the stored session address is always a valid IP.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { databaseTargets, startOnDatabase } from '../support/databases.js';
import { LOGIN, TEST_PASSWORD, registerUser, startTestServer, type TestServer } from '../support/server.js';

const SESSIONS = '{ mySessions { current ip } }';
const targets = await databaseTargets();

/** The address a server stores for a sign-in sent with this X-Forwarded-For. */
async function storedIp(t: TestServer, forwardedFor: string): Promise<string> {
  const client = t.client();
  const { res } = await registerUser(client);
  expect(res.body.errors).toBeUndefined();
  const signedIn = await client.gql(
    LOGIN,
    { email: res.body.data.register.user.email, password: TEST_PASSWORD },
    { headers: { 'x-forwarded-for': forwardedFor } },
  );
  client.token = signedIn.body.data.login.accessToken;
  const sessions = (await client.gql(SESSIONS)).body.data.mySessions as { current: boolean; ip: string }[];
  return sessions.find((s) => s.current)!.ip;
}

describe('TRUST_PROXY settings', () => {
  it('takes false, true, a hop count or a list of addresses and CIDR ranges, and names a bad value', () => {
    const parse = (value: string) => loadConfig({ TRUST_PROXY: value }).trustProxy;
    expect(parse('false')).toBe(false);
    expect(parse('true')).toBe(1);
    expect(parse('2')).toBe(2);
    expect(parse('10.0.0.0/8, ::1, loopback')).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    for (const bad of ['maybe', '10.0.0.0/33', '300.1.1.1', 'example.com']) {
      expect(() => parse(bad), bad).toThrow(
        /^TRUST_PROXY=.* is invalid: expected false, true \(one proxy\), a hop count/,
      );
    }
  });
});

describe.each(targets)('client address behind proxies on $name', (target) => {
  async function withServer(env: Record<string, string>, run: (t: TestServer) => Promise<void>) {
    const t = await startOnDatabase(await target.create(), (url) => startTestServer({ db: url, env }));
    try {
      await run(t);
    } finally {
      await t.close();
    }
  }

  it('TRUST_PROXY=true believes only the right-most entry, and per-address limits count it', async () => {
    await withServer({ TRUST_PROXY: 'true', RATE_LIMIT_LOGIN_IP: '3/15m' }, async (t) => {
      expect(await storedIp(t, '6.6.6.6, 203.0.113.9')).toBe('203.0.113.9');
      // Text where an address should be is never stored: the socket's address stands in.
      expect(await storedIp(t, '203.0.113.10, not-an-address')).toBe('127.0.0.1');
      // Changing the client-written (left-most) entry does not make a new address for the limit.
      const codes = [];
      for (let i = 0; i < 4; i++) {
        const res = await t
          .client()
          .gql(
            LOGIN,
            { email: `nobody${i}@example.test`, password: 'wrong password' },
            { headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.50` } },
          );
        codes.push(res.code);
      }
      expect(codes).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'RATE_LIMITED']);
    });
  });

  it('a hop count and a list of proxy ranges pick the first address that is not a trusted proxy', async () => {
    await withServer({ TRUST_PROXY: '2' }, async (t) => {
      expect(await storedIp(t, '6.6.6.6, 198.51.100.7, 10.0.0.2')).toBe('198.51.100.7');
    });
    await withServer({ TRUST_PROXY: '127.0.0.1/8, 10.0.0.0/8' }, async (t) => {
      expect(await storedIp(t, '6.6.6.6, 198.51.100.8, 10.1.2.3')).toBe('198.51.100.8');
    });
  });

  it('TRUST_PROXY=false (default) ignores X-Forwarded-For', async () => {
    await withServer({}, async (t) => {
      expect(await storedIp(t, '6.6.6.6')).toBe('127.0.0.1');
    });
  });
});
