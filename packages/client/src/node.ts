/**
 * For running the client outside a browser (Node scripts, tests): a fetch that
 * keeps cookies like a browser's jar does, so the HttpOnly refresh cookie is
 * stored and sent back. Share one jar between clients to model the tabs of one
 * browser.
 *
 * @example
 *   import { createLatchkeyClient } from '@latchkey/client';
 *   import { createCookieFetch } from '@latchkey/client/node';
 *   const jar = createCookieFetch();
 *   const latchkey = createLatchkeyClient({ url: 'http://127.0.0.1:4000', fetch: jar.fetch });
 */
import type { Fetch } from './transport.js';

export interface CookieFetch {
  fetch: Fetch;
  /** name → value of the cookies held (paths and domains are not told apart: one server per jar). */
  cookies: Map<string, string>;
}

export function createCookieFetch(base: Fetch = (input, init) => globalThis.fetch(input, init)): CookieFetch {
  const cookies = new Map<string, string>();
  const fetch: Fetch = async (input, init) => {
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await base(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=(0|-)/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    return response;
  };
  return { fetch, cookies };
}
