/** OAUTH_* settings (API.md §7): presets, generic OpenID Connect, and one clear line for a bad one. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { DATABASE_URL: 'memory:' };
const problem = (env: Record<string, string>) => {
  try {
    loadConfig({ ...base, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return undefined;
};

describe('OAUTH_* settings', () => {
  it('has no provider by default, and presets fill in the issuer, the name and the scopes', () => {
    expect(loadConfig(base).oauthProviders).toEqual([]);
    const config = loadConfig({
      ...base,
      OAUTH_PROVIDERS: 'google, github,acme',
      OAUTH_GOOGLE_CLIENT_ID: 'g',
      OAUTH_GOOGLE_CLIENT_SECRET: 'gs',
      OAUTH_GITHUB_CLIENT_ID: 'h',
      OAUTH_GITHUB_CLIENT_SECRET: 'hs',
      OAUTH_ACME_CLIENT_ID: 'a',
      OAUTH_ACME_CLIENT_SECRET: 'as',
      OAUTH_ACME_ISSUER: 'https://id.acme.example/',
      OAUTH_ACME_NAME: 'Acme',
    });
    expect(
      config.oauthProviders.map(({ id, kind, name, issuer, scopes }) => ({ id, kind, name, issuer, scopes })),
    ).toEqual([
      {
        id: 'google',
        kind: 'oidc',
        name: 'Google',
        issuer: 'https://accounts.google.com',
        scopes: 'openid email profile',
      },
      { id: 'github', kind: 'github', name: 'GitHub', issuer: 'https://github.com', scopes: 'read:user user:email' },
      { id: 'acme', kind: 'oidc', name: 'Acme', issuer: 'https://id.acme.example', scopes: 'openid email profile' },
    ]);
  });

  it('stops the start with one line naming the bad setting, and never prints the secret', () => {
    expect(problem({ OAUTH_PROVIDERS: 'google', OAUTH_GOOGLE_CLIENT_ID: 'g' })).toBe(
      'OAUTH_GOOGLE_CLIENT_SECRET is required for provider google (OAUTH_PROVIDERS)',
    );
    expect(problem({ OAUTH_PROVIDERS: 'acme', OAUTH_ACME_CLIENT_ID: 'a', OAUTH_ACME_CLIENT_SECRET: 's3cret' })).toMatch(
      /^OAUTH_ACME_ISSUER is required for provider acme/,
    );
    const notUrl = problem({
      OAUTH_PROVIDERS: 'acme',
      OAUTH_ACME_CLIENT_ID: 'a',
      OAUTH_ACME_CLIENT_SECRET: 's3cret',
      OAUTH_ACME_ISSUER: 'id.acme.example',
    });
    expect(notUrl).toMatch(/^OAUTH_ACME_ISSUER="id.acme.example" is invalid: expected an https URL/);
    expect(notUrl).not.toContain('s3cret');
    expect(
      problem({
        OAUTH_PROVIDERS: 'google',
        OAUTH_GOOGLE_CLIENT_ID: 'g',
        OAUTH_GOOGLE_CLIENT_SECRET: 's3cret',
        OAUTH_GOOGLE_TENANT: 'x',
      }),
    ).toMatch(/^OAUTH_GOOGLE_TENANT is not a setting: expected one of OAUTH_GOOGLE_CLIENT_ID, /);
    expect(problem({ OAUTH_PROVIDERS: 'Google!' })).toMatch(/^OAUTH_PROVIDERS="Google!" is invalid/);
    // Plain http only for a provider on this machine.
    expect(
      problem({
        OAUTH_PROVIDERS: 'acme',
        OAUTH_ACME_CLIENT_ID: 'a',
        OAUTH_ACME_CLIENT_SECRET: 's',
        OAUTH_ACME_ISSUER: 'http://id.acme.example',
      }),
    ).toMatch(/is invalid/);
  });
});
