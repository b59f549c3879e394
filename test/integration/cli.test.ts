/**
 * The `latchkey` command line (API.md §6), run as a child process the way an
 * operator runs it, against a fresh PostgreSQL database next to a running
 * server, and against an embedded data directory (which a server and a
 * command cannot share: the directory is locked). Exit 0 with a useful line;
 * non-zero with a one-line reason. (`serve` and `migrate`: schema.test.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latchkey, type CliResult } from '../support/cli.js';
import { postgres, postgresAvailable } from '../support/databases.js';
import { waitUntil } from '../support/processes.js';
import {
  LOGIN,
  ME,
  REFRESH,
  TEST_PASSWORD,
  jwksKids,
  jwtPayload,
  loginUser,
  registerUser,
  startTestServer,
  suiteServer,
  uniqueEmail,
  type TestClient,
  type TestServer,
} from '../support/server.js';

const pgAvailable = await postgresAvailable('command-line tests on PostgreSQL');

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const OTHER_PASSWORD = 'typed on standard input, long';

/** Exit 0, one line on stdout matching `line`, nothing on stderr. */
function succeeded(r: CliResult, line: RegExp) {
  expect(r, r.stderr).toMatchObject({ status: 0, stderr: '' });
  expect(r.stdout).toMatch(/^[^\n]+\n$/);
  expect(r.stdout.trim()).toMatch(line);
}

/** Non-zero `status`, one `latchkey: …` line on stderr matching `reason`, nothing on stdout. */
function failed(r: CliResult, status: number, reason: RegExp) {
  expect(r.status, r.stdout + r.stderr).toBe(status);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^latchkey: [^\n]+\n$/);
  expect(r.stderr).toMatch(reason);
}

/** The same browser (token and cookies) talking to another server. */
function reconnect(t: TestServer, from: TestClient): TestClient {
  const client = t.client();
  client.token = from.token;
  for (const [name, value] of from.cookies) client.cookies.set(name, value);
  return client;
}

/** The line `tokens flush-expired` prints for what expireSome set up. */
const flushLine = (codes: number) =>
  new RegExp(`^deleted 1 expired refresh token\\(s\\) and 2 dead session\\(s\\); ${codes} expired one-time code\\(s\\)$`);

/** Whether the server refuses `client`'s access token: within 1 s of a revocation is the contract's own promise. */
const revoked = (client: TestClient) => async () => (await client.gql(ME)).code === 'TOKEN_REVOKED';

/**
 * Expire rows the way time would: one session's refresh token, one session's
 * absolute end, every one-time code. `flush-expired` must remove exactly these.
 */
async function expireSome(t: TestServer, email: string): Promise<{ expiredToken: string; pastEnd: string; kept: TestClient; codes: number }> {
  const [a, b, kept] = [await loginUser(t, email), await loginUser(t, email), await loginUser(t, email)];
  const expiredToken = jwtPayload(a.token!).sid;
  const pastEnd = jwtPayload(b.token!).sid;
  await t.client().gql(`mutation($email: String!) { requestOtp(email: $email) }`, { email });
  await t.sql(`update refresh_tokens set expires_at = now() - interval '1 day' where session_id = $1`, [expiredToken]);
  await t.sql(`update sessions set expires_at = now() - interval '1 hour' where id = $1`, [pastEnd]);
  const codes = (await t.sql(`update otp_codes set expires_at = now() - interval '1 hour' returning id`)).length;
  expect(codes).toBeGreaterThan(0);
  return { expiredToken, pastEnd, kept, codes };
}

async function flushedCorrectly(t: TestServer, { expiredToken, pastEnd, kept }: Awaited<ReturnType<typeof expireSome>>) {
  const left = await t.sql<{ id: string }>('select id from sessions where id = any($1::uuid[])', [[expiredToken, pastEnd, jwtPayload(kept.token!).sid]]);
  expect(left.map((r) => r.id)).toEqual([jwtPayload(kept.token!).sid]);
  expect(await t.sql('select 1 from otp_codes')).toEqual([]);
  expect((await kept.gql(REFRESH)).body.errors).toBeUndefined();
}

describe('usage', () => {
  it('lists every command for help, and refuses bad usage with exit 2 and one line', async () => {
    const help = await latchkey(['help']);
    expect(help.status).toBe(0);
    for (const command of ['serve', 'migrate', 'user create', 'user deactivate', 'sessions revoke', 'tokens flush-expired', 'keys rotate']) {
      expect(help.stdout).toContain(command);
    }
    failed(await latchkey(['frobnicate']), 2, /unknown command: frobnicate/);
    failed(await latchkey(['user', 'create']), 2, /--email is required/);
    failed(await latchkey(['sessions', 'revoke']), 2, /--email is required/);
    failed(await latchkey(['user', 'create', '--email', 'a@b.io', '--pasword', 'x']), 2, /Unknown option '--pasword'/);
    failed(await latchkey(['user', 'deactivate', '--email']), 2, /--email/);
    failed(await latchkey(['keys', 'rotate'], { env: { JWT_ALG: 'RS512' } }), 1, /JWT_ALG="RS512" is invalid/);
  });
});

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
    succeeded(await latchkey(['user', 'create', '--email', a, '--password', TEST_PASSWORD], { env }), new RegExp(`^created user ${UUID} <${a}>$`));
    succeeded(await latchkey(['user', 'create', '--email', b], { env, input: `${OTHER_PASSWORD}\n` }), new RegExp(`^created user ${UUID} <${b}>$`));
    expect((await loginUser(t, a)).token).toBeTruthy();
    expect((await loginUser(t, b, OTHER_PASSWORD)).token).toBeTruthy();
  });

  it('user create refuses a taken email, a bad one, a short password and no password, each in one line', async () => {
    const { email } = await registerUser(t.client());
    failed(await latchkey(['user', 'create', '--email', email.toUpperCase(), '--password', TEST_PASSWORD], { env }), 1, /already exists/);
    failed(await latchkey(['user', 'create', '--email', 'not-an-email', '--password', TEST_PASSWORD], { env }), 1, /valid email/);
    failed(await latchkey(['user', 'create', '--email', uniqueEmail(), '--password', 'short'], { env }), 1, /at least 8 characters/);
    failed(await latchkey(['user', 'create', '--email', uniqueEmail()], { env, input: '' }), 2, /no password given/);
  });

  it('sessions revoke signs a user out everywhere: the running server refuses the access tokens within 1 s', async () => {
    const alice = t.client();
    const { email } = await registerUser(alice);
    const phone = await loginUser(t, email);
    const bystander = t.client();
    await registerUser(bystander);
    succeeded(await latchkey(['sessions', 'revoke', '--email', email], { env }), new RegExp(`^revoked 2 session\\(s\\) of ${email}$`));
    expect(await waitUntil(revoked(alice), 'the server to refuse alice’s token', 1000)).toBe(true);
    expect(await waitUntil(revoked(phone), 'the server to refuse phone’s token', 1000)).toBe(true);
    expect((await alice.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await bystander.gql(ME)).body.data.me).not.toBeNull();
    succeeded(await latchkey(['sessions', 'revoke', '--email', email], { env }), /^revoked 0 session\(s\)/);
    failed(await latchkey(['sessions', 'revoke', '--email', uniqueEmail('nobody')], { env }), 1, /No user with email/);
  });

  it('user deactivate ends every session and every sign-in', async () => {
    const bob = t.client();
    const { email } = await registerUser(bob);
    succeeded(await latchkey(['user', 'deactivate', '--email', email], { env }), new RegExp(`^deactivated ${email}; every session ended$`));
    expect(await waitUntil(revoked(bob), 'the server to refuse bob’s token', 1000)).toBe(true);
    expect((await bob.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
    failed(await latchkey(['user', 'deactivate', '--email', uniqueEmail('nobody')], { env }), 1, /No user with email/);
  });

  it('keys rotate: the JWKS lists both keys, and a token signed by the old key still verifies', async () => {
    const carol = t.client();
    await registerUser(carol);
    const oldKid = decodeProtectedHeader(carol.token!).kid;
    const r = await latchkey(['keys', 'rotate'], { env });
    succeeded(r, /^new signing key k-\S+ is active; 1 old key\(s\) keep verifying until their tokens expire$/);
    const newKid = /signing key (\S+) is active/.exec(r.stdout)![1];

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
    } finally {
      await other.close();
    }
  });

  it('tokens flush-expired prints what it deleted, and deletes exactly that', async () => {
    const { email } = await registerUser(t.client());
    const setup = await expireSome(t, email);
    succeeded(await latchkey(['tokens', 'flush-expired'], { env }), flushLine(setup.codes));
    await flushedCorrectly(t, setup);
    succeeded(await latchkey(['tokens', 'flush-expired'], { env }), /^deleted 0 expired refresh token\(s\) and 0 dead session\(s\); 0 expired/);
  });

  // Last: from here on the keys are encrypted, and a process without the secret cannot start.
  it('encrypts the keys once LATCHKEY_KEY_SECRET is set, and then refuses a wrong secret or none in one line', async () => {
    const secret = { ...env, LATCHKEY_KEY_SECRET: 'the key-encryption secret of this test' };
    succeeded(await latchkey(['keys', 'rotate'], { env: secret }), /^new signing key/);
    const rows = await t.sql<{ private_jwk: string }>('select private_jwk from signing_keys');
    expect(rows.length).toBeGreaterThan(2);
    for (const row of rows) expect(row.private_jwk).toMatch(/^enc:v1:/);
    failed(await latchkey(['keys', 'rotate'], { env: { ...env, LATCHKEY_KEY_SECRET: 'some other secret, not that one' } }), 1, /LATCHKEY_KEY_SECRET is not the secret they were encrypted with/);
    failed(await latchkey(['keys', 'rotate'], { env }), 1, /signing keys are encrypted: set LATCHKEY_KEY_SECRET/);
    // The running server keeps signing and verifying with the keys it holds.
    const late = t.client();
    await registerUser(late);
    expect((await late.gql(ME)).body.data.me).not.toBeNull();
  });
});

describe('on the embedded database (a data directory)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-cli-'));
    env = { LATCHKEY_DATA_DIR: dir };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  /** A server on the directory (DATABASE_URL empty: the embedded database). */
  const serveDir = () => startTestServer({ db: '', env: { LATCHKEY_DATA_DIR: dir } });

  // Seven openings of an embedded database (five commands, two servers): slow on a busy machine.
  it('runs every command on it while no server holds it, and the restarted server honours what they did', { timeout: 90_000 }, async () => {
    const email = uniqueEmail('embedded');
    succeeded(await latchkey(['user', 'create', '--email', email], { env, input: `${OTHER_PASSWORD}\n` }), new RegExp(`^created user ${UUID}`));

    let t = await serveDir();
    const alice = await loginUser(t, email, OTHER_PASSWORD);
    const [bob, carol] = [t.client(), t.client()];
    const b = await registerUser(bob);
    await registerUser(carol);
    const setup = await expireSome(t, (await registerUser(t.client())).email);
    const oldKid = decodeProtectedHeader(carol.token!).kid;
    // Two processes on one embedded database would wedge both: the command refuses, the server carries on.
    failed(await latchkey(['sessions', 'revoke', '--email', email], { env }), 1, /embedded database in .* is in use by process \d+.*stop it first/);
    expect((await alice.gql(ME)).body.data.me.email).toBe(email);
    await t.close();

    // A lock left by a process that is gone (a crash) does not stand in the way.
    await writeFile(join(dir, 'latchkey.pid'), '999999999');
    succeeded(await latchkey(['sessions', 'revoke', '--email', email], { env }), /^revoked 1 session\(s\)/);
    succeeded(await latchkey(['user', 'deactivate', '--email', b.email], { env }), /^deactivated/);
    succeeded(await latchkey(['keys', 'rotate'], { env }), /^new signing key \S+ is active; 1 old key/);
    succeeded(await latchkey(['tokens', 'flush-expired'], { env }), flushLine(setup.codes));

    t = await serveDir();
    try {
      for (const client of [alice, bob]) expect((await reconnect(t, client).gql(ME)).code).toBe('TOKEN_REVOKED');
      expect((await reconnect(t, bob).gql(REFRESH)).code).toBe('TOKEN_REVOKED');
      const kids = await jwksKids(t.url);
      expect(kids).toHaveLength(2);
      expect(kids).toContain(oldKid);
      expect((await reconnect(t, carol).gql(ME)).body.data.me).not.toBeNull();
      await flushedCorrectly(t, { ...setup, kept: reconnect(t, setup.kept) });
    } finally {
      await t.close();
    }
  });
});
