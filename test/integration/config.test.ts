/**
 * Settings and the first start, as an operator meets them: every variable is
 * validated; a bad value stops `latchkey serve` with one line naming the
 * variable, the value (never a secret) and what was expected; the README's
 * table says what the server does; and on a fresh checkout `latchkey serve`
 * (what `npm start` runs after building) works with no database server,
 * Redis or mail server, keeping its data and signing key across a restart.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, settingDefaults } from '../../src/config.js';
import { ROOT, latchkey, serve } from '../support/cli.js';
import { ME, REFRESH, createClient, jwksKids, registerUser } from '../support/server.js';

/** The message loadConfig throws for `env`. */
function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('settings', () => {
  it('reads durations like 90s, 5m, 12h and 30d', () => {
    const config = loadConfig({
      ACCESS_TOKEN_TTL: '90s',
      REFRESH_TOKEN_TTL: '12h',
      REMEMBER_ME_TTL: '30d',
      OTP_TTL: '5m',
      REFRESH_REUSE_GRACE: '0s',
    });
    expect(config.accessTokenTtlMs).toBe(90_000);
    expect(config.refreshTokenTtlMs).toBe(12 * 3600_000);
    expect(config.rememberMeTtlMs).toBe(30 * 86_400_000);
    expect(config.otpTtlMs).toBe(300_000);
    expect(config.refreshReuseGraceMs).toBe(0);
  });

  it('accepts the enumerated values in any letter case', () => {
    expect(loadConfig({ COOKIE_SAMESITE: 'lax' }).cookieSameSite).toBe('Lax');
    expect(loadConfig({ JWT_ALG: 'es256' }).jwtAlg).toBe('ES256');
    expect(loadConfig({ LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
  });

  it('refuses every bad value with one line: the variable, the value and what was expected', () => {
    const bad: Record<string, string> = {
      PORT: '99999',
      DATABASE_URL: 'mysql://localhost/db',
      LATCHKEY_AUTO_MIGRATE: 'sometimes',
      ACCESS_TOKEN_TTL: 'soon',
      REFRESH_TOKEN_TTL: '-5m',
      REMEMBER_ME_TTL: '10',
      SESSION_ABSOLUTE_TTL: 'forever',
      REFRESH_REUSE_GRACE: 'ten seconds',
      JWT_ALG: 'none',
      JWT_LEEWAY: 'lots',
      COOKIE_SECURE: 'maybe',
      COOKIE_SAMESITE: 'Sometimes',
      OTP_TTL: '5 fortnights',
      OTP_MAX_ATTEMPTS: '0',
      MAIL_URL: 'pigeon://coop',
      TRUST_PROXY: 'perhaps',
      EXPOSE_REFRESH_TOKEN: 'y e s',
      GRAPHQL_MAX_DEPTH: '1000',
      RATE_LIMIT_LOGIN_ACCOUNT: 'ten per minute',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'localhost:6379',
      HOST: 'bad host',
      // Past what dates hold (a token's exp, a session's end) or what a timer waits.
      ACCESS_TOKEN_TTL_HUGE: '200000000d',
      HTTP_IDLE_TIMEOUT: '30d',
      KEY_ACTIVATION_DELAY: 'later',
      WEB_APP: 'sometimes',
    };
    for (const [key, value] of Object.entries(bad)) {
      const name = key.replace(/_HUGE$/, '');
      const message = configError({ [name]: value });
      expect(message.split('\n'), name).toHaveLength(1);
      expect(message.startsWith(`${name}=`), message).toBe(true);
      if (value) expect(message, name).toContain(JSON.stringify(value));
      expect(message, name).toMatch(/expected \S/);
    }
    expect(configError({ SESSION_ABSOLUTE_TTL: '3651d' })).toMatch(/at most 3650d/);
    expect(configError({ DATABASE_QUERY_TIMEOUT: '25d' })).toMatch(/at most 24d/);
    expect(loadConfig({ SESSION_ABSOLUTE_TTL: '3650d', HTTP_IDLE_TIMEOUT: '24d', HOST: '::' }).host).toBe('::');
    expect(configError({ JWT_ALG: 'HS256' })).toMatch(/^JWT_SECRET .*HS256/);
    expect(configError({ COOKIE_SAMESITE: 'None', COOKIE_SECURE: 'false' })).toMatch(
      /COOKIE_SAMESITE=None .*COOKIE_SECURE/,
    );
  });

  it('never prints a secret, nor the password inside a URL', () => {
    const cases: [Record<string, string>, string][] = [
      [{ LATCHKEY_KEY_SECRET: 'tooshort-s3cret' }, 'tooshort-s3cret'],
      [{ JWT_ALG: 'HS256', JWT_SECRET: 'short-jwt-s3cret' }, 'short-jwt-s3cret'],
      [{ REDIS_URL: 'http://default:redis-s3cret@cache:6379' }, 'redis-s3cret'],
      [{ MAIL_URL: 'smtpx://mailer:mail-s3cret@smtp.example.com:587' }, 'mail-s3cret'],
      [{ DATABASE_URL: 'mysql://app:db-s3cret@db/latchkey' }, 'db-s3cret'],
    ];
    for (const [env, secret] of cases) {
      const message = configError(env);
      expect(message).not.toContain(secret);
      expect(message).toMatch(/^[A-Z_]+[= ]/);
    }
    expect(configError({ REDIS_URL: 'http://default:redis-s3cret@cache:6379' })).toContain(
      'http://default:***@cache:6379',
    );
  });

  it("matches the README's settings table: every setting documented, every default true", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const docs = readme + (await readFile(join(ROOT, 'docs', 'abuse-controls.md'), 'utf8'));
    for (const name of Object.keys(settingDefaults)) expect(docs, name).toContain(name);

    const rows = readme.split('\n').filter((l) => /^\| `[A-Z_]+`/.test(l));
    expect(rows.length).toBeGreaterThan(20);
    // Each variable has one row: a second one would sooner or later say something else.
    const named = rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]));
    expect(named.filter((name, i) => named.indexOf(name) !== i)).toEqual([]);
    for (const row of rows) {
      const [names, defaults] = row
        .split('|')
        .slice(1, 3)
        .map((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]));
      names.forEach((name, i) => {
        expect(Object.keys(settingDefaults), name).toContain(name);
        const documented = row.split('|')[2].trim().startsWith('unset') ? undefined : defaults[i];
        expect(settingDefaults[name], `${name} default`).toBe(documented);
      });
    }
  });

  it("lists every top-level folder in the README's layout", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const layout = readme.slice(readme.indexOf('## Layout'));
    // What tools make (ignored by git) is not part of the layout.
    const made = new Set(['.git', 'node_modules', 'dist', '.latchkey', 'test-results', 'coverage']);
    const folders = (await readdir(ROOT, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !made.has(e.name))
      .map((e) => e.name);
    expect(folders.length).toBeGreaterThan(5);
    expect(folders.filter((name) => !layout.includes(`\n${name}/`))).toEqual([]);
  });
});

describe('latchkey serve', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-fresh-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops on a bad setting with one line on stderr and a non-zero status', async () => {
    const runs = await Promise.all([
      latchkey(['serve'], { env: { ACCESS_TOKEN_TTL: 'soon', DATABASE_URL: 'memory:' } }),
      latchkey(['serve'], { env: { REDIS_URL: 'http://default:redis-s3cret@cache:6379', DATABASE_URL: 'memory:' } }),
      latchkey(['serve'], { env: { LATCHKEY_KEY_SECRET: 'short-s3cret', DATABASE_URL: 'memory:' } }),
    ]);
    for (const run of runs) {
      expect(run.status).not.toBe(0);
      expect(run.status).not.toBeNull();
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toContain('s3cret');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(runs[0].stderr).toMatch(/ACCESS_TOKEN_TTL="soon".*expected a duration like 90s, 5m, 12h or 30d/);
    // A well-formed HOST that is no address of this machine: found only when listening, and said so.
    const nowhere = await latchkey(['serve'], { env: { HOST: 'nowhere.invalid', PORT: '0', DATABASE_URL: 'memory:' } });
    expect(nowhere.status).not.toBe(0);
    expect(nowhere.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^latchkey: HOST=nowhere\.invalid .*expected/),
    ]);
    expect(runs[1].stderr).toMatch(/REDIS_URL=.*expected a redis:\/\/ URL/);
    expect(runs[2].stderr).toMatch(/LATCHKEY_KEY_SECRET=\(hidden\).*expected at least 16 characters/);
  });

  // Two cold starts of the built server on an on-disk PGlite: ~15 s alone, over 30 s when the machine is busy.
  it('starts on a fresh checkout with nothing else running, in ./.latchkey, and keeps its key across a restart', {
    timeout: 90_000,
  }, async () => {
    // As `npm start` does: no settings at all, embedded database in the working directory.
    const first = await serve({ cwd: dir });
    let token: string;
    let kid: string;
    const alice = createClient(first.url);
    try {
      const { email } = await registerUser(alice);
      token = alice.token!;
      [kid] = await jwksKids(first.url);
      expect((await alice.gql(ME)).body.data.me.email).toBe(email);
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect((await stat(join(dir, '.latchkey'))).isDirectory()).toBe(true);

    const second = await serve({ cwd: dir });
    try {
      expect(await jwksKids(second.url)).toEqual([kid]);
      const again = createClient(second.url);
      for (const [k, v] of alice.cookies) again.cookies.set(k, v);
      // The access token signed before the restart still verifies, and the refresh cookie still rotates.
      const me = await again.gql(ME, undefined, { token });
      expect(me.body.errors).toBeUndefined();
      expect(me.body.data.me.id).toBeTruthy();
      expect((await again.gql(REFRESH)).body.errors).toBeUndefined();
      expect(second.output()).not.toMatch(/migrat\w+ failed|error/i);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
