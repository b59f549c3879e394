/**
 * Real Chromium for end-to-end tests: Debian's `chromium` driven by
 * playwright-core. When it is missing the e2e suite is skipped with a printed
 * reason — unless CI=true or LATCHKEY_REQUIRE_CHROMIUM=1, where that is a failure.
 *
 * @example
 *   const chromiumPath = await findChromium();
 *   describe.skipIf(!chromiumPath)('in a browser', () => { ... launchChromium(chromiumPath!) ... });
 */
import { access } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

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

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}
