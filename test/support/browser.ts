/**
 * Real Chromium for end-to-end tests: Debian's `chromium` driven by
 * playwright-core. When it is missing the e2e suite is skipped with a printed
 * reason — unless CI=true or LATCHKEY_REQUIRE_CHROMIUM=1, where that is a failure.
 *
 * @example
 *   const chromiumPath = await findChromium();
 *   describe.skipIf(!chromiumPath)('in a browser', () => { ... launchChromium(chromiumPath!) ... });
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

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

/**
 * A tab with the DevTools protocol's virtual platform authenticator (ctap2, resident keys,
 * user verification), which answers WebAuthn ceremonies by itself.
 */
export async function tabWithAuthenticator(browser: Browser, contexts: BrowserContext[], pageErrors: string[]) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(15_000);
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
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
  return page;
}

/** Keep the sign-in page from starting a passkey autofill ceremony (so buttons decide what happens). */
export async function withoutPasskeyAutofill(page: Page) {
  await page.addInitScript(() => {
    Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false });
  });
}
