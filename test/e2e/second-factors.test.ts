/**
 * Second factors in the web app, in real Chromium with the DevTools protocol's virtual
 * authenticator (ctap2, resident keys, user verification): add a passkey on /security, sign
 * out, sign in with it (the button, and the Email field's autofill), use it as the second step
 * after a password, and turn TOTP on through the page with the code computed from the secret
 * it shows, then sign in with a recovery code. The server listens on a port chosen first, so
 * PUBLIC_URL (the WebAuthn origin) is the page's origin, http://localhost:PORT.
 */
import { createServer } from 'node:net';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSuite, findChromium } from '../support/browser.js';
import { databaseTargets } from '../support/databases.js';
import { totpAt } from '../support/factors.js';
import { createClient, registerUser, suiteServer, TEST_PASSWORD } from '../support/server.js';

const chromiumPath = await findChromium();
const targets = await databaseTargets();
const target = targets[targets.length - 1];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
const port = await freePort();
const origin = `http://localhost:${port}`;

describe.skipIf(!chromiumPath)(`second factors in Chromium (${target.name})`, { timeout: 90_000 }, () => {
  const { tabWithAuthenticator } = chromiumSuite(chromiumPath!);
  const t = suiteServer(target, { env: { PORT: String(port) } });

  async function newUser() {
    const api = createClient(t.url);
    const { email } = await registerUser(api);
    await api.gql('mutation { logout }');
    return email;
  }

  async function passwordSignIn(page: Page, email: string) {
    await page.goto(`${origin}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  const signOut = async (page: Page) => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
  };

  it('adds a passkey on /security, then signs in with it by the button, by autofill, and as the second step', async () => {
    const email = await newUser();
    const page = await tabWithAuthenticator();
    await passwordSignIn(page, email);
    await page.waitForURL((url) => url.pathname === '/dashboard');
    await page.getByRole('link', { name: 'Security', exact: true }).click();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Chrome on Linux').waitFor();
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('New name').fill('This laptop');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('This laptop').waitFor();

    // Autofill: signing out lands on /login, whose Email field asks for a passkey by conditional
    // mediation; the virtual authenticator answers it, and the person is back on the dashboard.
    const visited: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) visited.push(new URL(f.url()).pathname);
    });
    const backIn = page.waitForEvent(
      'framenavigated',
      (f) => f === page.mainFrame() && new URL(f.url()).pathname === '/dashboard',
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await backIn;
    expect(visited).toEqual(['/login', '/dashboard']);

    // From here on the page offers no autofill, so the button and the second step are what sign in.
    const noAutofill = () => {
      Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false });
    };
    await page.addInitScript(noAutofill);
    await page.evaluate(noAutofill);
    await signOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL((url) => url.pathname === '/dashboard');
    await signOut(page);

    await passwordSignIn(page, email);
    await page.waitForURL((url) => url.pathname === '/login/verify');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((url) => url.pathname === '/dashboard');
  });

  it('turns TOTP on through the page with the code from the secret it shows, then signs in with a recovery code', async () => {
    const email = await newUser();
    const page = await tabWithAuthenticator();
    await passwordSignIn(page, email);
    await page.waitForURL((url) => url.pathname === '/dashboard');
    await page.goto(`${origin}/security`);
    await page.getByRole('button', { name: 'Set up authenticator app' }).click();
    await page.getByRole('img', { name: 'QR code' }).waitFor();
    const secret = (await page.locator('.totp-secret').textContent())!.trim();
    await page.getByLabel('Authenticator code').fill(totpAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    const shown = await codes.allTextContents();
    expect(shown).toHaveLength(10);
    for (const c of shown) expect(c).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}$/);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download', exact: true }).click();
    expect((await download).suggestedFilename()).toBe('latchkey-recovery-codes.txt');
    await page.getByRole('button', { name: 'Turn off' }).waitFor();
    await signOut(page);

    await passwordSignIn(page, email);
    await page.waitForURL((url) => url.pathname === '/login/verify');
    await page.getByLabel('Authentication code').waitFor();
    await page.getByRole('link', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(shown[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => url.pathname === '/dashboard');
  });
});
