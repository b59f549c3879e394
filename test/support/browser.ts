/**
 * Real Chromium for end-to-end tests: Debian's `chromium` driven by
 * playwright-core. When it is missing the e2e suite is skipped with a printed
 * reason — unless CI=true or LATCHKEY_REQUIRE_CHROMIUM=1, where that is a failure.
 *
 * @example
 *   const chromiumPath = await findChromium();
 *   describe.skipIf(!chromiumPath)('in a browser', () => {
 *     const chromium = chromiumSuite(chromiumPath!);
 *     it('…', async () => { const page = await chromium.newPage(); ... });
 *   });
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { findWebRoot } from '../../src/http/web.js';

export const CHROMIUM_PATH = process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium';
export const REQUIRE_CHROMIUM = process.env.LATCHKEY_REQUIRE_CHROMIUM === '1' || process.env.CI === 'true';

/** The Chromium binary, or undefined (after printing why) when absent and not required. */
export async function findChromium(): Promise<string | undefined> {
  try {
    await access(CHROMIUM_PATH);
    return CHROMIUM_PATH;
  } catch {
    const reason = `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set LATCHKEY_CHROMIUM)`;
    if (REQUIRE_CHROMIUM) throw new Error(`${reason}; it is required here (CI / LATCHKEY_REQUIRE_CHROMIUM)`);
    console.warn(`[skip] ${reason}: skipping browser tests`);
    return undefined;
  }
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export function launchChromium(executablePath: string, extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * Chromium with a profile of its own in `userDataDir`, whose preferences are `preferences`
 * (e.g. third-party cookies allowed: `{ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }`).
 */
export async function launchChromiumProfile(
  executablePath: string,
  userDataDir: string,
  preferences: Record<string, unknown>,
  extraArgs: string[] = [],
): Promise<BrowserContext> {
  await mkdir(join(userDataDir, 'Default'), { recursive: true });
  await writeFile(join(userDataDir, 'Default', 'Preferences'), JSON.stringify(preferences));
  return chromium.launchPersistentContext(userDataDir, { executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** The DevTools protocol's virtual platform authenticator (ctap2, resident keys, user verification) on `page`. */
async function addVirtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/**
 * One Chromium for the tests of the `describe` block it is called in: launched before them
 * (after checking that web/dist is built), closed after them. After each test the profiles it
 * opened are closed and it fails if any page threw an uncaught exception, whatever it showed.
 * Profiles are 1100×900 with a 15 s default timeout unless `options` say otherwise.
 */
export function chromiumSuite(executablePath: string, extraArgs: string[] = []) {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!(await findWebRoot())) throw new Error('web/dist is missing: run `npm run build` before the browser tests');
    browser = await launchChromium(executablePath, extraArgs);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    // An uncaught exception in the app is a failure whatever the page showed.
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  const launched = (): Browser => {
    if (!browser) throw new Error('Chromium is not running: chromiumSuite() starts it in beforeAll');
    return browser;
  };

  /**
   * `context` (e.g. a profile of launchChromiumProfile) watched like the suite's own: its tabs'
   * uncaught exceptions are recorded and it is closed after the test.
   */
  function adopt(context: BrowserContext): BrowserContext {
    const watch = (page: Page) => page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    context.setDefaultTimeout(15_000);
    context.pages().forEach(watch);
    context.on('page', watch);
    contexts.push(context);
    return context;
  }

  /** A browser profile (cookies shared by its tabs); every tab's uncaught exceptions are recorded. */
  async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    return adopt(await launched().newContext({ viewport: { width: 1100, height: 900 }, ...options }));
  }

  /** A tab in a profile of its own. */
  async function newPage(options: BrowserContextOptions = {}): Promise<Page> {
    return (await newContext(options)).newPage();
  }

  /** A tab in a profile of its own with a virtual authenticator that verifies the user and answers by itself. */
  async function tabWithAuthenticator(): Promise<Page> {
    const context = await newContext();
    const page = await context.newPage();
    await addVirtualAuthenticator(context, page);
    return page;
  }

  return { adopt, browser: launched, newContext, newPage, tabWithAuthenticator };
}

/** Keep the sign-in page from starting a passkey autofill ceremony (so buttons decide what happens). */
export async function withoutPasskeyAutofill(page: Page) {
  await page.addInitScript(() => {
    Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false });
  });
}
