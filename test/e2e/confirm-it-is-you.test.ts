/**
 * "Confirm it's you" in real Chromium: when an operation on /security answers REAUTH_REQUIRED
 * (the last real sign-in is older than REAUTH_MAX_AGE, moved on with the server's manual clock),
 * the page asks in place — for the password, or for a passkey (the DevTools protocol's virtual
 * authenticator) — and then carries on with what the person asked, with what they had typed:
 * the authenticator code typed before the prompt is the one that turns TOTP on.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSuite, findChromium, withoutPasskeyAutofill } from '../support/browser.js';
import { databaseTargets } from '../support/databases.js';
import { totpAt } from '../support/factors.js';
import { freePort } from '../support/processes.js';
import { createClient, registerUser, suiteServer, TEST_PASSWORD } from '../support/server.js';

const chromiumPath = await findChromium();
const targets = await databaseTargets();
const target = targets[targets.length - 1];
const port = await freePort();
const origin = `http://localhost:${port}`;

describe.skipIf(!chromiumPath)(`"Confirm it's you" in Chromium (${target.name})`, { timeout: 90_000 }, () => {
  const { tabWithAuthenticator } = chromiumSuite(chromiumPath!);
  // Shorter than the access token's life, so the page needs no refresh across the clock's jump.
  const t = suiteServer(target, { manualClock: true, env: { PORT: String(port), REAUTH_MAX_AGE: '2m' } });

  /** Signed in with a password on /security, in a tab with a virtual authenticator. */
  async function onSecurity(): Promise<Page> {
    const api = createClient(t.url);
    const { email } = await registerUser(api);
    await api.gql('mutation { logout }');
    const page = await tabWithAuthenticator();
    await withoutPasskeyAutofill(page);
    await page.goto(`${origin}/login?next=/security`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/security');
    return page;
  }

  /** Start TOTP, let the sign-in grow old, type the code and ask to turn it on: the prompt appears. */
  async function typeCodeAfterAWhile(page: Page): Promise<string> {
    await page.getByRole('button', { name: 'Set up authenticator app' }).click();
    await page.getByRole('img', { name: 'QR code' }).waitFor();
    const secret = (await page.locator('.totp-secret').textContent())!.trim();
    t.clock!.advance(3 * 60_000);
    const code = totpAt(secret, t.clock!.now());
    await page.getByLabel('Authenticator code').fill(code);
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('heading', { name: "Confirm it's you" }).waitFor();
    // Nothing typed is lost while the page asks.
    expect(await page.getByLabel('Authenticator code').inputValue()).toBe(code);
    return code;
  }

  async function expectTotpTurnedOn(page: Page) {
    const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    expect(await codes.allTextContents()).toHaveLength(10);
    await page.getByRole('button', { name: 'Turn off' }).waitFor();
    expect(await page.getByRole('heading', { name: "Confirm it's you" }).count()).toBe(0);
  }

  it('asks for the password, then turns TOTP on with the code typed before it asked', async () => {
    const page = await onSecurity();
    await typeCodeAfterAWhile(page);
    await page.getByRole('dialog').getByLabel('Password').fill('not my password');
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('dialog').getByRole('alert').waitFor();
    await page.getByRole('dialog').getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await expectTotpTurnedOn(page);
  });

  it('confirms with a passkey, then turns TOTP on with the code typed before it asked', async () => {
    const page = await onSecurity();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Chrome on Linux').waitFor();
    await typeCodeAfterAWhile(page);
    await page.getByRole('dialog').getByRole('button', { name: 'Use a passkey' }).click();
    await expectTotpTurnedOn(page);
  });
});
