/**
 * The `latchkey` command line (API.md §6) on a fresh PostgreSQL database next
 * to a running server, run as a child process the way an operator runs it:
 * exit 0 with a useful line; non-zero with a one-line reason. (Usage:
 * cli.test.ts; the embedded database: cli-embedded.test.ts.)
 */
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { latchkey } from '../support/cli.js';
import {
  OTHER_PASSWORD,
  UUID,
  expireSome,
  failed,
  flushLine,
  flushedCorrectly,
  revoked,
  succeeded,
} from '../support/cliChecks.js';
import { postgres, postgresAvailable } from '../support/databases.js';
import {
  LOGIN,
  ME,
  REFRESH,
  TEST_PASSWORD,
  jwksKids,
  loginUser,
  registerUser,
  startTestServer,
  suiteServer,
  uniqueEmail,
} from '../support/server.js';

const pgAvailable = await postgresAvailable('command-line tests on PostgreSQL');

describe.runIf(pgAvailable)('on PostgreSQL, next to a running server', () => {
  const env: Record<string, string> = {};
  const t = suiteServer(postgres, {
    // The operator's order: migrate with the command, then start the server.
    prepare: async (url) => {
      env.DATABASE_URL = url;
      succeeded(await latchkey(['migrate'], { env }), /^applied \d+ migration/);
    },
  });

  it('user create: the password from --password or standard input; the user signs in with it', async () => {
    const [a, b] = [uniqueEmail('cli'), uniqueEmail('cli')];
    succeeded(
      await latchkey(['user', 'create', '--email', a, '--password', TEST_PASSWORD], { env }),
      new RegExp(`^created user ${UUID} <${a}>$`),
    );
    succeeded(
      await latchkey(['user', 'create', '--email', b], { env, input: `${OTHER_PASSWORD}\n` }),
      new RegExp(`^created user ${UUID} <${b}>$`),
    );
    expect((await loginUser(t, a)).token).toBeTruthy();
    expect((await loginUser(t, b, OTHER_PASSWORD)).token).toBeTruthy();
  });

  it('user create refuses a taken email, a bad one, a short password and no password, each in one line', async () => {
    const { email } = await registerUser(t.client());
    failed(
      await latchkey(['user', 'create', '--email', email.toUpperCase(), '--password', TEST_PASSWORD], { env }),
      1,
      /already exists/,
    );
    failed(
      await latchkey(['user', 'create', '--email', 'not-an-email', '--password', TEST_PASSWORD], { env }),
      1,
      /valid email/,
    );
    failed(
      await latchkey(['user', 'create', '--email', uniqueEmail(), '--password', 'short'], { env }),
      1,
      /at least 8 characters/,
    );
    failed(await latchkey(['user', 'create', '--email', uniqueEmail()], { env, input: '' }), 2, /no password given/);
  });

  it('sessions revoke signs a user out everywhere: the running server refuses the access tokens within 1 s', async () => {
    const alice = t.client();
    const { email } = await registerUser(alice);
    const phone = await loginUser(t, email);
    const bystander = t.client();
    await registerUser(bystander);
    succeeded(
      await latchkey(['sessions', 'revoke', '--email', email], { env }),
      new RegExp(`^revoked 2 session\\(s\\) of ${email}$`),
    );
    expect(await vi.waitUntil(revoked(alice), { timeout: 1000, interval: 50 })).toBe(true);
    expect(await vi.waitUntil(revoked(phone), { timeout: 1000, interval: 50 })).toBe(true);
    expect((await alice.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await bystander.gql(ME)).body.data.me).not.toBeNull();
    succeeded(await latchkey(['sessions', 'revoke', '--email', email], { env }), /^revoked 0 session\(s\)/);
    failed(await latchkey(['sessions', 'revoke', '--email', uniqueEmail('nobody')], { env }), 1, /No user with email/);
  });

  it('user deactivate ends every session and every sign-in', async () => {
    const bob = t.client();
    const { email } = await registerUser(bob);
    succeeded(
      await latchkey(['user', 'deactivate', '--email', email], { env }),
      new RegExp(`^deactivated ${email}; every session ended$`),
    );
    expect(await vi.waitUntil(revoked(bob), { timeout: 1000, interval: 50 })).toBe(true);
    expect((await bob.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
    failed(await latchkey(['user', 'deactivate', '--email', uniqueEmail('nobody')], { env }), 1, /No user with email/);
  });

  it('keys rotate --now: the JWKS lists both keys, and a token signed by the old key still verifies', async () => {
    const carol = t.client();
    await registerUser(carol);
    const oldKid = decodeProtectedHeader(carol.token!).kid;
    const r = await latchkey(['keys', 'rotate', '--now'], { env });
    succeeded(
      r,
      /^new signing key k-\S+ is active; new refresh key r-\S+ is active; 2 old key\(s\) keep verifying until their tokens expire$/,
    );
    const newKid = /signing key (\S+) is active/.exec(r.stdout)![1];
    const refreshKid = /refresh key (\S+) is active/.exec(r.stdout)![1];

    // A new instance (or this one after its reload) signs with the new key and publishes both.
    const other = await startTestServer({ db: env.DATABASE_URL });
    try {
      expect(await jwksKids(other.url)).toEqual([oldKid, newKid].sort());
      expect((await carol.gql(ME)).body.data.me).not.toBeNull();
      expect((await other.client().gql(ME, undefined, { token: carol.token })).body.data.me).not.toBeNull();
      const dave = other.client();
      await registerUser(dave);
      expect(decodeProtectedHeader(dave.token!).kid).toBe(newKid);
      // The instance that has not reloaded yet verifies the new key's tokens too.
      expect((await t.client().gql(ME, undefined, { token: dave.token })).body.data.me).not.toBeNull();
      // The refresh key rotated too: a session begun under the old one still refreshes, and gets the new key.
      expect(decodeProtectedHeader(dave.refreshToken()!).kid).toBe(refreshKid);
      const carolOnOther = other.client();
      carolOnOther.cookies.set('latchkey_refresh', carol.refreshToken()!);
      const refreshed = await carolOnOther.gql(REFRESH);
      expect(refreshed.body.errors).toBeUndefined();
      expect(decodeProtectedHeader(carolOnOther.refreshToken()!).kid).toBe(refreshKid);
    } finally {
      await other.close();
    }
  });

  it('migrate rewrites stored emails to their canonical form and lists, never merges, those that collide', async () => {
    const tag = `${process.pid}-${Date.now()}`;
    // Rows as an older version stored them: as typed, unique only under lower().
    const insert = async (email: string) =>
      (
        await t.sql<{ id: string }>('insert into users (email, created_at) values ($1, now()) returning id', [email])
      )[0];
    const kept = await insert(`victim.${tag}@gmail.com`);
    const twin = await insert(`Victim.${tag}@GMAIL.com`);
    const plain = await insert(`Bob.${tag}@Bücher.DE`);
    const r = await latchkey(['migrate'], { env });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^schema is already current; [1-9]\d* email\(s\) rewritten to their canonical form$/);
    expect(lines.filter((l) => l.includes(tag))).toEqual([
      `email conflict: user ${twin.id} <Victim.${tag}@GMAIL.com> is the same address as user ${kept.id} <victim.${tag}@gmail.com> (canonical victim.${tag}@gmail.com); left unconverted, resolve by hand`,
    ]);
    const stored = await t.sql<{ id: string; email: string }>('select id, email from users where id = any($1)', [
      [kept.id, twin.id, plain.id],
    ]);
    expect(Object.fromEntries(stored.map((u) => [u.id, u.email]))).toEqual({
      [kept.id]: `victim.${tag}@gmail.com`,
      [twin.id]: `Victim.${tag}@GMAIL.com`,
      [plain.id]: `bob.${tag}@xn--bcher-kva.de`,
    });
    // Run again: nothing more to rewrite, the conflict is still listed.
    const again = await latchkey(['migrate'], { env });
    expect(
      again.stdout
        .trim()
        .split('\n')
        .filter((l) => l.includes(tag)),
    ).toHaveLength(1);
  });

  it('tokens flush-expired prints what it deleted, and deletes exactly that', async () => {
    const { email } = await registerUser(t.client());
    const setup = await expireSome(t, email);
    succeeded(await latchkey(['tokens', 'flush-expired'], { env }), flushLine(setup.codes));
    await flushedCorrectly(t, setup);
    succeeded(
      await latchkey(['tokens', 'flush-expired'], { env }),
      /^deleted 0 expired refresh token\(s\) and 0 dead session\(s\); 0 expired/,
    );
  });

  // Last: from here on the keys are encrypted, and a process without the secret cannot start.
  it('encrypts the keys once LATCHKEY_KEY_SECRET is set, and then refuses a wrong secret or none in one line', async () => {
    const secret = { ...env, LATCHKEY_KEY_SECRET: 'the key-encryption secret of this test' };
    succeeded(await latchkey(['keys', 'rotate'], { env: secret }), /^new signing key/);
    const rows = await t.sql<{ private_jwk: string }>('select private_jwk from signing_keys');
    expect(rows.length).toBeGreaterThan(2);
    for (const row of rows) expect(row.private_jwk).toMatch(/^enc:v1:/);
    failed(
      await latchkey(['keys', 'rotate'], { env: { ...env, LATCHKEY_KEY_SECRET: 'some other secret, not that one' } }),
      1,
      /LATCHKEY_KEY_SECRET is not the secret they were encrypted with/,
    );
    failed(await latchkey(['keys', 'rotate'], { env }), 1, /signing keys are encrypted: set LATCHKEY_KEY_SECRET/);
    // The running server keeps signing and verifying with the keys it holds.
    const late = t.client();
    await registerUser(late);
    expect((await late.gql(ME)).body.data.me).not.toBeNull();
  });
});
