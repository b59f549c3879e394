/**
 * The external providers themselves (API.md §9.1), through openid-client 6: OpenID Connect by
 * discovery (google, microsoft, gitlab, any other id), and GitHub's plain OAuth 2.0 with its
 * REST API (`/user`, `/user/emails`: only a verified primary address counts as verified).
 *
 * Discovery is lazy and retried: a provider whose discovery failed answers PROVIDER_ERROR and
 * tries again at the next use (at most once per RETRY_MS), so the server starts and serves
 * everything else while a provider is down. Every request to a provider is time-limited.
 *
 * @example
 *   const p = providers.get('google');
 *   const url = await p.authorizationUrl({ redirectUri, state, nonce, codeChallenge });
 *   const who = await p.finish(callbackUrl, { state, nonce, codeVerifier }, redirectUri);
 */
import * as oidc from 'openid-client';
import type { OAuthProviderConfig } from '../configOAuth.js';
import { AuthError } from './errors.js';

/** What a provider asserted about the person, once every check passed. */
export interface ExternalProfile {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

export interface FlowChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Why a callback failed, as `/login?error=` names it. */
export type OAuthFailure = 'ACCESS_DENIED' | 'OAUTH_STATE_INVALID' | 'PROVIDER_ERROR' | 'ACCOUNT_EXISTS';

export class OAuthFlowError extends Error {
  override name = 'OAuthFlowError';
  constructor(
    readonly code: OAuthFailure,
    /** For the audit row and the log: never a token or a code. */
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

export interface Provider {
  id: string;
  name: string;
  kind: 'oidc' | 'github';
  authorizationUrl(input: { redirectUri: string; state: string; nonce: string; codeChallenge: string }): Promise<URL>;
  finish(callbackUrl: URL, checks: FlowChecks, redirectUri: string): Promise<ExternalProfile>;
  /** Discover now (at start): the error message, or undefined when the provider is ready. */
  warmUp(): Promise<string | undefined>;
}

/** Between two discovery attempts of a provider that failed. */
const RETRY_MS = 10_000;

const LOOPBACK_HTTP = (url: string) => new URL(url).protocol === 'http:';

const verified = (value: unknown) => value === true || value === 'true';

/** A failure of the token exchange or the ID token's checks, as the person will read it. */
function exchangeFailure(e: unknown): OAuthFlowError {
  if (e instanceof OAuthFlowError) return e;
  if (e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant')
    return new OAuthFlowError('OAUTH_STATE_INVALID', 'the provider refused the code (already used or expired)');
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new OAuthFlowError('PROVIDER_ERROR', detail.slice(0, 300));
}

function configurationSource(config: OAuthProviderConfig, timeoutS: number) {
  const insecure = LOOPBACK_HTTP(config.issuer);
  const prepare = (c: oidc.Configuration) => {
    c.timeout = timeoutS;
    if (insecure) oidc.allowInsecureRequests(c);
    return c;
  };
  if (config.kind === 'github') {
    const server = {
      issuer: config.issuer,
      authorization_endpoint: `${config.issuer}/login/oauth/authorize`,
      token_endpoint: `${config.issuer}/login/oauth/access_token`,
    };
    const ready = prepare(new oidc.Configuration(server, config.clientId, config.clientSecret));
    return async () => ready;
  }
  return async () =>
    prepare(
      await oidc.discovery(new URL(config.issuer), config.clientId, config.clientSecret, undefined, {
        timeout: timeoutS,
        execute: insecure ? [oidc.allowInsecureRequests] : [],
      }),
    );
}

/** GitHub's REST API: github.com's is api.github.com, a GitHub Enterprise host's is `<host>/api/v3`. */
const githubApi = (issuer: string) => (issuer === 'https://github.com' ? 'https://api.github.com' : `${issuer}/api/v3`);

async function githubProfile(issuer: string, accessToken: string, timeoutMs: number): Promise<ExternalProfile> {
  const get = async (path: string) => {
    const res = await fetch(`${githubApi(issuer)}${path}`, {
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/vnd.github+json',
        'user-agent': 'Latchkey',
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new OAuthFlowError('PROVIDER_ERROR', `GitHub ${path} answered ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  const user = (await get('/user')) as { id?: unknown; name?: unknown; login?: unknown };
  if (typeof user.id !== 'number' && typeof user.id !== 'string')
    throw new OAuthFlowError('PROVIDER_ERROR', 'GitHub /user has no id');
  const emails = (await get('/user/emails')) as Array<{ email?: unknown; primary?: unknown; verified?: unknown }>;
  const primary = Array.isArray(emails)
    ? emails.find((e) => e.primary === true && typeof e.email === 'string')
    : undefined;
  return {
    issuer,
    subject: String(user.id),
    email: (primary?.email as string | undefined) ?? null,
    emailVerified: primary?.verified === true,
    name: typeof user.name === 'string' ? user.name : typeof user.login === 'string' ? user.login : null,
  };
}

export function createProvider(config: OAuthProviderConfig, timeoutMs: number): Provider {
  const timeoutS = Math.max(1, Math.ceil(timeoutMs / 1000));
  const load = configurationSource(config, timeoutS);
  let ready: oidc.Configuration | undefined;
  let pending: Promise<oidc.Configuration> | undefined;
  let failedAt = 0;
  let lastError = '';

  const configuration = async (): Promise<oidc.Configuration> => {
    if (ready) return ready;
    if (!pending && Date.now() - failedAt < RETRY_MS)
      throw new AuthError('PROVIDER_ERROR', undefined, { provider: config.id });
    pending ??= load().then(
      (c) => {
        ready = c;
        pending = undefined;
        return c;
      },
      (e: unknown) => {
        failedAt = Date.now();
        lastError = e instanceof Error ? e.message : String(e);
        pending = undefined;
        throw new AuthError('PROVIDER_ERROR', undefined, { provider: config.id });
      },
    );
    return pending;
  };

  return {
    id: config.id,
    name: config.name,
    kind: config.kind,

    async warmUp() {
      try {
        await configuration();
        return undefined;
      } catch {
        return lastError || 'discovery failed';
      }
    },

    async authorizationUrl({ redirectUri, state, nonce, codeChallenge }) {
      const c = await configuration();
      return oidc.buildAuthorizationUrl(c, {
        redirect_uri: redirectUri,
        scope: config.scopes,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
        ...(config.kind === 'oidc' ? { nonce } : {}),
      });
    },

    async finish(callbackUrl, checks, redirectUri) {
      const c = await configuration().catch(() => {
        throw new OAuthFlowError('PROVIDER_ERROR', `discovery failed: ${lastError}`);
      });
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(
          c,
          callbackUrl,
          {
            pkceCodeVerifier: checks.codeVerifier,
            expectedState: checks.state,
            ...(config.kind === 'oidc' ? { expectedNonce: checks.nonce, idTokenExpected: true } : {}),
          },
          { redirect_uri: redirectUri },
        );
      } catch (e) {
        throw exchangeFailure(e);
      }
      if (config.kind === 'github') {
        try {
          return await githubProfile(config.issuer, tokens.access_token, timeoutMs);
        } catch (e) {
          throw exchangeFailure(e);
        }
      }
      const claims = tokens.claims();
      if (!claims) throw new OAuthFlowError('PROVIDER_ERROR', 'no ID token');
      let email = typeof claims.email === 'string' ? claims.email : undefined;
      let emailVerified = verified(claims.email_verified);
      let name = typeof claims.name === 'string' ? claims.name : null;
      // Many providers put the address in the UserInfo answer only.
      if (!email && c.serverMetadata().userinfo_endpoint) {
        try {
          const info = await oidc.fetchUserInfo(c, tokens.access_token, claims.sub);
          email = typeof info.email === 'string' ? info.email : undefined;
          emailVerified = verified(info.email_verified);
          name ??= typeof info.name === 'string' ? info.name : null;
        } catch (e) {
          throw exchangeFailure(e);
        }
      }
      return { issuer: claims.iss, subject: claims.sub, email: email ?? null, emailVerified, name };
    },
  };
}
