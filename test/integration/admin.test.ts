/**
 * Administration (API.md §10.2) over GraphQL/HTTP on PGlite and PostgreSQL: FORBIDDEN for
 * every admin field, the user list (Relay cursors, case-insensitive search), one user with
 * sessions and security, roles, deactivation, unlocking, ending sessions, and the audit trail
 * naming the admin. The search's query plan at scale is shown on PostgreSQL.
 */
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  AUDIT,
  DEACTIVATE,
  REACTIVATE,
  REVOKE_ALL,
  REVOKE_ONE,
  SET_ROLES,
  UNLOCK,
  USER,
  USERS,
  signedInAdmin,
} from '../support/accounts.js';
import { databaseTargets, postgres, postgresAvailable } from '../support/databases.js';
import { FACTOR_ENV, FINISH_PASSKEY_SIGN_IN, START_PASSKEY_SIGN_IN, enrolPasskey } from '../support/factors.js';
import {
  type GqlResponse,
  LOGIN,
  ME,
  TEST_PASSWORD,
  loginUser,
  registerUser,
  suiteServer,
  uniqueEmail,
} from '../support/server.js';
import { WEBHOOK_TEST_SECRET } from '../support/webhookReceiver.js';

const targets = await databaseTargets();
const pgAvailable = await postgresAvailable('the admin search plan on PostgreSQL');
const ZERO = '00000000-0000-4000-8000-000000000000';

/** Every admin field, with arguments that would be valid for an admin. */
const ADMIN_FIELDS: [string, string, Record<string, unknown>][] = [
  ['users', `{ users { edges { cursor } } }`, {}],
  ['user', `query($id: ID!) { user(id: $id) { id } }`, { id: ZERO }],
  ['auditEvents', `{ auditEvents { edges { cursor } } }`, {}],
  ['setUserRoles', `mutation($id: ID!) { setUserRoles(id: $id, roles: ["admin"]) { id } }`, { id: ZERO }],
  ['deactivateUser', `mutation($id: ID!) { deactivateUser(id: $id) { id } }`, { id: ZERO }],
  ['reactivateUser', `mutation($id: ID!) { reactivateUser(id: $id) { id } }`, { id: ZERO }],
  ['unlockUser', `mutation($id: ID!) { unlockUser(id: $id) }`, { id: ZERO }],
  ['revokeUserSessions', `mutation($id: ID!) { revokeUserSessions(id: $id) }`, { id: ZERO }],
  ['revokeUserSession', `mutation($id: ID!) { revokeUserSession(sessionId: $id) }`, { id: ZERO }],
];

const REGISTER_NAMED = `mutation($e: String!, $p: String!, $u: String, $d: String) {
  register(email: $e, password: $p, username: $u, displayName: $d) { accessToken user { id } } }`;

describe.each(targets)('administration on $name', (target) => {
  // Webhook events stay in the outbox (nothing listens on port 9): the tests read what each change wrote.
  const t = suiteServer(target, {
    env: { ...FACTOR_ENV, WEBHOOK_URLS: 'http://127.0.0.1:9/hooks', WEBHOOK_SECRET: WEBHOOK_TEST_SECRET },
  });

  it('answers FORBIDDEN to a signed-in non-admin for every admin field, and UNAUTHENTICATED without a token', async () => {
    const client = t.client();
    const { userId } = await registerUser(client);
    for (const [field, query, variables] of ADMIN_FIELDS) {
      const res = await client.gql(query, { ...variables, id: variables.id && userId });
      expect(res.code, field).toBe('FORBIDDEN');
      expect(res.body.errors?.[0].message, field).not.toMatch(/at |\.ts:/);
      expect((await t.client().gql(query, variables)).code, field).toBe('UNAUTHENTICATED');
    }
    // Their own private fields they may read.
    const own = await client.gql(`{ me { roles isActive sessions { current } security { passwordSet } } }`);
    expect(own.body.data.me).toEqual({
      roles: [],
      isActive: true,
      sessions: [{ current: true }],
      security: { passwordSet: true },
    });
    // Nothing changed for the user they named.
    expect((await t.sql('select is_active from users where id = $1', [userId]))[0].is_active).toBe(true);
  });

  it('loses admin at once when the role is taken away, whatever the token still says', async () => {
    const admin = await signedInAdmin(t);
    expect((await admin.client.gql(USERS, { f: 1 })).body.data.users.edges).toHaveLength(1);
    await t.sql(`delete from user_roles where user_id = $1`, [admin.userId]);
    expect((await admin.client.gql(USERS, { f: 1 })).code).toBe('FORBIDDEN');
  });

  it('lists users newest first in pages with Relay cursors, and searches email, username and display name case-insensitively', async () => {
    const { client } = await signedInAdmin(t);
    const tag = `zq${Date.now().toString(36)}`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.client().gql(REGISTER_NAMED, {
        e: uniqueEmail(i === 0 ? tag : 'plain'),
        p: TEST_PASSWORD,
        u: i === 1 ? `${tag.toUpperCase()}_${i}` : null,
        d: i >= 2 ? `Ms ${tag.toUpperCase()} ${i}` : null,
      });
      made.push(res.body.data.register.user.id);
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const res: GqlResponse = await client.gql(USERS, { s: tag.toUpperCase(), f: 2, a: after });
      const { edges, pageInfo } = res.body.data.users;
      seen.push(...edges.map((e: { node: { id: string } }) => e.node.id));
      expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual([...made].reverse());
    // A pattern character is taken literally; nothing matches it.
    expect((await client.gql(USERS, { s: '%' })).body.data.users.edges).toEqual([]);
    expect((await client.gql(USERS, { f: 0 })).code).toBe('BAD_USER_INPUT');
    expect((await client.gql(USERS, { f: 101 })).code).toBe('BAD_USER_INPUT');
    expect((await client.gql(USERS, { a: 'not-a-cursor' })).code).toBe('BAD_USER_INPUT');
    const all = (await client.gql(USERS, { f: 100 })).body.data.users.edges;
    expect(all.length).toBeGreaterThanOrEqual(6);
  });

  it('shows one user with their sessions and security; ends one session, then all, each refused at once', async () => {
    const admin = await signedInAdmin(t);
    const { email, userId } = await registerUser(t.client());
    const laptop = await loginUser(t, email, TEST_PASSWORD, { headers: { 'user-agent': 'Laptop/1' } });
    const phone = await loginUser(t, email, TEST_PASSWORD, { headers: { 'user-agent': 'Phone/1' } });
    const shown = (await admin.client.gql(USER, { id: userId })).body.data.user;
    expect(shown).toMatchObject({ id: userId, email, roles: [], isActive: true });
    expect(shown.security).toEqual({ passwordSet: true, totpEnabled: false, recoveryCodesLeft: 0, passkeys: [] });
    expect(shown.sessions).toHaveLength(3);
    expect(shown.sessions.every((s: { current: boolean }) => !s.current)).toBe(true);
    expect((await admin.client.gql(USER, { id: ZERO })).body.data.user).toBeNull();

    const phoneSession = shown.sessions.find((s: { userAgent: string }) => s.userAgent === 'Phone/1').id;
    expect((await admin.client.gql(REVOKE_ONE, { s: phoneSession })).body.data.revokeUserSession).toBe(true);
    expect((await admin.client.gql(REVOKE_ONE, { s: phoneSession })).body.data.revokeUserSession).toBe(false);
    expect((await phone.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await laptop.gql(ME)).body.data.me.email).toBe(email);

    expect((await admin.client.gql(REVOKE_ALL, { id: userId })).body.data.revokeUserSessions).toBe(2);
    expect((await laptop.gql(ME)).code).toBe('TOKEN_REVOKED');

    const events = (await admin.client.gql(AUDIT, { u: userId, t: 'session_revoked' })).body.data.auditEvents.edges;
    expect(events.map((e: { node: { actorId: string } }) => e.node.actorId)).toEqual([admin.userId, admin.userId]);
  });

  it('sets roles, deactivates (every session ends, no sign-in) and reactivates; each writes an event naming the admin', async () => {
    const admin = await signedInAdmin(t);
    const { email, userId } = await registerUser(t.client());
    const device = await loginUser(t, email);

    const roles = await admin.client.gql(SET_ROLES, { id: userId, r: ['support', 'billing', 'support'] });
    expect(roles.body.data.setUserRoles).toEqual({ id: userId, roles: ['billing', 'support'] });
    expect((await admin.client.gql(SET_ROLES, { id: userId, r: ['Not A Role'] })).code).toBe('BAD_USER_INPUT');
    expect((await admin.client.gql(SET_ROLES, { id: admin.userId, r: [] })).code).toBe('BAD_USER_INPUT');
    expect((await admin.client.gql(SET_ROLES, { id: ZERO, r: [] })).code).toBe('BAD_USER_INPUT');

    expect((await admin.client.gql(DEACTIVATE, { id: userId })).body.data.deactivateUser).toEqual({
      id: userId,
      isActive: false,
    });
    expect((await device.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
    const told = await t.sql(
      `select event from webhook_outbox where payload->'data'->>'userId' = $1 and event in ('user.deactivated', 'session.revoked')`,
      [userId],
    );
    expect(told.map((r) => r.event).sort()).toEqual(['session.revoked', 'session.revoked', 'user.deactivated']);
    expect((await admin.client.gql(REACTIVATE, { id: userId })).body.data.reactivateUser.isActive).toBe(true);
    expect((await loginUser(t, email)).token).toBeTruthy();

    const page = (await admin.client.gql(AUDIT, { u: userId, f: 50 })).body.data.auditEvents;
    const byAdmin = page.edges
      .map((e: { node: { type: string; actorId: string | null } }) => e.node)
      .filter((n: { actorId: string | null }) => n.actorId === admin.userId)
      .map((n: { type: string }) => n.type);
    expect(byAdmin).toEqual(['user_reactivated', 'user_deactivated', 'session_revoked', 'roles_changed']);
    const changed = page.edges.find((e: { node: { type: string } }) => e.node.type === 'roles_changed').node;
    expect(changed.detail).toEqual({ added: ['billing', 'support'], removed: [] });
    // Pages of the audit log follow on without repeats.
    const first = (await admin.client.gql(AUDIT, { u: userId, f: 2 })).body.data.auditEvents;
    const next = (await admin.client.gql(AUDIT, { u: userId, f: 2, a: first.pageInfo.endCursor })).body.data
      .auditEvents;
    expect([...first.edges, ...next.edges].map((e: { node: { id: string } }) => e.node.id)).toEqual(
      page.edges.slice(0, 4).map((e: { node: { id: string } }) => e.node.id),
    );
  });

  it('unlocks an account locked by failed sign-ins', async () => {
    const admin = await signedInAdmin(t);
    const { email, userId } = await registerUser(t.client());
    for (let i = 0; i < t.config.rateLimits.loginAccount.points; i++)
      await t.client().gql(LOGIN, { email, password: `wrong ${i}` });
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('RATE_LIMITED');
    expect((await admin.client.gql(UNLOCK, { id: userId })).body.data.unlockUser).toBe(true);
    expect((await loginUser(t, email)).token).toBeTruthy();
    const [event] = (await admin.client.gql(AUDIT, { u: userId, t: 'user_unlocked' })).body.data.auditEvents.edges;
    expect(event.node.actorId).toBe(admin.userId);
  });

  it('unlocks a passkey locked by failed passkey sign-ins (counted by credential, not by email)', async () => {
    const admin = await signedInAdmin(t);
    const client = t.client();
    const { email, userId } = await registerUser(client);
    const { key } = await enrolPasskey(client);
    const signIn = async () => {
      const options = (await t.client().gql(START_PASSKEY_SIGN_IN, { email })).body.data.startPasskeySignIn;
      return t.client().gql(FINISH_PASSKEY_SIGN_IN, { r: key.assert(options) });
    };
    // Without user verification a passkey alone is refused: each refusal counts against the credential.
    key.state.userVerified = false;
    for (let i = 0; i < t.config.rateLimits.loginAccount.points; i++)
      expect((await signIn()).code).toBe('PASSKEY_INVALID');
    key.state.userVerified = true;
    expect((await signIn()).code).toBe('RATE_LIMITED');
    expect((await admin.client.gql(UNLOCK, { id: userId })).body.data.unlockUser).toBe(true);
    const res = await signIn();
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.finishPasskeySignIn.user).toEqual({ id: userId, email });
  });
});

describe.runIf(pgAvailable)('the admin search at scale on PostgreSQL', () => {
  const t = suiteServer(postgres);

  it('finds users by a part of the email, username or display name through the trigram indexes, not a scan', async () => {
    // 50 000 users and profiles, written by the database itself (on a connection of its own: the
    // server's has a statement timeout); then fresh statistics.
    const db = new pg.Client({ connectionString: t.config.databaseUrl });
    await db.connect();
    const sql = async (text: string) => (await db.query(text)).rows;
    onTestFinished(() => db.end());
    await sql(`insert into users (email, username, created_at)
      select 'person' || i || '@example.test', case when i % 3 = 0 then 'nick' || i end, now() - i * interval '1 second'
      from generate_series(1, 50000) i`);
    await sql(
      `insert into profiles (user_id, display_name) select id, 'Name ' || username from users where username is not null`,
    );
    await sql('analyze users');
    await sql('analyze profiles');
    // The statement the repository runs (src/store/repositories/admin.ts) for `users(search: "son1234")`.
    const plan = (
      await sql(`explain select users.id from users left join profiles on profiles.user_id = users.id
        where users.id in (select id from users where email ilike '%son1234%' or username ilike '%son1234%'
                           union select user_id from profiles where display_name ilike '%son1234%')
        order by users.created_at desc, users.id desc limit 51`)
    )
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expect(plan).toMatch(/Bitmap Index Scan on users_email_trgm_idx/);
    expect(plan).toMatch(/Bitmap Index Scan on users_username_trgm_idx/);
    expect(plan).toMatch(/Bitmap Index Scan on profiles_display_name_trgm_idx/);
    expect(plan).not.toMatch(/Seq Scan on users/);
    const admin = await signedInAdmin(t);
    const found = (await admin.client.gql(USERS, { s: 'SON12345' })).body.data.users.edges;
    expect(found.map((e: { node: { email: string } }) => e.node.email).sort()).toEqual(['person12345@example.test']);
  });
});
