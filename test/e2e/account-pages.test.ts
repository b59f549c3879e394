/**
 * The account pages of the web app in real Chromium, with mail through a real SMTP server
 * started here (what it received is read back): "Forgot password?" from /login through /reset
 * to signing in with the new password, "Change password" on /security, the "Confirm your email"
 * banner with the sign-up code, and the "Show password" toggle on every password field.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it, vi } from 'vitest';
import { chromiumSuite, findChromium } from '../support/browser.js';
import { databaseTargets } from '../support/databases.js';
import { codeIn, startSmtpServer } from '../support/mail.js';
import { createClient, LOGIN, loginUser, ME, registerUser, suiteServer, TEST_PASSWORD } from '../support/server.js';
import { perSuite } from '../support/suite.js';

const chromiumPath = await findChromium();
const targets = await databaseTargets();
const target = targets[targets.length - 1]; // PostgreSQL when reachable
const NEW_PASSWORD = 'a brand new staple battery';

describe.skipIf(!chromiumPath)(`account pages in Chromium (${target.name}, SMTP mail)`, { timeout: 90_000 }, () => {
  const { newPage } = chromiumSuite(chromiumPath!);
  const smtp = perSuite(
    () => startSmtpServer(),
    (s) => s.close(),
  );
  const t = suiteServer(target, () => ({ env: { MAIL_URL: smtp.url } }));

  /** A user registered through the API (their sign-up code is mailed), signed out again. */
  async function newUser() {
    const api = createClient(t.url);
    const { email } = await registerUser(api);
    await api.gql('mutation { logout }');
    return email;
  }

  /** The newest code the SMTP server received for `to`, once `count` messages have come for it. */
  async function mailedCode(to: string, count: number): Promise<{ code: string; subject: string }> {
    await t.server.services.outbox.idle();
    const mail = await vi.waitUntil(
      () => {
        const all = smtp.received.filter((m) => m.to.includes(to));
        return all.length >= count && all[count - 1];
      },
      { timeout: 10_000, interval: 50 },
    );
    return { code: codeIn(mail), subject: mail.subject };
  }

  async function signIn(page: Page, email: string, password = TEST_PASSWORD) {
    await page.goto(`${t.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/dashboard');
  }

  const apiLogin = async (email: string, password: string) =>
    (await createClient(t.url).gql(LOGIN, { email, password })).code ?? 'OK';

  it('resets a forgotten password from /login with the code the SMTP server received, then signs in with it', async () => {
    const email = await newUser(); // mail 1: the sign-up code
    const page = await newPage();
    await page.goto(`${t.url}/login`);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL((url) => url.pathname === '/reset');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code').waitFor(); // requestOtp answered: the mail is queued

    const { code, subject } = await mailedCode(email, 2);
    expect(subject).not.toMatch(/Confirm your email/);
    await page.getByLabel('Code').fill(code === '000000' ? '000001' : '000000');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page
      .getByRole('alert')
      .getByText(/code is wrong/)
      .waitFor();
    expect(new URL(page.url()).pathname).toBe('/reset');

    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByText('Password changed. Sign in with your new password.').waitFor();
    expect(await apiLogin(email, TEST_PASSWORD)).toBe('INVALID_CREDENTIALS');

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/dashboard');
  });

  it('changes the password on /security: the old one stops working, the new one signs in', async () => {
    const email = await newUser();
    const page = await newPage();
    await signIn(page, email);
    await page.getByRole('link', { name: 'Security', exact: true }).click();

    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page
      .getByRole('alert')
      .getByText(/do not match|wrong/i)
      .waitFor();
    expect(await apiLogin(email, TEST_PASSWORD)).toBe('OK');

    await page.getByLabel('Current password').fill(TEST_PASSWORD);
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    expect(await page.getByLabel('Current password').inputValue()).toBe('');
    expect(await apiLogin(email, TEST_PASSWORD)).toBe('INVALID_CREDENTIALS');
    expect(await apiLogin(email, NEW_PASSWORD)).toBe('OK');
    expect(new URL(page.url()).pathname).toBe('/security'); // this session stays signed in
  });

  it('shows "Confirm your email" until the sign-up code is entered, then never again', async () => {
    const email = await newUser();
    const { code } = await mailedCode(email, 1);
    const page = await newPage();
    await signIn(page, email);
    const banner = page.getByRole('region', { name: 'Confirm your email' });
    await banner.waitFor();

    await page.getByLabel('Email code').fill(code === '000000' ? '000001' : '000000');
    await page.getByRole('button', { name: 'Confirm email' }).click();
    await banner
      .getByRole('alert')
      .getByText(/code is wrong/)
      .waitFor();

    await page.getByLabel('Email code').fill(code);
    await page.getByRole('button', { name: 'Confirm email' }).click();
    await banner.waitFor({ state: 'detached' });
    const api = await loginUser(t, email);
    expect((await api.gql(ME)).body.data.me.emailVerified).toBe(true);

    // Another page, and a reload (the user comes back from the server): no banner.
    await page.getByRole('link', { name: 'Profile', exact: true }).click();
    await page.getByLabel('Bio').waitFor();
    await page.reload();
    await page.getByLabel('Bio').waitFor();
    expect(await page.getByRole('region', { name: 'Confirm your email' }).count()).toBe(0);
  });

  it('has a "Show password" toggle on every password field, which shows and hides what was typed', async () => {
    const email = await newUser();
    const page = await newPage();
    /** Every password field on the page shows its text with its toggle pressed, and hides it again. */
    const toggleEach = async (expected: number) => {
      const toggles = page.getByRole('button', { name: 'Show password' });
      await toggles.first().waitFor();
      expect(await toggles.count()).toBe(expected);
      for (let i = 0; i < expected; i++) {
        const toggle = toggles.nth(i);
        const input = page.locator(`#${await toggle.getAttribute('aria-controls')}`);
        await input.fill('typed secret');
        expect(await input.getAttribute('type')).toBe('password');
        await toggle.click();
        expect(await toggle.getAttribute('aria-pressed')).toBe('true');
        expect(await input.getAttribute('type')).toBe('text');
        expect(await input.inputValue()).toBe('typed secret');
        await toggle.click();
        expect(await input.getAttribute('type')).toBe('password');
      }
    };
    await page.goto(`${t.url}/login`);
    await toggleEach(1);
    await page.goto(`${t.url}/register`);
    await toggleEach(1);
    await page.goto(`${t.url}/reset`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code').waitFor();
    await toggleEach(1);

    await signIn(page, email);
    await page.goto(`${t.url}/security`);
    await toggleEach(2); // current and new password
  });
});
