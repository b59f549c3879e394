/**
 * Sign in with an external provider (API.md §9.1) against a real OpenID Provider (panva's
 * oidc-provider on loopback), on PGlite and PostgreSQL: a new account, the linking rules both
 * ways, the second factor after a provider sign-in, and every failure (denied, state missing
 * or changed, replayed callback, wrong nonce, provider down or slow) creating nothing.
 */
import { createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { COMPLETE, CONFIRM_TOTP, START_TOTP, enrolTotp, now, totpAt } from '../support/factors.js';
import { Browser, type OidcProvider, startOidcProvider } from '../support/oidcProvider.js';
import { freePort } from '../support/processes.js';
import { WEBHOOK_TEST_SECRET } from '../support/webhookReceiver.js';
import { jwtPayload, registerUser, suiteServer, type TestServer, uniqueEmail } from '../support/server.js';

const targets = await databaseTargets();
const ports = await Promise.all(targets.map(() => freePort()));
const opPort = await freePort();
const downPort = await freePort();
const slowPort = await freePort();
const mfaPort = await freePort();

let op: OidcProvider;
// Accepts connections and never answers: a provider that hangs.
const hanging = new Set<import('node:net').Socket>();
const slow = createTcpServer((socket) => void hanging.add(socket));
beforeAll(async () => {
  op = await startOidcProvider({
    port: opPort,
    redirectUris: [...ports, mfaPort].map((p) => `http://127.0.0.1:${p}/auth/oauth/acme/callback`),
  });
  await new Promise<void>((resolve) => slow.listen(slowPort, '127.0.0.1', resolve));
});
afterAll(async () => {
  await op?.close();
  for (const socket of hanging) socket.destroy();
  await new Promise((resolve) => slow.close(resolve));
});

const START = `mutation($p: ID!, $next: String, $link: Boolean) { startOAuth(provider: $p, next: $next, link: $link) }`;
const REFRESH = `mutation { refreshToken { accessToken user { id email emailVerified identities { provider email } } } }`;
const MY_SECURITY = `{ mySecurity { identities { id provider email linkedAt } } }`;
const UNLINK = `mutation($id: ID!) { unlinkIdentity(id: $id) }`;

let subjects = 0;
const person = (email: string, verified: boolean) => {
  const sub = `person-${++subjects}`;
  op.accounts.set(sub, { email, email_verified: verified, name: 'Pat Provider' });
  return sub;
};

describe.each(targets.map((target, i) => ({ ...target, port: ports[i] })))('external sign-in on $name', (target) => {
  const base = `http://127.0.0.1:${target.port}`;
  const t: TestServer = suiteServer(target, () => ({
    manualClock: true,
    env: {
      PORT: String(target.port),
      PUBLIC_URL: base,
      OAUTH_PROVIDERS: 'acme,down,slow',
      OAUTH_ACME_NAME: 'Acme ID',
      OAUTH_ACME_ISSUER: op.issuer,
      OAUTH_ACME_CLIENT_ID: op.clientId,
      OAUTH_ACME_CLIENT_SECRET: op.clientSecret,
      OAUTH_DOWN_ISSUER: `http://127.0.0.1:${downPort}`,
      OAUTH_DOWN_CLIENT_ID: 'x',
      OAUTH_DOWN_CLIENT_SECRET: 'y',
      OAUTH_SLOW_ISSUER: `http://127.0.0.1:${slowPort}`,
      OAUTH_SLOW_CLIENT_ID: 'x',
      OAUTH_SLOW_CLIENT_SECRET: 'y',
      OAUTH_TIMEOUT: '3s', // long enough for the real provider's discovery on a loaded machine
      // Events stay in the outbox (nothing listens there): the tests read what was written with each change.
      WEBHOOK_URLS: `http://127.0.0.1:${downPort}/hooks`,
      WEBHOOK_SECRET: WEBHOOK_TEST_SECRET,
    },
  }));
  const eventsAbout = async (userId: string) =>
    (
      await t.sql<{ event: string; data: Record<string, unknown> }>(
        `select event, payload->'data' as data from webhook_outbox where payload->'data'->>'userId' = $1 order by created_at, event`,
        [userId],
      )
    ).map((r) => [r.event, r.data] as const);
  const isLatchkeyPage = (u: URL) => u.origin === base && !u.pathname.startsWith('/auth/oauth/');
  const counts = async () =>
    (
      await t.sql<{ users: number; identities: number; sessions: number }>(
        'select (select count(*)::int from users) as users, (select count(*)::int from identities) as identities, (select count(*)::int from sessions) as sessions',
      )
    )[0];

  /** Start at Latchkey, sign in at the provider as `sub`, and follow back to Latchkey's page. */
  const signInWith = async (
    sub: string | null,
    browser = new Browser(),
    vars: Record<string, unknown> = {},
    token?: string,
  ) => {
    op.next = sub ? { sub } : { deny: true };
    const started = await browser.gql(base, START, { p: 'acme', ...vars }, token);
    expect(started.code).toBeUndefined();
    const end = await browser.visit(started.body.data.startOAuth, isLatchkeyPage);
    return { browser, end };
  };
  const tokensOf = async (browser: Browser) => (await browser.gql(base, REFRESH)).body.data?.refreshToken;

  it('lists the providers by name, and gives an authorization URL with PKCE S256, state and nonce, and a Lax state cookie on the callback path', async () => {
    const res = await t.client().gql('{ oauthProviders { id name } }');
    expect(res.body.data.oauthProviders).toEqual([
      { id: 'acme', name: 'Acme ID' },
      { id: 'down', name: 'down' },
      { id: 'slow', name: 'slow' },
    ]);
    const browser = new Browser();
    const started = await browser.gql(base, START, { p: 'acme' });
    const url = new URL(started.body.data.startOAuth);
    expect(url.origin).toBe(op.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe(`${base}/auth/oauth/acme/callback`);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('nonce')).toBeTruthy();
    const cookie = browser.setCookies.find((c) => c.startsWith('latchkey_oauth='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/auth\/oauth\/acme\/callback/);
    // The cookie is sealed: none of the flow's secrets are readable in it.
    expect(cookie).not.toContain(url.searchParams.get('state'));
  });

  it('creates an account for a new person, verified when the provider says so, signs them in with amr fed and lands on next', async () => {
    const email = uniqueEmail('new');
    const { browser, end } = await signInWith(person(email, true), new Browser(), { next: '/profile?tab=1' });
    expect(end.location).toBe('/profile?tab=1');
    const tokens = await tokensOf(browser);
    expect(tokens.user).toMatchObject({ email, emailVerified: true, identities: [{ provider: 'acme', email }] });
    expect(jwtPayload(tokens.accessToken).amr).toContain('fed');
    // No token ever travels in a URL.
    expect(end.location).not.toMatch(/token/i);
    // Written with the account: user.created and identity.linked (and the sign-in), no secret.
    const events = await eventsAbout(tokens.user.id);
    expect(events.map(([e]) => e).sort()).toEqual(['identity.linked', 'user.created', 'user.signed_in']);
    expect(Object.fromEntries(events)['identity.linked']).toEqual({
      userId: tokens.user.id,
      provider: 'acme',
      email,
      automatic: false,
    });
    expect(JSON.stringify(events)).not.toMatch(/password|secret|token/i);
    // The same person again: the same account.
    const again = await signInWith([...op.accounts].find(([, a]) => a.email === email)![0]);
    expect((await tokensOf(again.browser)).user.id).toBe(tokens.user.id);
  });

  it('links to an existing account only when both the provider and the account have verified the email', async () => {
    // Account verified, provider verified: linked, signed in to the same account.
    const c1 = t.client();
    const a = await registerUser(c1);
    await t.sql('update users set email_verified_at = now() where id = $1', [a.userId]);
    const linked = await signInWith(person(a.email, true));
    expect(linked.end.location).toBe('/');
    expect((await tokensOf(linked.browser)).user.id).toBe(a.userId);
    expect((await eventsAbout(a.userId)).filter(([e]) => e === 'identity.linked')).toEqual([
      ['identity.linked', { userId: a.userId, provider: 'acme', email: a.email, automatic: true }],
    ]);

    // Provider does not vouch for the address: ACCOUNT_EXISTS, nothing linked, nobody signed in.
    const c2 = t.client();
    const b = await registerUser(c2);
    await t.sql('update users set email_verified_at = now() where id = $1', [b.userId]);
    const before = await counts();
    const refused = await signInWith(person(b.email, false));
    expect(refused.end.location).toBe('/login?error=ACCOUNT_EXISTS');
    expect(await tokensOf(refused.browser)).toBeUndefined();
    expect(await counts()).toEqual(before);

    // The account's own address is not verified: ACCOUNT_EXISTS too (someone may have typed another's address).
    const c3 = t.client();
    const c = await registerUser(c3);
    const beforeC = await counts();
    const refused2 = await signInWith(person(c.email, true));
    expect(refused2.end.location).toBe('/login?error=ACCOUNT_EXISTS');
    expect(await counts()).toEqual(beforeC);
    const audit = await t.sql("select detail from audit_events where type = 'oauth_failed' order by at desc limit 1");
    expect(audit[0].detail).toMatchObject({ provider: 'acme', code: 'ACCOUNT_EXISTS' });
  });

  it('links from the security page with a recent sign-in; one identity belongs to one account; unlink is refused for the last way in', async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client);
    const sub = person(uniqueEmail('other-address'), false);
    const linked = await signInWith(sub, new Browser(), { link: true }, client.token);
    expect(linked.end.location).toBe('/security?linked=acme');
    const list = (await client.gql(MY_SECURITY)).body.data.mySecurity.identities;
    expect(list).toEqual([expect.objectContaining({ provider: 'acme' })]);
    // Signing in with it now opens this account.
    expect((await tokensOf((await signInWith(sub)).browser)).user.email).toBe(email);

    // The same identity cannot be linked to a second account (and no event tells of a link that did not happen).
    const other = t.client();
    const otherUser = await registerUser(other);
    const again = await signInWith(sub, new Browser(), { link: true }, other.token);
    expect(again.end.location).toBe('/security?error=ACCOUNT_EXISTS');
    expect(await t.sql('select user_id from identities where subject = $1', [sub])).toEqual([{ user_id: userId }]);
    expect((await eventsAbout(otherUser.userId)).map(([e]) => e)).not.toContain('identity.linked');
    expect((await eventsAbout(userId)).filter(([e]) => e === 'identity.linked')).toHaveLength(1);

    // An account made by the provider has no password: its only identity cannot go.
    const only = await signInWith(person(uniqueEmail('only'), true));
    const tokens = await tokensOf(only.browser);
    const mine = await only.browser.gql(base, MY_SECURITY, {}, tokens.accessToken);
    const refused = await only.browser.gql(
      base,
      UNLINK,
      { id: mine.body.data.mySecurity.identities[0].id },
      tokens.accessToken,
    );
    expect(refused.code).toBe('LAST_SIGN_IN_METHOD');
    // The first account has a password: unlinking works.
    expect((await client.gql(UNLINK, { id: list[0].id })).body.data.unlinkIdentity).toBe(true);
    expect((await client.gql(MY_SECURITY)).body.data.mySecurity.identities).toEqual([]);
  });

  it('linking needs a recent sign-in', async () => {
    const client = t.client();
    await registerUser(client);
    t.clock!.advance(11 * 60_000);
    // A refresh gives a fresh access token but not a fresh sign-in.
    client.token = (await client.gql('mutation { refreshToken { accessToken } }')).body.data.refreshToken.accessToken;
    const res = await client.gql(START, { p: 'acme', link: true });
    expect(res.code).toBe('REAUTH_REQUIRED');
  });

  it('still asks for the second factor after a provider sign-in: the challenge in the fragment, no session until it is given', async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client);
    await t.sql('update users set email_verified_at = now() where id = $1', [userId]);
    const { secret } = await enrolTotp(t, client);
    const sessions = await t.sql('select count(*)::int as n from sessions where user_id = $1', [userId]);
    const { browser, end } = await signInWith(person(email, true), new Browser(), { next: '/sessions' });
    expect(end.location).toMatch(
      /^\/login\/verify\?next=%2Fsessions#challenge=[\w-]{43}&methods=TOTP%2CRECOVERY_CODE$/,
    );
    expect(await tokensOf(browser)).toBeUndefined();
    expect(await t.sql('select count(*)::int as n from sessions where user_id = $1', [userId])).toEqual(sessions);
    const challenge = new URLSearchParams(end.location!.split('#')[1]).get('challenge');
    t.clock!.advance(30_000); // the enrolment's code is spent: the next step's code

    const done = await browser.gql(base, COMPLETE, { c: challenge, totp: totpAt(secret, now(t)) });
    expect(done.code).toBeUndefined();
    const amr = jwtPayload(done.body.data.completeSignIn.accessToken).amr;
    expect(amr).toEqual(expect.arrayContaining(['fed', 'mfa']));
  });

  it('creates nothing when the person refuses at the provider, and says so on /login', async () => {
    const before = await counts();
    const { end } = await signInWith(null);
    expect(end.location).toBe('/login?error=ACCESS_DENIED');
    expect(await counts()).toEqual(before);
  });

  it('refuses a callback without the state cookie, with another state, and the same callback URL twice', async () => {
    const sub = person(uniqueEmail('replay'), true);
    op.next = { sub };
    const browser = new Browser();
    const started = await browser.gql(base, START, { p: 'acme' });
    const callback = await browser.visit(started.body.data.startOAuth, (u) => u.pathname.endsWith('/callback'));
    const callbackUrl = callback.url.href;
    const before = await counts();

    // Another browser (no cookie): refused.
    const stranger = await new Browser().visit(callbackUrl, isLatchkeyPage);
    expect(stranger.location).toBe('/login?error=OAUTH_STATE_INVALID');
    // The state changed in the URL: refused.
    const changed = new URL(callbackUrl);
    changed.searchParams.set('state', 'x'.repeat(43));
    const copy = new Browser();
    for (const [origin, jar] of browser.cookies) copy.cookies.set(origin, new Map(jar));
    expect((await copy.visit(changed.href, isLatchkeyPage)).location).toBe('/login?error=OAUTH_STATE_INVALID');
    expect(await counts()).toEqual(before);

    // The real one signs in once; the same URL with the same cookie again is refused.
    const replayer = new Browser();
    for (const [origin, jar] of browser.cookies) replayer.cookies.set(origin, new Map(jar));
    expect((await browser.visit(callbackUrl, isLatchkeyPage)).location).toBe('/');
    const afterFirst = await counts();
    expect((await replayer.visit(callbackUrl, isLatchkeyPage)).location).toBe('/login?error=OAUTH_STATE_INVALID');
    expect(await counts()).toEqual(afterFirst);
    const audit = await t.sql("select detail from audit_events where type = 'oauth_failed' order by at desc limit 1");
    expect(audit[0].detail).toMatchObject({ code: 'OAUTH_STATE_INVALID' });
  });

  it('refuses an ID token whose nonce is not the one it sent', async () => {
    const before = await counts();
    op.next = { sub: person(uniqueEmail('nonce'), true) };
    const browser = new Browser();
    const started = await browser.gql(base, START, { p: 'acme' });
    const url = new URL(started.body.data.startOAuth);
    url.searchParams.set('nonce', 'not-the-nonce-latchkey-sent');
    const end = await browser.visit(url.href, isLatchkeyPage);
    expect(end.location).toBe('/login?error=PROVIDER_ERROR');
    expect(await counts()).toEqual(before);
  });

  it('answers PROVIDER_ERROR for a provider that is down or does not answer in time, and serves the rest', async () => {
    const client = t.client();
    expect((await client.gql(START, { p: 'down' })).code).toBe('PROVIDER_ERROR');
    expect((await client.gql(START, { p: 'slow' })).code).toBe('PROVIDER_ERROR');
    expect((await client.gql(START, { p: 'acme' })).code).toBeUndefined();
    expect((await client.gql(START, { p: 'nope' })).code).toBe('BAD_USER_INPUT');
  });

  it('never sends anyone to a next that leaves the site: it falls back to /', async () => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const { end } = await signInWith(person(uniqueEmail('next'), true), new Browser(), { next });
      expect(end.location, next).toBe('/');
    }
  });
});

describe('external sign-in under MFA_REQUIRED', () => {
  const base = `http://127.0.0.1:${mfaPort}`;
  const t: TestServer = suiteServer(targets[0], () => ({
    manualClock: true,
    env: {
      PORT: String(mfaPort),
      PUBLIC_URL: base,
      MFA_REQUIRED: 'true',
      OAUTH_PROVIDERS: 'acme',
      OAUTH_ACME_ISSUER: op.issuer,
      OAUTH_ACME_CLIENT_ID: op.clientId,
      OAUTH_ACME_CLIENT_SECRET: op.clientSecret,
    },
  }));

  it('a new account from a provider enrols a second factor with the challenge, then gets tokens', async () => {
    op.next = { sub: person(uniqueEmail('mfa'), true) };
    const browser = new Browser();
    const started = await browser.gql(base, START, { p: 'acme' });
    const end = await browser.visit(
      started.body.data.startOAuth,
      (u) => u.origin === base && !u.pathname.startsWith('/auth/'),
    );
    expect(end.location).toMatch(/^\/login\/enroll#challenge=[\w-]{43}&methods=TOTP%2CPASSKEY$/);
    const challenge = new URLSearchParams(end.location!.split('#')[1]).get('challenge');
    const enrol = await browser.gql(base, START_TOTP, { c: challenge });
    const { secret } = enrol.body.data.startTotpEnrollment;
    const confirmed = await browser.gql(base, CONFIRM_TOTP, { code: totpAt(secret, now(t)), c: challenge });
    expect(confirmed.body.data.confirmTotpEnrollment.codes).toHaveLength(10);
    t.clock!.advance(30_000);
    const done = await browser.gql(base, COMPLETE, { c: challenge, totp: totpAt(secret, now(t)) });
    expect(done.code).toBeUndefined();
    expect(jwtPayload(done.body.data.completeSignIn.accessToken).amr).toEqual(expect.arrayContaining(['fed', 'mfa']));
  });
});
