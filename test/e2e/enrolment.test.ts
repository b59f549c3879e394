/**
 * MFA_REQUIRED in the web app, in real Chromium: an account without a second factor that signs
 * up or signs in lands on /login/enroll, sets up an authenticator app (code computed from the
 * secret the page shows) or a passkey (the DevTools protocol's virtual authenticator), and is
 * then signed in; the last factor cannot be removed on /security. PUBLIC_URL (the WebAuthn
 * origin) is the page's origin, http://localhost:PORT, on a port chosen first.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSuite, findChromium, withoutPasskeyAutofill } from '../support/browser.js';
import { databaseTargets } from '../support/databases.js';
import { totpAt } from '../support/factors.js';
import { freePort } from '../support/processes.js';
import { REGISTER, suiteServer, TEST_PASSWORD, uniqueEmail } from '../support/server.js';

const chromiumPath = await findChromium();
const targets = await databaseTargets();
const target = targets[targets.length - 1];
const port = await freePort();
const origin = `http://localhost:${port}`;

describe.skipIf(!chromiumPath)(`enrolment under MFA_REQUIRED in Chromium (${target.name})`, { timeout: 90_000 }, () => {
  const { tabWithAuthenticator } = chromiumSuite(chromiumPath!);
  const t = suiteServer(target, { env: { PORT: String(port), MFA_REQUIRED: 'true' } });

  const tab = async () => {
    const page = await tabWithAuthenticator();
    await withoutPasskeyAutofill(page);
    return page;
  };
  const onPath = (page: Page, path: string) => page.waitForURL((url) => url.pathname === path);

  it('signs up, sets up an authenticator app on /login/enroll, keeps the recovery codes, and lands signed in', async () => {
    const page = await tab();
    await page.goto(`${origin}/register?next=/profile`);
    await page.getByLabel('Email').fill(uniqueEmail('enrol'));
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await onPath(page, '/login/enroll');

    await page.getByRole('button', { name: 'Set up authenticator app' }).click();
    await page.getByRole('img', { name: 'QR code' }).waitFor();
    const secret = (await page.locator('.totp-secret').textContent())!.trim();
    await page.getByLabel('Authenticator code').fill(totpAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    expect(await codes.allTextContents()).toHaveLength(10);
    // Not signed in until the person has seen the codes and moves on.
    expect(new URL(page.url()).pathname).toBe('/login/enroll');
    await page.getByRole('button', { name: 'Continue' }).click();
    await onPath(page, '/profile');
    await page.reload();
    await page.getByRole('link', { name: 'Security', exact: true }).click();
    await page.getByRole('button', { name: 'Turn off' }).click();
    await page.getByRole('alert').getByText('Second factors are required here').waitFor();
    await page.goto(`${origin}/security`);
    await page.getByRole('button', { name: 'Turn off' }).waitFor();
  });

  it('signs in with a password, adds a passkey on /login/enroll, lands signed in, and cannot remove that last passkey', async () => {
    const email = uniqueEmail('enrol');
    const made = await t.client().gql(REGISTER, { email, password: TEST_PASSWORD });
    expect(made.code).toBe('SECOND_FACTOR_ENROLLMENT_REQUIRED');

    const page = await tab();
    await page.goto(`${origin}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await onPath(page, '/login/enroll');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await onPath(page, '/dashboard');

    await page.getByRole('link', { name: 'Security', exact: true }).click();
    await page.getByText('Chrome on Linux').waitFor();
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('alert').getByText('Second factors are required here').waitFor();
    await page.reload();
    await page.getByText('Chrome on Linux').waitFor();

    // Signed out, the passkey alone signs in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await onPath(page, '/login');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await onPath(page, '/dashboard');
  });
});
