/**
 * External sign-in providers (API.md §7, §9.1; docs/oauth.md): `OAUTH_PROVIDERS` names them,
 * `OAUTH_<ID>_*` configures each. The names are not fixed, so they are read here from the
 * whole environment rather than from the table in src/config.ts; a bad one stops the start
 * with one line, like every other setting.
 *
 * @example
 *   oauthConfig({ OAUTH_PROVIDERS: 'google', OAUTH_GOOGLE_CLIENT_ID: 'x', OAUTH_GOOGLE_CLIENT_SECRET: 'y' }, fail)
 *   // → [{ id: 'google', kind: 'oidc', issuer: 'https://accounts.google.com', name: 'Google', … }]
 */

export interface OAuthProviderConfig {
  /** The id in OAUTH_PROVIDERS: the callback path segment and `Identity.provider`. */
  id: string;
  /** `oidc`: OpenID Connect by discovery; `github`: GitHub's plain OAuth 2.0 and REST API. */
  kind: 'oidc' | 'github';
  name: string;
  clientId: string;
  clientSecret: string;
  /** OIDC: the discovery base. GitHub: the web origin (`https://github.com`, or a GitHub Enterprise host). */
  issuer: string;
  scopes: string;
}

interface Preset {
  name: string;
  kind: 'oidc' | 'github';
  issuer: string;
  scopes: string;
}

const PRESETS: Record<string, Preset> = {
  google: { name: 'Google', kind: 'oidc', issuer: 'https://accounts.google.com', scopes: 'openid email profile' },
  microsoft: {
    name: 'Microsoft',
    kind: 'oidc',
    issuer: 'https://login.microsoftonline.com/common/v2.0',
    scopes: 'openid email profile',
  },
  gitlab: { name: 'GitLab', kind: 'oidc', issuer: 'https://gitlab.com', scopes: 'openid email profile' },
  github: { name: 'GitHub', kind: 'github', issuer: 'https://github.com', scopes: 'read:user user:email' },
};

const OPTIONS = ['CLIENT_ID', 'CLIENT_SECRET', 'ISSUER', 'NAME', 'SCOPES'] as const;
const ID = /^[a-z][a-z0-9-]{0,31}$/;
const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/i;

/** https, or http on a loopback host (a provider in a test or on this machine); no query or fragment. */
function issuerUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname));
    if (!secure || url.search || url.hash || url.username) return undefined;
    return value.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** `OAUTH_` + the id in capitals, dashes as underscores: `acme-sso` → `OAUTH_ACME_SSO_`. */
export const providerPrefix = (id: string) => `OAUTH_${id.toUpperCase().replace(/-/g, '_')}_`;

/** The configured providers (none when OAUTH_PROVIDERS is unset); `fail` is called with the one line a bad setting gets. */
export function oauthConfig(
  env: Record<string, string | undefined>,
  fail: (line: string) => never,
): OAuthProviderConfig[] {
  const list = env.OAUTH_PROVIDERS?.trim();
  if (!list) return [];
  const ids = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const seen = new Set<string>();
  const providers: OAuthProviderConfig[] = [];
  for (const id of ids) {
    if (!ID.test(id))
      fail(
        `OAUTH_PROVIDERS=${JSON.stringify(list)} is invalid: expected a comma list of ids like google,github,acme (lower-case letters, digits, dashes; not ${JSON.stringify(id)})`,
      );
    if (seen.has(id)) fail(`OAUTH_PROVIDERS=${JSON.stringify(list)} is invalid: ${id} is listed twice`);
    seen.add(id);
    const prefix = providerPrefix(id);
    for (const name of Object.keys(env)) {
      if (!name.startsWith(prefix) || env[name] === '') continue;
      const option = name.slice(prefix.length);
      if (!(OPTIONS as readonly string[]).includes(option))
        fail(`${name} is not a setting: expected one of ${OPTIONS.map((o) => prefix + o).join(', ')}`);
    }
    const get = (option: (typeof OPTIONS)[number]) => env[prefix + option]?.trim() || undefined;
    const preset = PRESETS[id];
    const clientId = get('CLIENT_ID');
    const clientSecret = get('CLIENT_SECRET');
    if (!clientId) fail(`${prefix}CLIENT_ID is required for provider ${id} (OAUTH_PROVIDERS)`);
    if (!clientSecret) fail(`${prefix}CLIENT_SECRET is required for provider ${id} (OAUTH_PROVIDERS)`);
    const rawIssuer = get('ISSUER') ?? preset?.issuer;
    if (!rawIssuer)
      fail(`${prefix}ISSUER is required for provider ${id}: expected its OpenID Connect issuer URL (https://…)`);
    const issuer = issuerUrl(rawIssuer);
    if (!issuer)
      fail(
        `${prefix}ISSUER=${JSON.stringify(rawIssuer)} is invalid: expected an https URL (http only on localhost) without query`,
      );
    const name = get('NAME') ?? preset?.name ?? id;
    if (name.length > 64) fail(`${prefix}NAME is invalid: expected at most 64 characters`);
    providers.push({
      id,
      kind: preset?.kind ?? 'oidc',
      name,
      clientId,
      clientSecret,
      issuer,
      scopes: get('SCOPES') ?? preset?.scopes ?? 'openid email profile',
    });
  }
  return providers;
}
