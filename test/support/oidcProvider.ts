/**
 * A real OpenID Provider for tests: panva's oidc-provider (OpenID-certified) on loopback, with
 * its interactions (login, consent) completed by the test — `next` says who signs in at the
 * next interaction, or that the person refuses. Plus a browser-like walker that follows the
 * redirects between Latchkey and the provider with a cookie jar, as a browser would.
 *
 * @example
 *   const op = await startOidcProvider({ port, redirectUri: `${latchkey}/auth/oauth/acme/callback` });
 *   op.accounts.set('alice', { email: 'a@example.test', email_verified: true });
 *   op.next = { sub: 'alice' };
 */
import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';

export interface ProviderAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface OidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, ProviderAccount>;
  /** What the next login interaction does. */
  next: { sub: string } | { deny: true };
  /** Show a sign-in page with a button (for a real browser) instead of finishing the login at once. */
  page: boolean;
  close(): Promise<void>;
}

export async function startOidcProvider({
  port,
  redirectUris,
}: {
  port: number;
  redirectUris: string[];
}): Promise<OidcProvider> {
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map<string, ProviderAccount>();
  const op: OidcProvider = {
    issuer,
    clientId: 'latchkey-test',
    clientSecret: 'a-client-secret-for-the-tests-only',
    accounts,
    next: { deny: true },
    page: false,
    close: async () => {},
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: op.clientId,
        client_secret: op.clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The claims go into the ID token itself (as Google's do), not only into UserInfo.
    conformIdTokenClaims: false,
    cookies: { keys: ['oidc-provider-test-cookie-key'] },
    ttl: { Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, Interaction: 600, AuthorizationCode: 60 },
    findAccount: (_ctx: unknown, sub: string) =>
      accounts.has(sub) ? { accountId: sub, claims: () => ({ sub, ...accounts.get(sub) }) } : undefined,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  const callback = provider.callback();
  const server: Server = createServer(async (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const choice = op.next;
      if ('deny' in choice) {
        await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'The person said no' },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      if (details.prompt.name === 'login' && op.page && req.method === 'GET') {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(
          `<!doctype html><title>Acme ID</title><h1>Acme ID</h1><form method="post" action="/interaction/${details.uid}"><button type="submit">Sign in as ${choice.sub}</button></form>`,
        );
        return;
      }
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: choice.sub } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  op.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return op;
}

/** A cookie jar per origin (path ignored: each test's cookies are few and distinct). */
export class Browser {
  readonly cookies = new Map<string, Map<string, string>>();
  /** Every Set-Cookie this browser got, by origin, as sent. */
  readonly setCookies: string[] = [];

  cookieHeader(url: URL): string {
    const jar = this.cookies.get(url.origin);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  private keep(url: URL, headers: Headers) {
    const jar = this.cookies.get(url.origin) ?? new Map<string, string>();
    this.cookies.set(url.origin, jar);
    for (const line of headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  /** A GraphQL request from this browser (its cookies sent and kept). */
  async gql(base: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
    const url = new URL(`${base}/graphql`);
    const cookie = this.cookieHeader(url);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(cookie ? { cookie } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    this.keep(url, res.headers);
    const body = (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    return { body, code: body.errors?.[0]?.extensions?.code };
  }

  /** GET `url` and follow redirects while `follow(url)` says so; the last response and its URL. */
  async visit(start: string, stopAt?: (url: URL) => boolean): Promise<{ url: URL; status: number; location?: string }> {
    let url = new URL(start);
    for (let hops = 0; hops < 20; hops++) {
      const cookie = this.cookieHeader(url);
      const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      this.keep(url, res.headers);
      await res.arrayBuffer();
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { url, status: res.status };
      const target = new URL(location, url);
      if (stopAt?.(target)) return { url: target, status: res.status, location };
      url = target;
    }
    throw new Error('too many redirects');
  }
}
