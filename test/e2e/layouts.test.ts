/**
 * The three layouts of docs/apps.md in real Chromium, each with the example app of examples/
 * (React, @latchkey/client, @latchkey/react) served by its own server on another port and host
 * name: (a) same origin, the app's server forwarding GRAPHQL_PATH; (b) sibling hosts
 * app.latchkey.test and auth.latchkey.test with COOKIE_DOMAIN, plus Latchkey's web app as the
 * hosted sign-in page (`/login?next=<app>`, REDIRECT_ORIGINS); (c) another site with
 * COOKIE_SAMESITE=None and Secure, in a profile that allows third-party cookies. In each a
 * person signs in, reloads, stays signed in past the access token's life (ACCESS_TOKEN_TTL=2s),
 * and signs out. Chromium maps *.latchkey.test to 127.0.0.1 (--host-resolver-rules).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleApp } from '../../examples/app/serve.js';
import { type Layout, otherSite, sameOrigin, siblingHosts } from '../../examples/layouts.js';
import { chromiumSuite, findChromium, launchChromiumProfile } from '../support/browser.js';
import { pglite } from '../support/databases.js';
import { freePort } from '../support/processes.js';
import { REGISTER, suiteServer, TEST_PASSWORD, type TestServer, uniqueEmail } from '../support/server.js';

const chromiumPath = await findChromium();
const HOSTS = ['--host-resolver-rules=MAP *.latchkey.test 127.0.0.1'];
const TTL_MS = 2000;

const ports = async () => ({ app: await freePort(), latchkey: await freePort() });
const [portsA, portsB, portsC] = [await ports(), await ports(), await ports()];

/** Latchkey and the example app of `layout`, started for the suite. */
function layoutSuite(layout: Layout) {
  const latchkeyPort = Number(new URL(layout.app.forwardTo ?? layout.latchkeyOrigin).port);
  const t = suiteServer(pglite, {
    env: { ...layout.latchkeyEnv, PORT: String(latchkeyPort), ACCESS_TOKEN_TTL: `${TTL_MS / 1000}s` },
  });
  const app = { close: async () => {} };
  // After suiteServer's own hook: the app forwards to a Latchkey that is listening.
  beforeAll(async () => {
    app.close = (await startExampleApp(layout.app)).close;
  });
  afterAll(async () => app.close());
  return { t, layout };
}

/** An account made over the API (at the layout's GRAPHQL_PATH), signed out again. */
async function newUser(t: TestServer, layout: Layout) {
  const email = uniqueEmail('layout');
  const res = await fetch(`${t.url}${layout.app.settings.graphqlPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: REGISTER, variables: { email, password: TEST_PASSWORD } }),
  });
  expect((await res.json()).data.register.user.email).toBe(email);
  return email;
}

/** Sign in on the app, reload, outlive the access token, sign out: what a person does. */
async function signInAndOut(page: Page, layout: Layout, email: string) {
  await page.goto(`${layout.appOrigin}/`);
  await page.getByText('Signed out', { exact: true }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText(`Signed in as ${email}`).waitFor();
  const firstTokenDead = Date.now() + TTL_MS + 500;

  await page.reload();
  await page.getByText(`Signed in as ${email}`).waitFor();
  // The access token the page first had has expired: the page is still signed in and its calls work.
  await page.waitForFunction((deadline) => Date.now() > deadline, firstTokenDead, { polling: 100 });
  await page.getByRole('button', { name: 'Load my account' }).click();
  await page.getByText(`Account: ${email}`).waitFor();
  await page.reload();
  await page.getByText(`Signed in as ${email}`).waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('Signed out', { exact: true }).waitFor();
  await page.reload();
  await page.getByText('Signed out', { exact: true }).waitFor();
}

describe.skipIf(!chromiumPath)('layouts in Chromium', { timeout: 90_000 }, () => {
  const chromium = chromiumSuite(chromiumPath!, HOSTS);
  /** A tab in a new profile, or in `context` (a profile of launchChromiumProfile). */
  const tab = async (context?: BrowserContext) => {
    const c = context ? chromium.adopt(context) : await chromium.newContext();
    return { context: c, page: await c.newPage() };
  };

  describe('(a) same origin behind the app’s proxy', () => {
    const { t, layout } = layoutSuite(sameOrigin(portsA));
    it('signs in, reloads, outlives the access token and signs out', async () => {
      const { context, page } = await tab();
      await signInAndOut(page, layout, await newUser(t, layout));
      await context.close();
    });
  });

  describe('(b) sibling hosts with COOKIE_DOMAIN', () => {
    const { t, layout } = layoutSuite(siblingHosts(portsB));
    it('signs in, reloads, outlives the access token and signs out; the cookie is the site’s', async () => {
      const { context, page } = await tab();
      const email = await newUser(t, layout);
      await page.goto(`${layout.appOrigin}/`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByText(`Signed in as ${email}`).waitFor();
      expect((await context.cookies()).find((c) => c.name === 'latchkey_refresh')).toMatchObject({
        domain: '.latchkey.test',
        httpOnly: true,
      });
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signInAndOut(page, layout, email);
      await context.close();
    });

    it('signs in on Latchkey’s hosted page and comes back to the app signed in', async () => {
      const { context, page } = await tab();
      const email = await newUser(t, layout);
      await page.goto(`${layout.appOrigin}/orders?tab=open`);
      await page.getByRole('link', { name: 'Sign in with Latchkey' }).click();
      await page.waitForURL((url) => url.origin === layout.latchkeyOrigin && url.pathname === '/login');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${layout.appOrigin}/orders?tab=open`);
      await page.getByText(`Signed in as ${email}`).waitFor();
      await context.close();
    });
  });

  describe('(c) another site with SameSite=None, where third-party cookies are allowed', () => {
    const { t, layout } = layoutSuite(otherSite(portsC));
    const profile = { dir: '' };
    beforeAll(async () => {
      profile.dir = await mkdtemp(join(tmpdir(), 'latchkey-chromium-'));
    });
    afterAll(async () => {
      if (profile.dir) await rm(profile.dir, { recursive: true, force: true });
    });

    it('signs in, reloads, outlives the access token and signs out', async () => {
      const context = await launchChromiumProfile(
        chromiumPath!,
        profile.dir,
        { profile: { cookie_controls_mode: 0, block_third_party_cookies: false } },
        HOSTS,
      );
      try {
        const { page } = await tab(context);
        await signInAndOut(page, layout, await newUser(t, layout));
      } finally {
        await context.close();
      }
    });

    it('loses the session at a reload where third-party cookies are blocked (why docs/apps.md says choose a or b)', async () => {
      const context = await launchChromiumProfile(
        chromiumPath!,
        `${profile.dir}-blocking`,
        { profile: { cookie_controls_mode: 1, block_third_party_cookies: true } },
        HOSTS,
      );
      try {
        const { page } = await tab(context);
        const email = await newUser(t, layout);
        await page.goto(`${layout.appOrigin}/`);
        await page.getByLabel('Email').fill(email);
        await page.getByLabel('Password').fill(TEST_PASSWORD);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.getByText(`Signed in as ${email}`).waitFor();
        await page.reload();
        await page.getByText('Signed out', { exact: true }).waitFor();
      } finally {
        await context.close();
        await rm(`${profile.dir}-blocking`, { recursive: true, force: true });
      }
    });
  });
});
