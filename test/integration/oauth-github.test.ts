/**
 * The GitHub preset (plain OAuth 2.0 and GitHub's REST API, API.md §9.1) against a small
 * GitHub-shaped server: the user from /user, the address from /user/emails, and only a
 * verified primary address counts as verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { type GithubServer, startGithubServer } from '../support/githubServer.js';
import { Browser } from '../support/oidcProvider.js';
import { freePort } from '../support/processes.js';
import { registerUser, suiteServer, uniqueEmail } from '../support/server.js';

const targets = await databaseTargets();
const ports = await Promise.all(targets.map(() => freePort()));
let gh: GithubServer;
beforeAll(async () => {
  gh = await startGithubServer();
});
afterAll(() => gh?.close());

const START = `mutation($p: ID!) { startOAuth(provider: $p) }`;
const REFRESH = `mutation { refreshToken { user { id email emailVerified identities { provider email } } } }`;
let ids = 1000;

describe.each(targets.map((target, i) => ({ ...target, port: ports[i] })))('the GitHub preset on $name', (target) => {
  const base = `http://127.0.0.1:${target.port}`;
  const t = suiteServer(target, () => ({
    env: {
      PORT: String(target.port),
      PUBLIC_URL: base,
      OAUTH_PROVIDERS: 'github',
      OAUTH_GITHUB_ISSUER: gh.url,
      OAUTH_GITHUB_CLIENT_ID: gh.clientId,
      OAUTH_GITHUB_CLIENT_SECRET: gh.clientSecret,
    },
  }));
  const signIn = async (emails: { email: string; primary: boolean; verified: boolean }[]) => {
    gh.next = { id: ++ids, login: `octo${ids}`, name: null, emails };
    const browser = new Browser();
    const started = await browser.gql(base, START, { p: 'github' });
    const end = await browser.visit(
      started.body.data.startOAuth,
      (u) => u.origin === base && !u.pathname.startsWith('/auth/'),
    );
    return { end, user: (await browser.gql(base, REFRESH)).body.data?.refreshToken?.user };
  };

  it('is offered as "GitHub" and signs a new person in with the verified primary address', async () => {
    expect((await t.client().gql('{ oauthProviders { id name } }')).body.data.oauthProviders).toEqual([
      { id: 'github', name: 'GitHub' },
    ]);
    const email = uniqueEmail('octo');
    const { end, user } = await signIn([
      { email: uniqueEmail('secondary'), primary: false, verified: true },
      { email, primary: true, verified: true },
    ]);
    expect(end.location).toBe('/');
    expect(user).toMatchObject({ email, emailVerified: true, identities: [{ provider: 'github', email }] });
  });

  it('does not link on an unverified primary address, even when another verified address matches', async () => {
    const client = t.client();
    const a = await registerUser(client);
    await t.sql('update users set email_verified_at = now() where id = $1', [a.userId]);
    const refused = await signIn([{ email: a.email, primary: true, verified: false }]);
    expect(refused.end.location).toBe('/login?error=ACCOUNT_EXISTS');
    expect(refused.user).toBeUndefined();
    // A verified but not primary address is not the account's address at GitHub.
    const other = await signIn([
      { email: uniqueEmail('primary'), primary: true, verified: false },
      { email: a.email, primary: false, verified: true },
    ]);
    expect(other.user.id).not.toBe(a.userId);
    expect(other.user.emailVerified).toBe(false);
    expect(await t.sql('select count(*)::int as n from identities where user_id = $1', [a.userId])).toEqual([{ n: 0 }]);
  });

  it('comes back to /login?error=ACCESS_DENIED when the person refuses', async () => {
    gh.next = null;
    const browser = new Browser();
    const started = await browser.gql(base, START, { p: 'github' });
    const end = await browser.visit(
      started.body.data.startOAuth,
      (u) => u.origin === base && !u.pathname.startsWith('/auth/'),
    );
    expect(end.location).toBe('/login?error=ACCESS_DENIED');
  });
});
