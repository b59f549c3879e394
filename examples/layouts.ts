/**
 * The three layouts of docs/apps.md, as settings for Latchkey and for the example app
 * (app/): which origin each runs on and what Latchkey must be told. The Chromium test
 * (test/e2e/layouts.test.ts) starts each; `npx tsx examples/run.ts <layout>` does too.
 *
 * Host names: `*.latchkey.test` must reach this machine (an /etc/hosts line, or Chromium's
 * `--host-resolver-rules="MAP *.latchkey.test 127.0.0.1"`); `localhost` always does.
 */
import type { ExampleAppOptions } from './app/serve.js';

export interface Layout {
  /** The app's origin, as the browser sees it. */
  appOrigin: string;
  /** Latchkey's origin, as the browser sees it (the app's own in layout a). */
  latchkeyOrigin: string;
  /** Latchkey's settings for this layout (besides its database and PORT). */
  latchkeyEnv: Record<string, string>;
  app: ExampleAppOptions;
}

export interface Ports {
  app: number;
  latchkey: number;
}

/**
 * (a) Same origin: the app's server forwards GRAPHQL_PATH to Latchkey, so the refresh cookie is
 * the app's own (first-party in every browser). Latchkey's PUBLIC_URL is the app's origin.
 */
export function sameOrigin(ports: Ports): Layout {
  const appOrigin = `http://localhost:${ports.app}`;
  return {
    appOrigin,
    latchkeyOrigin: appOrigin,
    latchkeyEnv: { PUBLIC_URL: appOrigin, GRAPHQL_PATH: '/auth/graphql' },
    app: {
      host: '127.0.0.1',
      port: ports.app,
      settings: { url: '', graphqlPath: '/auth/graphql' },
      forwardTo: `http://127.0.0.1:${ports.latchkey}`,
    },
  };
}

/**
 * (b) Sibling hosts of one site: app.latchkey.test calls auth.latchkey.test with CORS; the
 * cookie is first-party (same site), Domain=latchkey.test so the app's own server could see it
 * too. Plain http here, so the cookie cannot be Secure (in production: https, and Secure).
 * Latchkey's web app is the app's hosted sign-in page (REDIRECT_ORIGINS).
 */
export function siblingHosts(ports: Ports): Layout {
  const appOrigin = `http://app.latchkey.test:${ports.app}`;
  const latchkeyOrigin = `http://auth.latchkey.test:${ports.latchkey}`;
  return {
    appOrigin,
    latchkeyOrigin,
    latchkeyEnv: {
      PUBLIC_URL: latchkeyOrigin,
      CORS_ORIGINS: appOrigin,
      REDIRECT_ORIGINS: appOrigin,
      COOKIE_DOMAIN: 'latchkey.test',
      COOKIE_SAMESITE: 'Lax',
      COOKIE_SECURE: 'false',
    },
    app: {
      host: '127.0.0.1',
      port: ports.app,
      settings: { url: latchkeyOrigin, graphqlPath: '/graphql', signInPage: `${latchkeyOrigin}/login` },
    },
  };
}

/**
 * (c) Another site: app.latchkey.test calls Latchkey at localhost with CORS; the refresh
 * cookie is a third-party cookie (SameSite=None, Secure — http://localhost counts as secure).
 * Works only where the browser allows third-party cookies: choose (a) or (b).
 */
export function otherSite(ports: Ports): Layout {
  const appOrigin = `http://app.latchkey.test:${ports.app}`;
  const latchkeyOrigin = `http://localhost:${ports.latchkey}`;
  return {
    appOrigin,
    latchkeyOrigin,
    latchkeyEnv: { PUBLIC_URL: latchkeyOrigin, CORS_ORIGINS: appOrigin, COOKIE_SAMESITE: 'None', COOKIE_SECURE: 'true' },
    app: { host: '127.0.0.1', port: ports.app, settings: { url: latchkeyOrigin, graphqlPath: '/graphql' } },
  };
}

export const layouts = { 'same-origin': sameOrigin, 'sibling-hosts': siblingHosts, 'other-site': otherSite };
