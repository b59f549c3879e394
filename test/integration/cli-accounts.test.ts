/**
 * The command line of API.md §10.2 on PostgreSQL next to a running server, run as a child
 * process the way an operator runs it: `user list`, `user role add|remove`, `user unlock`,
 * `user reactivate`. (Needs `npm run build`.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { latchkey } from '../support/cli.js';
import { UUID, failed, succeeded } from '../support/cliChecks.js';
import { postgres, postgresAvailable } from '../support/databases.js';
import { FACTOR_ENV, FINISH_PASSKEY_SIGN_IN, START_PASSKEY_SIGN_IN, enrolPasskey } from '../support/factors.js';
import { REDIS_URL, dropRedisPrefix, redisAvailable, uniqueRedisPrefix } from '../support/redis.js';
import { LOGIN, REFRESH, TEST_PASSWORD, jwtPayload, loginUser, registerUser, suiteServer } from '../support/server.js';

const pgAvailable = await postgresAvailable('account command-line tests on PostgreSQL');
const redis = await redisAvailable();
/** Server and commands share Redis (when there is one) under a prefix of their own. */
const redisEnv: Record<string, string> = redis ? { REDIS_URL, REDIS_KEY_PREFIX: uniqueRedisPrefix() } : {};

describe.runIf(pgAvailable)('user list, role, unlock and reactivate on PostgreSQL', () => {
  const env: Record<string, string> = { ...redisEnv };
  afterAll(async () => {
    if (redis) await dropRedisPrefix(redisEnv.REDIS_KEY_PREFIX);
  });
  const t = suiteServer(postgres, {
    env: { ...FACTOR_ENV, ...redisEnv },
    prepare: async (url) => {
      env.DATABASE_URL = url;
      succeeded(await latchkey(['migrate'], { env }), /^applied \d+ migration/);
    },
  });

  it('user role add grants admin: the next refresh carries it and the admin API answers; remove takes it away', async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client);
    succeeded(
      await latchkey(['user', 'role', 'add', '--email', email, 'admin'], { env }),
      new RegExp(`^granted admin to ${email}; tokens carry it from the next refresh$`),
    );
    succeeded(
      await latchkey(['user', 'role', 'add', '--email', email, 'admin'], { env }),
      /^nothing to do:.*already has admin/,
    );
    const refreshed = (await client.gql(REFRESH)).body.data.refreshToken.accessToken;
    expect(jwtPayload(refreshed).roles).toEqual(['admin']);
    client.token = refreshed;
    expect((await client.gql(`{ users(first: 1) { edges { cursor } } }`)).body.data.users.edges).toHaveLength(1);
    const [event] = await t.sql(
      `select actor_id, detail from audit_events where user_id = $1 and type = 'roles_changed'`,
      [userId],
    );
    expect(event).toEqual({ actor_id: null, detail: { added: ['admin'], removed: [] } });

    succeeded(await latchkey(['user', 'role', 'remove', '--email', email, 'admin'], { env }), /^took admin from/);
    expect((await client.gql(`{ users(first: 1) { edges { cursor } } }`)).code).toBe('FORBIDDEN');
    expect(jwtPayload((await client.gql(REFRESH)).body.data.refreshToken.accessToken)).not.toHaveProperty('roles');
  });

  it('user list prints every user (or the matches of --search), newest first, one line each', async () => {
    const { email: a } = await registerUser(t.client(), { displayName: 'Listed Person' });
    const { email: b } = await registerUser(t.client());
    const all = await latchkey(['user', 'list'], { env });
    expect(all).toMatchObject({ status: 0, stderr: '' });
    expect(all.stdout).toMatch(new RegExp(`^${UUID}  ${b}  active$`, 'm'));
    const lines = all.stdout.trim().split('\n');
    expect(lines.findIndex((l) => l.includes(b))).toBeLessThan(lines.findIndex((l) => l.includes(a)));
    const found = await latchkey(['user', 'list', '--search', 'LISTED PERS'], { env });
    succeeded(found, new RegExp(`^${UUID}  ${a} \\(Listed Person\\)  active$`));
    succeeded(await latchkey(['user', 'list', '--search', 'nobody-has-this'], { env }), /^no users$/);
  });

  it('user unlock clears a lockout kept in Redis, which every instance shares, a passkey lockout included', async () => {
    if (!redis) return void expect(redisEnv).toEqual({});
    const client = t.client();
    const { email } = await registerUser(client);
    const { key } = await enrolPasskey(client);
    const passkeySignIn = async () => {
      const options = (await t.client().gql(START_PASSKEY_SIGN_IN, { email })).body.data.startPasskeySignIn;
      return t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: key.assert(options) });
    };
    for (let i = 0; i < t.config.rateLimits.loginAccount.points; i++)
      await t.client().gql(LOGIN, { email, password: `wrong ${i}` });
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('RATE_LIMITED');
    // A passkey alone counts its failures by credential: a second lockout, also in Redis.
    key.state.userVerified = false;
    for (let i = 0; i < t.config.rateLimits.loginAccount.points; i++) await passkeySignIn();
    key.state.userVerified = true;
    expect((await passkeySignIn()).code).toBe('RATE_LIMITED');
    succeeded(
      await latchkey(['user', 'unlock', '--email', email], { env }),
      new RegExp(`^unlocked ${email}.*every instance$`),
    );
    // The password is taken again (with a passkey enrolled it asks for the second step), and so is the passkey.
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('SECOND_FACTOR_REQUIRED');
    expect((await passkeySignIn()).body.data?.finishPasskeySignIn.user.email).toBe(email);
  });

  it('user reactivate lets a deactivated user sign in again', async () => {
    const { email } = await registerUser(t.client());
    succeeded(await latchkey(['user', 'deactivate', '--email', email], { env }), /^deactivated/);
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
    succeeded(await latchkey(['user', 'reactivate', '--email', email], { env }), new RegExp(`^reactivated ${email}`));
    expect((await loginUser(t, email)).token).toBeTruthy();
  });

  it('refuses bad usage with exit 2 and an unknown email with exit 1, each in one line', async () => {
    const [noRole, badAction, noEmail, unknown, badRole] = await Promise.all([
      latchkey(['user', 'role', 'add', '--email', 'a@b.io'], { env }),
      latchkey(['user', 'role', 'grant', '--email', 'a@b.io', 'admin'], { env }),
      latchkey(['user', 'unlock'], { env }),
      latchkey(['user', 'reactivate', '--email', 'nobody@example.test'], { env }),
      latchkey(['user', 'role', 'add', '--email', 'nobody@example.test', 'Bad Role'], { env }),
    ]);
    failed(noRole, 2, /usage: latchkey user role add\|remove --email E ROLE/);
    failed(badAction, 2, /usage: latchkey user role/);
    failed(noEmail, 2, /--email is required/);
    failed(unknown, 1, /No user with email nobody@example.test/);
    failed(badRole, 1, /No user with email|Role "Bad Role"/);
  });
});
