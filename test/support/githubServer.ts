/**
 * A small GitHub-shaped server for tests (GitHub's sign-in is plain OAuth 2.0, not OpenID
 * Connect): `/login/oauth/authorize` approves at once for the person `next` names and
 * redirects back with a code; `/login/oauth/access_token` checks the client, the code (once)
 * and the PKCE verifier; `/api/v3/user` and `/api/v3/user/emails` answer as GitHub does for
 * a GitHub Enterprise host.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

export interface GithubUser {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface GithubServer {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Who approves at the next authorize. */
  next: GithubUser | null;
  close(): Promise<void>;
}

export async function startGithubServer(): Promise<GithubServer> {
  const codes = new Map<string, { user: GithubUser; challenge: string; redirectUri: string }>();
  const tokens = new Map<string, GithubUser>();
  const gh: GithubServer = {
    url: '',
    clientId: 'gh-client',
    clientSecret: 'gh-secret',
    next: null,
    close: async () => {},
  };
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', gh.url);
    if (url.pathname === '/login/oauth/authorize') {
      const redirect = new URL(url.searchParams.get('redirect_uri') ?? '');
      redirect.searchParams.set('state', url.searchParams.get('state') ?? '');
      if (!gh.next) redirect.searchParams.set('error', 'access_denied');
      else {
        const code = randomBytes(10).toString('hex');
        codes.set(code, {
          user: gh.next,
          challenge: url.searchParams.get('code_challenge') ?? '',
          redirectUri: url.searchParams.get('redirect_uri') ?? '',
        });
        redirect.searchParams.set('code', code);
      }
      res.writeHead(302, { location: redirect.href }).end();
      return;
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = createHash('sha256')
        .update(form.get('code_verifier') ?? '')
        .digest('base64url');
      if (
        form.get('client_id') !== gh.clientId ||
        form.get('client_secret') !== gh.clientSecret ||
        !grant ||
        grant.challenge !== verifier ||
        grant.redirectUri !== form.get('redirect_uri')
      )
        return json(res, 400, { error: 'invalid_grant' });
      const token = randomBytes(16).toString('hex');
      tokens.set(token, grant.user);
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }
    const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (url.pathname === '/api/v3/user')
      return user ? json(res, 200, { id: user.id, login: user.login, name: user.name }) : json(res, 401, {});
    if (url.pathname === '/api/v3/user/emails') return user ? json(res, 200, user.emails) : json(res, 401, {});
    json(res, 404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gh.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  gh.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return gh;
}
