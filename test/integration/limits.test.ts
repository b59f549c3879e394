/**
 * Abuse controls over HTTP, in memory (limits-redis.test.ts runs the shared
 * Redis store): failed logins per account and per address, code requests and
 * code checks, refresh and sign-up per address, and the GraphQL rule against
 * checking several passwords or codes in one document.
 *
 * rate-limiter-flexible counts on the system clock (it takes no injected
 * clock), so the one window that is watched expiring is passed by moving the
 * test process's Date forward (the server runs in this process).
 */
import { describe, expect, it, vi } from 'vitest';
import { pglite } from '../support/databases.js';
import { lastCodeTo } from '../support/mail.js';
import {
  LOGIN,
  REFRESH,
  REGISTER,
  TEST_PASSWORD,
  registerUser,
  suiteServer,
  uniqueEmail,
  type TestClient,
} from '../support/server.js';
import { auditEventsOf } from '../support/rows.js';

const REQUEST = `mutation($email: String!) { requestOtp(email: $email) }`;
const VERIFY = `mutation($email: String!, $code: String!) { verifyOtp(email: $email, code: $code) { accessToken } }`;

let ipCounter = 0;
/** A client address of its own, sent as X-Forwarded-For (the server trusts the proxy). */
const newIp = () => `198.51.100.${(++ipCounter % 250) + 1}`;
const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

describe('abuse controls (memory store)', () => {
  const t = suiteServer(pglite, {
    env: {
      TRUST_PROXY: 'true',
      // The per-account and per-email limits keep their defaults (10/15m, 5/15m, 10/15m).
      RATE_LIMIT_LOGIN_IP: '5/15m',
      RATE_LIMIT_OTP_REQUEST_IP: '8/15m',
      RATE_LIMIT_REFRESH_IP: '3/1m',
      RATE_LIMIT_REGISTER_IP: '3/1h',
    },
  });

  const audit = (type: string) => auditEventsOf(t.server.services, { type }, 1000);
  const login = (client: TestClient, email: string, password: string, ip = newIp()) =>
    client.gql(LOGIN, { email, password }, from(ip));
  const register = async (email = uniqueEmail(), ip = newIp()) => {
    const c = t.client();
    const res = await c.gql(REGISTER, { email, password: TEST_PASSWORD }, from(ip));
    if (!res.body.errors) c.token = res.body.data.register.accessToken;
    return { client: c, email, res, userId: res.body.data?.register.user.id as string | undefined };
  };

  it('refuses an account after 10 failed logins in 15 minutes, even from rotating addresses and with the right password', async () => {
    const { email } = await register();
    for (let i = 0; i < 10; i++)
      expect((await login(t.client(), email, `wrong password ${i}`)).code).toBe('INVALID_CREDENTIALS');
    const refused = await login(t.client(), email, TEST_PASSWORD);
    expect(refused.code).toBe('RATE_LIMITED');
    const retryAfter = refused.body.errors![0].extensions!.retryAfter as number;
    expect(Number.isInteger(retryAfter)).toBe(true); // whole seconds, as HTTP's Retry-After
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((await login(t.client(), email, TEST_PASSWORD)).code).toBe('RATE_LIMITED');
    // The hit is audited once per window, not once per refused request, with the address it came from.
    const hits = (await audit('rate_limited')).filter((e) => (e.detail as { limit: string }).limit === 'loginAccount');
    expect(hits.length).toBe(1);
    expect(hits[0].ip).toMatch(/^198\.51\.100\./);

    // Another account is not affected.
    const other = await register();
    expect((await login(t.client(), other.email, TEST_PASSWORD)).body.errors).toBeUndefined();
  });

  it('counts an unknown email the same way (no account enumeration through the limit)', async () => {
    const email = uniqueEmail('nobody');
    for (let i = 0; i < 10; i++)
      expect((await login(t.client(), email, 'any password at all')).code).toBe('INVALID_CREDENTIALS');
    expect((await login(t.client(), email, 'any password at all')).code).toBe('RATE_LIMITED');
  });

  it('counts wrong current passwords on changePassword against the same account limit', async () => {
    const { client, email } = await register();
    const change = (currentPassword: string) =>
      client.gql(
        `mutation($c: String!) { changePassword(currentPassword: $c, newPassword: "a new and long passphrase") }`,
        { c: currentPassword },
        from(newIp()),
      );
    for (let i = 0; i < 10; i++) expect((await change(`wrong ${i}`)).code).toBe('INVALID_CREDENTIALS');
    expect((await change(TEST_PASSWORD)).code).toBe('RATE_LIMITED');
    expect((await login(t.client(), email, TEST_PASSWORD)).code).toBe('RATE_LIMITED');
  });

  it('resets the account counter on a successful login', async () => {
    const { email } = await register();
    for (let i = 0; i < 9; i++) await login(t.client(), email, 'not the password');
    expect((await login(t.client(), email, TEST_PASSWORD)).body.errors).toBeUndefined();
    for (let i = 0; i < 9; i++)
      expect((await login(t.client(), email, 'not the password')).code).toBe('INVALID_CREDENTIALS');
    expect((await login(t.client(), email, TEST_PASSWORD)).body.errors).toBeUndefined();
  });

  it('refuses an address after its failed logins, whatever accounts it tries', async () => {
    const ip = newIp();
    const { email } = await register();
    for (let i = 0; i < 5; i++)
      expect((await login(t.client(), uniqueEmail('spray'), 'Summer2024!', ip)).code).toBe('INVALID_CREDENTIALS');
    const refused = await login(t.client(), email, TEST_PASSWORD, ip);
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.body.errors![0].extensions!.retryAfter).toBeGreaterThan(0);
    // The account itself is fine from another address.
    expect((await login(t.client(), email, TEST_PASSWORD)).body.errors).toBeUndefined();
  });

  it('does not count successful logins against the address', async () => {
    const ip = newIp();
    const { email } = await register();
    for (let i = 0; i < 8; i++) expect((await login(t.client(), email, TEST_PASSWORD, ip)).body.errors).toBeUndefined();
  });

  it('limits code requests per email (5 per 15 minutes) and per address', async () => {
    const { email } = await register();
    for (let i = 0; i < 5; i++)
      expect((await t.client().gql(REQUEST, { email }, from(newIp()))).body.data.requestOtp).toBe(true);
    const refused = await t.client().gql(REQUEST, { email }, from(newIp()));
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.body.errors![0].extensions!.retryAfter).toBeGreaterThan(0);

    const ip = newIp();
    for (let i = 0; i < 8; i++)
      expect((await t.client().gql(REQUEST, { email: uniqueEmail('x') }, from(ip))).code).toBeUndefined();
    expect((await t.client().gql(REQUEST, { email: uniqueEmail('x') }, from(ip))).code).toBe('RATE_LIMITED');
  });

  it('bounds code checks per email across codes and addresses', async () => {
    const { email } = await register();
    // Two codes' worth of wrong tries (each dies after OTP_MAX_ATTEMPTS) reach the per-email limit of 10.
    for (let round = 0; round < 2; round++) {
      await t.client().gql(REQUEST, { email }, from(newIp()));
      for (let i = 0; i < 5; i++)
        expect((await t.client().gql(VERIFY, { email, code: '000000' }, from(newIp()))).code).toMatch(
          /OTP_INVALID|RATE_LIMITED/,
        );
    }
    await t.client().gql(REQUEST, { email }, from(newIp()));
    const code = await lastCodeTo(t, email);
    expect((await t.client().gql(VERIFY, { email, code }, from(newIp()))).code).toBe('RATE_LIMITED');
  });

  it('limits failed refreshes per address, never genuine ones', async () => {
    const { client } = await register();
    const ip = newIp();
    // Genuine rotations are proof of possession: well past the limit of 3, none is refused.
    for (let i = 0; i < 6; i++) expect((await client.gql(REFRESH, undefined, from(ip))).body.errors).toBeUndefined();
    // Failures count: three made-up tokens, and the address is refused, the genuine token too.
    for (let i = 0; i < 3; i++)
      expect((await client.gql(REFRESH, { refreshToken: `made.up.${i}` }, from(ip))).code).toBe('TOKEN_INVALID');
    const refused = await client.gql(REFRESH, undefined, from(ip));
    expect(refused.code).toBe('RATE_LIMITED');
    // A refused refresh keeps the cookie: the tab can try again later.
    expect(client.cookies.has('latchkey_refresh')).toBe(true);
    expect((await client.gql(REFRESH, undefined, from(newIp()))).body.errors).toBeUndefined();
  });

  it('limits sign-ups per address, and the window ends', async () => {
    const ip = newIp();
    const results = await Promise.all(Array.from({ length: 4 }, () => register(uniqueEmail(), ip)));
    const refused = results.filter((r) => r.res.code === 'RATE_LIMITED');
    expect(results.filter((r) => !r.res.body.errors).length).toBe(3);
    expect(refused.length).toBe(1);
    const retryAfter = refused[0].res.body.errors![0].extensions!.retryAfter as number;
    expect(retryAfter).toBeGreaterThan(3590);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // Still refused a moment before the hour is up; let in once it is.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + (retryAfter - 5) * 1000 });
    try {
      expect((await register(uniqueEmail(), ip)).res.code).toBe('RATE_LIMITED');
      vi.setSystemTime(Date.now() + 6000);
      expect((await register(uniqueEmail(), ip)).res.body.errors).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a document with two password or code checks before running either', async () => {
    const { email, userId } = await register();
    const before = (await audit('login_failed')).length;
    const two = await t.client().gql(
      `mutation { a: login(email: "${email}", password: "guess number one") { accessToken }
                  b: login(email: "${email}", password: "guess number two") { accessToken } }`,
    );
    expect(two.code).toBe('BAD_USER_INPUT');
    expect(two.body.data ?? null).toBeNull();
    const mixed = await t
      .client()
      .gql(
        `mutation { verifyOtp(email: "${email}", code: "123456") { accessToken } resetPassword(email: "${email}", code: "654321", newPassword: "whatever it is now") }`,
      );
    expect(mixed.code).toBe('BAD_USER_INPUT');
    const viaFragments = await t.client().gql(
      `mutation { ...A ...B }
       fragment A on Mutation { a: login(email: "${email}", password: "guess number three") { accessToken } }
       fragment B on Mutation { b: login(email: "${email}", password: "guess number four") { accessToken } }`,
    );
    expect(viaFragments.code).toBe('BAD_USER_INPUT');
    // Second factors and account-change codes too: no batch of guesses at one challenge.
    const factorGuesses = await t.client().gql(
      `mutation { a: completeSignIn(challenge: "c", totpCode: "111111") { accessToken }
                  b: completeSignIn(challenge: "c", totpCode: "222222") { accessToken } }`,
    );
    expect(factorGuesses.code).toBe('BAD_USER_INPUT');
    const codeGuesses = await t
      .client()
      .gql(`mutation { a: confirmEmailChange(code: "111111") { id } b: confirmEmailChange(code: "222222") { id } }`);
    expect(codeGuesses.code).toBe('BAD_USER_INPUT');
    expect((await audit('login_failed')).length).toBe(before);
    expect((await audit('otp_failed')).filter((e) => e.userId === userId)).toEqual([]);
    // One check per document is fine.
    expect(
      (await t.client().gql(`mutation { login(email: "${email}", password: "${TEST_PASSWORD}") { accessToken } }`)).body
        .errors,
    ).toBeUndefined();
  });

  it('refuses batched requests', async () => {
    const { email } = await register();
    const before = (await audit('login_failed')).length;
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { query: `mutation { login(email: "${email}", password: "guess one") { accessToken } }` },
        { query: `mutation { login(email: "${email}", password: "guess two") { accessToken } }` },
      ]),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await audit('login_failed')).length).toBe(before);
  });
});

describe('default refresh limit', () => {
  // '' restores the default in place of the raised test limit.
  const t = suiteServer(pglite, { env: { RATE_LIMIT_REFRESH_IP: '' } });

  it('lets one address refresh at least 120 times a minute (many tabs behind one NAT)', async () => {
    expect(
      t.config.rateLimits.refreshIp.points / (t.config.rateLimits.refreshIp.durationMs / 60_000),
    ).toBeGreaterThanOrEqual(120);
    // Four signed-in tabs (sessions) behind one address: 4 × 31 = 124 refreshes from 127.0.0.1.
    const clients: TestClient[] = [];
    for (let i = 0; i < 4; i++) {
      const c = t.client();
      await registerUser(c);
      clients.push(c);
    }
    for (let round = 0; round < 31; round++) {
      const results = await Promise.all(clients.map((c) => c.gql(REFRESH)));
      for (const r of results) expect(r.body.errors).toBeUndefined();
    }
  });
});
