/**
 * The account's own pages and the admin pages in real Chromium, against the server of API.md
 * §10.1–10.2 (email change, deletion, export, roles, administration): change the email with the
 * code mailed to the new address (after "Confirm it's you" once the sign-in is old), delete the
 * account after typing the email, download one's data, and an admin (ADMIN_EMAILS) searching
 * users, opening one and revoking their session. The server's clock is injected so a sign-in can
 * be made older than REAUTH_MAX_AGE. Mail goes to the test server's file: directory.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSuite, findChromium } from '../support/browser.js';
import { databaseTargets } from '../support/databases.js';
import { lastCodeTo, mailTo } from '../support/mail.js';
import {
  createClient,
  LOGIN,
  loginUser,
  REFRESH,
  registerUser,
  suiteServer,
  TEST_PASSWORD,
  uniqueEmail,
} from '../support/server.js';

const chromiumPath = await findChromium();
const targets = await databaseTargets();
const target = targets[targets.length - 1]; // PostgreSQL when reachable
const ADMIN_EMAIL = uniqueEmail('admin');
/** More than REAUTH_MAX_AGE (default 10m): the browser's sign-in is no longer recent. */
const PAST_REAUTH_MS = 11 * 60_000;

describe.skipIf(!chromiumPath)(`accounts and admin in Chromium (${target.name})`, { timeout: 90_000 }, () => {
  const chromium = chromiumSuite(chromiumPath!);
  const t = suiteServer(target, { manualClock: true, env: { ADMIN_EMAILS: ADMIN_EMAIL } });

  const newPage = () => chromium.newPage({ acceptDownloads: true });

  async function newUser(email = uniqueEmail('acct')) {
    const api = createClient(t.url);
    const { userId } = await registerUser(api, { email, displayName: 'Ada Lovelace' });
    await api.gql('mutation { logout }');
    return { email, userId };
  }

  async function signIn(page: Page, email: string) {
    await page.goto(`${t.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/dashboard');
  }

  const apiLogin = async (email: string) =>
    (await createClient(t.url).gql(LOGIN, { email, password: TEST_PASSWORD })).code ?? 'OK';

  it('changes the email on /security with the code sent to the new address, after "Confirm it\'s you"', async () => {
    const { email } = await newUser();
    const newEmail = uniqueEmail('moved');
    const page = await newPage();
    await signIn(page, email);
    await page.goto(`${t.url}/security`);
    const oldMailBefore = (await mailTo(t, email)).length;

    // The sign-in is no longer recent: the request asks for the password in place, then carries on.
    t.clock!.advance(PAST_REAUTH_MS);
    await page.getByLabel('New email').fill(newEmail);
    await page.getByRole('button', { name: 'Send code' }).click();
    const prompt = page.getByRole('dialog', { name: "Confirm it's you" });
    await prompt.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await prompt.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByLabel('Verification code').waitFor();

    await page.getByLabel('Verification code').fill(await lastCodeTo(t, newEmail));
    await page.getByRole('button', { name: 'Change email' }).click();
    await page.getByText(`Your email is now ${newEmail}`).waitFor();
    expect(new URL(page.url()).pathname).toBe('/security'); // sessions stay

    expect(await apiLogin(newEmail)).toBe('OK');
    expect(await apiLogin(email)).toBe('INVALID_CREDENTIALS');
    expect((await mailTo(t, email)).length).toBeGreaterThan(oldMailBefore); // the old address is told
    // After a reload the page shows the new address as the server gives it.
    await page.reload();
    await page.getByText(`Your email is ${newEmail}.`).waitFor();
  });

  it('deletes the account only after the email is typed, and lands on /login', async () => {
    const { email } = await newUser();
    const phone = await loginUser(t, email); // another device, ended with the account
    const page = await newPage();
    await signIn(page, email);
    await page.goto(`${t.url}/security`);

    await page.getByRole('button', { name: 'Delete account' }).click();
    const forever = page.getByRole('button', { name: 'Delete forever' });
    expect(await forever.isDisabled()).toBe(true);
    await page.getByLabel(/Type your email/).fill('someone-else@example.test');
    expect(await forever.isDisabled()).toBe(true);
    await page.getByLabel(/Type your email/).fill(email.toUpperCase());
    await forever.click();

    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByText('Your account has been deleted.').waitFor();
    expect(await apiLogin(email)).toBe('INVALID_CREDENTIALS');
    expect((await phone.gql(REFRESH)).code).toBeDefined();
    // Back to a private page: signed out, so to /login.
    await page.goto(`${t.url}/security`);
    await page.waitForURL((url) => url.pathname === '/login');
  });

  it('downloads my data as a JSON file that holds the account and no password hash', async () => {
    const { email, userId } = await newUser();
    const page = await newPage();
    await signIn(page, email);
    await page.goto(`${t.url}/security`);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download my data' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('latchkey-my-data.json');
    const text = await readFile((await file.path())!, 'utf8');
    expect(text).toContain(email);
    expect(text).toContain(userId);
    expect(text).toContain('Ada Lovelace');
    expect(text).not.toMatch(/\$argon2/);
    expect(text).not.toContain(TEST_PASSWORD);
    JSON.parse(text);
  });

  it('gives a non-admin no Admin link, and the admin pages refuse them', async () => {
    const { email } = await newUser();
    const page = await newPage();
    await signIn(page, email);
    await page.getByRole('link', { name: 'Security', exact: true }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.goto(`${t.url}/admin/users`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('link', { name: email }).count()).toBe(0);
  });

  /** The admin: in ADMIN_EMAILS, registered once, with the address verified (which grants the role). */
  let adminReady: Promise<void> | undefined;
  const ensureAdmin = () =>
    (adminReady ??= (async () => {
      const admin = createClient(t.url);
      await registerUser(admin, { email: ADMIN_EMAIL });
      const verified = await admin.gql('mutation($code: String!) { verifyEmail(code: $code) { emailVerified } }', {
        code: await lastCodeTo(t, ADMIN_EMAIL),
      });
      expect(verified.body.data.verifyEmail.emailVerified).toBe(true);
    })());

  it('lets an admin search users, open one and revoke their session', async () => {
    await ensureAdmin();

    // The user they look for, signed in on a device of their own.
    const name = `findme-${Date.now()}`;
    const userEmail = uniqueEmail(name);
    const device = createClient(t.url);
    const { userId } = await registerUser(device, { email: userEmail });
    expect((await device.gql(REFRESH)).code).toBeUndefined();

    const page = await newPage();
    await signIn(page, ADMIN_EMAIL);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/users');
    await page.getByRole('columnheader', { name: 'Last sign-in' }).waitFor();

    // As one types: the table narrows to the match (case-insensitive).
    await page.getByLabel('Search users').pressSequentially(name.toUpperCase());
    const link = page.getByRole('link', { name: userEmail });
    await link.waitFor();
    await page.getByRole('link', { name: ADMIN_EMAIL }).waitFor({ state: 'detached' });
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    // And on Enter.
    await page.getByLabel('Search users').press('Enter');
    await link.waitFor();

    await link.click();
    await page.waitForURL((url) => url.pathname === `/admin/users/${userId}`);
    await page.getByRole('heading', { name: userEmail }).waitFor();
    const sessions = page.getByRole('region', { name: 'Sessions' });
    await sessions.getByRole('button', { name: 'Revoke', exact: true }).click();
    await sessions.getByText('No live sessions.').waitFor();

    // The user's device is signed out: its refresh token no longer works.
    expect((await device.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    // The admin's action is among the user's recent events.
    await page.reload();
    await page
      .getByRole('list', { name: 'Recent events' })
      .getByText('session_revoked', { exact: true })
      .first()
      .waitFor();
  });

  it('shows the admin 50 users a page, with "Next" and "Previous"', async () => {
    await ensureAdmin();
    const term = `pager-${Date.now()}`;
    for (let i = 0; i < 51; i += 6)
      await Promise.all(
        Array.from({ length: Math.min(6, 51 - i) }, (_, k) =>
          registerUser(createClient(t.url), { email: uniqueEmail(`${term}-${i + k}`) }),
        ),
      );
    const page = await newPage();
    await signIn(page, ADMIN_EMAIL);
    await page.goto(`${t.url}/admin/users`);
    await page.getByLabel('Search users').fill(term);
    await page.getByLabel('Search users').press('Enter');
    const rows = page.locator('tbody tr');
    const next = page.getByRole('button', { name: 'Next' });
    const previous = page.getByRole('button', { name: 'Previous' });
    /** The table shows `n` rows, every one a match (not the unfiltered list still on screen). */
    const showing = (n: number) =>
      page.waitForFunction(
        ([count, text]) => {
          const cells = [...document.querySelectorAll('tbody tr td:first-child')];
          return cells.length === count && cells.every((c) => c.textContent?.includes(text));
        },
        [n, term] as const,
      );
    await showing(50);
    await next.click();
    await showing(1);
    expect(await rows.first().getByRole('link').textContent()).toContain(term);
    expect(await next.isDisabled()).toBe(true);
    await previous.click();
    await showing(50);
    expect(await previous.isDisabled()).toBe(true);
  });
});
