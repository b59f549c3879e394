/**
 * The web app in real Chromium against the real server (PostgreSQL when
 * reachable), with the server's clock injected: moving it past ACCESS_TOKEN_TTL
 * makes the token a page holds expire while the person is on it (the page's own
 * clock still thinks it good, so only the server's answer tells it). What must hold: nobody is thrown out or moved off their
 * page by an expiry or by a second tab, and sign-outs and revocations do reach
 * every tab and device. Screenshots of each page go to test-results/e2e/.
 */
import { mkdir } from 'node:fs/promises';
import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { chromiumSuite, findChromium } from '../support/browser.js';
import { databaseTargets } from '../support/databases.js';
import { lastCodeTo } from '../support/mail.js';
import { createClient, jwtPayload, registerUser, suiteServer, TEST_PASSWORD, uniqueEmail } from '../support/server.js';
import { auditEventsOf, refreshTokenRow } from '../support/rows.js';

const chromiumPath = await findChromium();
const targets = await databaseTargets();
const target = targets[targets.length - 1]; // PostgreSQL when reachable
const SHOTS = 'test-results/e2e';
/** A little more than ACCESS_TOKEN_TTL (default 5m): the token a page holds has certainly expired. */
const PAST_EXPIRY_MS = 6 * 60_000;

// Real browsers on a shared, busy machine: generous per-test time (the tests themselves wait on events, not clocks).
describe.skipIf(!chromiumPath)(
  `web app in Chromium (${target.name}, server clock injected)`,
  { timeout: 90_000 },
  () => {
    const chromium = chromiumSuite(chromiumPath!);
    beforeAll(async () => {
      await mkdir(SHOTS, { recursive: true });
    });
    const t = suiteServer(target, { manualClock: true }); // mail: its own file: directory

    /** A browser profile (cookies shared by its tabs), the screenshots' size. */
    const newContext = (options: BrowserContextOptions = {}) =>
      chromium.newContext({ viewport: { width: 1100, height: 760 }, ...options });

    /** A tab, with every URL it shows recorded (to prove it never visited /login). */
    async function newTab(context: BrowserContext): Promise<{ page: Page; visited: string[] }> {
      const page = await context.newPage();
      const visited: string[] = [];
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) visited.push(new URL(frame.url()).pathname);
      });
      return { page, visited };
    }

    const path = (page: Page) => new URL(page.url()).pathname;
    const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

    async function newUser(): Promise<{ email: string; userId: string }> {
      const api = createClient(t.url);
      const { email, userId } = await registerUser(api, { displayName: 'Ada Lovelace' });
      await api.gql('mutation { logout }'); // only the browsers' sessions remain
      return { email, userId };
    }

    async function signIn(page: Page, email: string, { rememberMe = false, next = '' } = {}) {
      await page.goto(`${t.url}/login${next ? `?next=${next}` : ''}`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      if (rememberMe) await page.getByLabel('Remember me').check();
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL((url) => url.pathname !== '/login');
    }

    async function openProfile(page: Page) {
      await page.goto(`${t.url}/profile`);
      await page.getByLabel('Bio').waitFor();
    }

    async function saveBio(page: Page, bio: string) {
      await page.getByLabel('Bio').fill(bio);
      await page.getByRole('button', { name: 'Save' }).click();
    }

    /**
     * The person's next action on /profile (editing and saving) — unless the app
     * already took them to /login on its own (a background refresh found the
     * session ended), which is as good. Resolves once the tab shows /login.
     */
    async function nextActionLandsOnLogin(page: Page) {
      if (await page.getByLabel('Bio').count()) {
        // Not awaited: if the form goes away first, the edit has nothing to act on and simply fails when the context closes.
        void saveBio(page, 'one more edit').catch(() => {});
      }
      await page.waitForURL((url) => url.pathname === '/login');
    }

    /** Everything a script on the page (or an XSS) could read back from the browser's storage. */
    const storageSeenByScripts = (page: Page) =>
      page.evaluate(async () => ({
        localStorage: Object.keys(localStorage),
        sessionStorage: Object.keys(sessionStorage),
        cookie: document.cookie,
        indexedDB: (await indexedDB.databases()).map((d) => d.name),
      }));

    const refreshCookie = async (context: BrowserContext) =>
      (await context.cookies()).find((c) => c.name === 'latchkey_refresh');

    it('keeps a person on /profile through token expiry: the save succeeds and the refresh token rotated', async () => {
      const context = await newContext();
      const { page, visited } = await newTab(context);

      await page.goto(`${t.url}/register`);
      await shot(page, 'register');
      const email = uniqueEmail('e2e');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByLabel('Display name').fill('Grace Hopper');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL((url) => url.pathname === '/dashboard');
      await page.getByText(`Signed in as ${email}`).waitFor();
      await shot(page, 'dashboard');
      // Signed in, and nothing the page's scripts can read holds a token: it lives in memory only.
      expect(await storageSeenByScripts(page)).toEqual({
        localStorage: [],
        sessionStorage: [],
        cookie: '',
        indexedDB: [],
      });

      const cookie = await refreshCookie(context);
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/graphql', expires: -1 });
      const firstJti = jwtPayload(cookie!.value).jti as string;

      await page.getByRole('link', { name: 'Profile', exact: true }).click();
      await page.getByLabel('Bio').waitFor();
      await shot(page, 'profile');
      t.clock!.advance(PAST_EXPIRY_MS); // the page's token expires while it shows /profile
      await saveBio(page, 'Wrote the first compiler.');
      await page.getByText('Saved', { exact: true }).waitFor();
      await shot(page, 'profile-saved');
      expect(path(page)).toBe('/profile');

      const first = await refreshTokenRow(t.server.services, firstJti);
      expect(first?.token.usedAt).not.toBeNull();
      expect(first?.token.replacedBy).toBeTruthy();
      expect(await refreshTokenRow(t.server.services, first!.token.replacedBy!)).toBeDefined();
      expect(first?.session.revokedAt).toBeNull();

      // Reload: the session comes back from the cookie; the page stays, with the saved data.
      await page.reload();
      await page.getByLabel('Bio').waitFor();
      expect(await page.getByLabel('Bio').inputValue()).toBe('Wrote the first compiler.');
      expect(path(page)).toBe('/profile');
      expect(visited.filter((p) => p.startsWith('/login'))).toEqual([]);
    });

    it('sends a signed-out visit to /login?next=PATH and back to PATH after signing in', async () => {
      const { email } = await newUser();
      const { page } = await newTab(await newContext());
      await page.goto(`${t.url}/sessions`);
      await page.waitForURL((url) => url.pathname === '/login');
      expect(new URL(page.url()).searchParams.get('next')).toBe('/sessions');
      await shot(page, 'login');

      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toMatch(/do not match/);
      expect(await page.getByLabel('Remember me').isChecked()).toBe(false);
      await shot(page, 'login-error');

      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/sessions');
      await page.getByText('This device').waitFor();
    });

    it('follows `next` only to paths on this site, however the address is disguised', async () => {
      const { email } = await newUser();
      const { page } = await newTab(await newContext());
      const offsite: string[] = [];
      page.on('request', (request) => {
        if (new URL(request.url()).origin !== t.url) offsite.push(request.url());
      });
      const hostile = [
        '//evil.example/phish',
        'https://evil.example/',
        '/\\evil.example',
        '/\t/evil.example',
        'javascript:alert(1)',
        '//[oops',
        // Dot segments that normalise to `//evil.example/`: the History API refuses those, the page must not go blank.
        '/.//evil.example/',
        '/%2e//evil.example',
        '/a/..//evil.example',
        '/./\\evil.example',
      ];
      // Signing in with one, then visiting /login?next=… signed in, which goes straight on to `next`.
      await signIn(page, email, { next: encodeURIComponent(hostile[0]) });
      expect(page.url()).toBe(`${t.url}/dashboard`);
      for (const next of hostile.slice(1)) {
        await page.goto(`${t.url}/login?next=${encodeURIComponent(next)}`);
        await page.getByText(`Signed in as ${email}`).waitFor();
        expect(page.url(), next).toBe(`${t.url}/dashboard`);
      }
      // A real path of the site, with its query, is followed.
      await page.goto(`${t.url}/login?next=${encodeURIComponent('/sessions?from=mail')}`);
      await page.getByText('This device').waitFor();
      expect(page.url()).toBe(`${t.url}/sessions?from=mail`);
      expect(offsite).toEqual([]);
    });

    it('keeps two tabs signed in when both act at the same moment right after expiry (no TOKEN_REUSED)', async () => {
      const { email, userId } = await newUser();
      const context = await newContext();
      const one = await newTab(context);
      const two = await newTab(context);
      await signIn(one.page, email, { next: '/profile' });
      await one.page.getByLabel('Bio').waitFor();
      await openProfile(two.page);
      one.visited.length = two.visited.length = 0; // from here on, neither tab may leave /profile
      // Chromium gives pages on 127.0.0.1 Web Locks: this is the locked cross-tab path.
      expect(await two.page.evaluate(() => Boolean(navigator.locks))).toBe(true);

      t.clock!.advance(PAST_EXPIRY_MS); // both tabs' token expires at the same moment
      await Promise.all([saveBio(one.page, 'from tab one'), saveBio(two.page, 'from tab two')]);
      await Promise.all([
        one.page.getByText('Saved', { exact: true }).waitFor(),
        two.page.getByText('Saved', { exact: true }).waitFor(),
      ]);

      expect([path(one.page), path(two.page)]).toEqual(['/profile', '/profile']);
      expect([...one.visited, ...two.visited].filter((p) => p !== '/profile')).toEqual([]);
      expect(await auditEventsOf(t.server.services, { userId, type: 'refresh_reuse_detected' })).toEqual([]);
      const sessions = await t.server.services.sessions.list(userId);
      expect(sessions).toHaveLength(1); // one browser, one session, still live
    });

    it('forgets a session without remember-me when the browser restarts, and keeps one with it', async () => {
      const { email } = await newUser();
      /** A browser restart: a new profile holding only the persistent cookies of the old one. */
      const restart = async (context: BrowserContext) => {
        const persistent = (await context.cookies()).filter((c) => c.expires > 0);
        const next = await newContext();
        await next.addCookies(persistent);
        const { page } = await newTab(next);
        await page.goto(`${t.url}/profile`);
        await page.waitForURL((url) => url.pathname === '/login' || url.pathname === '/profile');
        return page;
      };

      const forgetful = await newContext();
      await signIn((await newTab(forgetful)).page, email);
      const afterRestart = await restart(forgetful);
      await afterRestart.getByLabel('Password').waitFor();
      expect(path(afterRestart)).toBe('/login');

      const remembering = await newContext();
      await signIn((await newTab(remembering)).page, email, { rememberMe: true });
      const cookie = await refreshCookie(remembering);
      expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86400); // REMEMBER_ME_TTL 30d
      const remembered = await restart(remembering);
      await remembered.getByLabel('Bio').waitFor();
      expect(path(remembered)).toBe('/profile');
    });

    it('signs every tab out when one signs out, and the back button shows nothing private', async () => {
      const { email } = await newUser();
      const context = await newContext();
      const one = await newTab(context);
      const two = await newTab(context);
      await signIn(one.page, email);
      await one.page.getByRole('link', { name: 'Profile', exact: true }).click();
      await one.page.getByLabel('Bio').waitFor();
      await openProfile(two.page);

      await one.page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await one.page.waitForURL((url) => url.pathname === '/login');
      await one.page.getByText('You have signed out.').waitFor();
      await shot(one.page, 'login-signed-out');
      await nextActionLandsOnLogin(two.page);

      for (const page of [one.page, two.page]) {
        await page.goBack().catch(() => {}); // the second tab may have nothing to go back to
        await page.waitForLoadState();
        await page.waitForURL((url) => url.pathname === '/login' || url.protocol === 'about:');
        // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText (what the page shows), not the DOM property
        const text = await page.locator('body').innerText();
        expect(text).not.toContain(email);
        expect(text).not.toContain('Ada Lovelace');
        expect(await page.getByLabel('Bio').count()).toBe(0);
      }
      expect(await refreshCookie(context)).toBeUndefined();
    });

    it("revoking another device's session on /sessions sends that device to /login on its next action", async () => {
      const { email } = await newUser();
      const laptop = (await newTab(await newContext())).page;
      const phone = (
        await newTab(
          await newContext({
            userAgent:
              'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
            viewport: { width: 390, height: 800 },
          }),
        )
      ).page;
      await signIn(phone, email, { next: '/profile' });
      await phone.getByLabel('Bio').waitFor();
      await signIn(laptop, email, { next: '/sessions' });

      const rows = laptop.locator('tbody tr');
      await rows.nth(1).waitFor();
      expect(await rows.count()).toBe(2);
      const current = rows.filter({ hasText: 'This device' });
      expect(await current.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
      const other = rows.filter({ hasNotText: 'This device' });
      expect(await other.textContent()).toContain('Safari on iOS');
      await shot(laptop, 'sessions');

      await other.getByRole('button', { name: 'Revoke' }).click();
      await laptop.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
      expect(path(laptop)).toBe('/sessions');

      await nextActionLandsOnLogin(phone);
      await phone.getByText(/session was ended/).waitFor();
      await shot(phone, 'login-revoked-mobile');
      expect(new URL(phone.url()).searchParams.get('next')).toBe('/profile');
    });

    it('signs in with a one-time code through the UI (file mail transport), remembered if asked', async () => {
      const { email } = await newUser();
      const context = await newContext();
      const { page } = await newTab(context);
      await page.goto(`${t.url}/login`);
      await page.getByRole('link', { name: 'Sign in with a code' }).click();
      await page.waitForURL((url) => url.pathname === '/login/code');
      await page.getByLabel('Email').fill(email);
      expect(await page.getByLabel('Remember me').isChecked()).toBe(false);
      await page.getByLabel('Remember me').check(); // chosen up front; kept for the second step
      await shot(page, 'login-code');
      await page.getByRole('button', { name: 'Send code' }).click();
      await page.getByLabel('Code').waitFor(); // requestOtp has answered: the mail is queued
      expect(await page.getByLabel('Remember me').isChecked()).toBe(true);

      const code = await lastCodeTo(t, email);
      await page.getByLabel('Code').fill(code === '000000' ? '000001' : '000000');
      await page.getByRole('button', { name: 'Verify' }).click();
      await page
        .getByRole('alert')
        .getByText(/code is wrong/)
        .waitFor();
      await page.getByLabel('Code').fill(code);
      await shot(page, 'login-code-verify');
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForURL((url) => url.pathname === '/dashboard');
      await page.getByText(`Signed in as ${email}`).waitFor();
      expect((await refreshCookie(context))!.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86400); // REMEMBER_ME_TTL 30d
    });
  },
);
