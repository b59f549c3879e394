/**
 * "Continue with …" in real Chromium (API.md §9.1): on /login, click the provider's button,
 * sign in on the provider's own page (oidc-provider on loopback), and land signed in on the
 * page `next` named — the refresh cookie set by the callback, no token in any URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSuite, findChromium } from '../support/browser.js';
import { databaseTargets } from '../support/databases.js';
import { type OidcProvider, startOidcProvider } from '../support/oidcProvider.js';
import { freePort } from '../support/processes.js';
import { suiteServer, uniqueEmail } from '../support/server.js';

const chromiumPath = await findChromium();
const targets = await databaseTargets();
const target = targets[targets.length - 1];
const port = await freePort();
const opPort = await freePort();
const origin = `http://127.0.0.1:${port}`;

describe.skipIf(!chromiumPath)(`Continue with a provider in Chromium (${target.name})`, { timeout: 90_000 }, () => {
  const chromium = chromiumSuite(chromiumPath!);
  let op: OidcProvider;
  // Before suiteServer's own hook: the server's settings name the provider.
  beforeAll(async () => {
    op = await startOidcProvider({ port: opPort, redirectUris: [`${origin}/auth/oauth/acme/callback`] });
    op.page = true;
  });
  afterAll(async () => {
    await op?.close();
  });
  const t = suiteServer(target, () => ({
    env: {
      PORT: String(port),
      PUBLIC_URL: origin,
      OAUTH_PROVIDERS: 'acme',
      OAUTH_ACME_NAME: 'Acme ID',
      OAUTH_ACME_ISSUER: op.issuer,
      OAUTH_ACME_CLIENT_ID: op.clientId,
      OAUTH_ACME_CLIENT_SECRET: op.clientSecret,
    },
  }));

  it('signs in from /login through the provider’s page and lands on next', async () => {
    const email = uniqueEmail('chromium');
    op.accounts.set('chromium-person', { email, email_verified: true, name: 'Chromium Person' });
    op.next = { sub: 'chromium-person' };
    // Uncaught errors on its pages fail the test (chromiumSuite).
    const page = await chromium.newPage();
    const visited: string[] = [];
    page.on('framenavigated', (f) => f === page.mainFrame() && visited.push(f.url()));

    await page.goto(`${origin}/login?next=${encodeURIComponent('/sessions')}`);
    await page.getByRole('button', { name: 'Continue with Acme ID' }).click();
    await page.waitForURL((u) => u.origin === op.issuer);
    await page.getByRole('button', { name: 'Sign in as chromium-person' }).click();
    await page.waitForURL(`${origin}/sessions`);
    // The header names the signed-in account (its display name, the address as its title).
    await expect.poll(() => page.locator(`.account-email[title="${email}"]`).count()).toBe(1);
    // Signed in: the account exists with the provider's verified address.
    expect(
      await t.sql('select email_verified_at is not null as verified from users where email = $1', [email]),
    ).toEqual([{ verified: true }]);
    for (const url of visited) expect(url).not.toMatch(/token|eyJ/i);
  });
});
