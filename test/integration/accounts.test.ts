/**
 * The account's own (API.md §10.1) and the roles claim (§10.2) over GraphQL/HTTP, on PGlite and
 * PostgreSQL: email change, account deletion (proven complete over every table), data export.
 */
import { describe, expect, it } from 'vitest';
import {
  CONFIRM_EMAIL_CHANGE,
  DELETE_ACCOUNT,
  EXPORT,
  REQUEST_EMAIL_CHANGE,
  SET_ROLES,
  signedInAdmin,
} from '../support/accounts.js';
import { databaseTargets } from '../support/databases.js';
import { FACTOR_ENV, REAUTH, enrolPasskey, enrolTotp } from '../support/factors.js';
import { codeIn, lastCodeTo, mailTo } from '../support/mail.js';
import {
  LOGIN,
  ME,
  REFRESH,
  TEST_PASSWORD,
  jwtPayload,
  loginUser,
  registerUser,
  suiteServer,
  uniqueEmail,
} from '../support/server.js';
import { WEBHOOK_TEST_SECRET } from '../support/webhookReceiver.js';

const targets = await databaseTargets();
const ADMIN_EMAIL = `boss-${process.pid}@example.test`;

describe.each(targets)('the account’s own on $name', (target) => {
  // Webhook events stay in the outbox (nothing listens on port 9): the tests read what each change wrote.
  const t = suiteServer(target, {
    manualClock: true,
    env: {
      ...FACTOR_ENV,
      ADMIN_EMAILS: ADMIN_EMAIL,
      WEBHOOK_URLS: 'http://127.0.0.1:9/hooks',
      WEBHOOK_SECRET: WEBHOOK_TEST_SECRET,
    },
  });
  const eventsAbout = async (userId: string) =>
    t.sql<{ event: string; data: Record<string, unknown> }>(
      `select event, payload->'data' as data from webhook_outbox where payload->'data'->>'userId' = $1 order by created_at, id`,
      [userId],
    );

  it('changes the email: a code to the new address, the old one told, sessions kept, the next sign-in with the new address', async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client);
    const other = await loginUser(t, email);
    const newEmail = uniqueEmail('moved');
    expect((await client.gql(REQUEST_EMAIL_CHANGE, { e: newEmail })).body.data.requestEmailChange).toBe(true);
    const code = await lastCodeTo(t, newEmail);
    expect((await mailTo(t, newEmail)).at(-1)?.subject).toMatch(/Confirm your new email address/);

    const wrong = await client.gql(CONFIRM_EMAIL_CHANGE, { c: code === '000000' ? '000001' : '000000' });
    expect(wrong.code).toBe('OTP_INVALID');
    const done = await client.gql(CONFIRM_EMAIL_CHANGE, { c: code });
    expect(done.body.data.confirmEmailChange).toEqual({ id: userId, email: newEmail, emailVerified: true });
    // Used once only.
    expect((await client.gql(CONFIRM_EMAIL_CHANGE, { c: code })).code).toBe('OTP_INVALID');

    const told = (await mailTo(t, email)).at(-1);
    expect(told?.subject).toBe('Your Latchkey account now uses another email address');
    expect(told?.text).toContain(newEmail);
    // Sessions stay: the other device still refreshes and reads `me`.
    expect((await other.gql(ME)).body.data.me.email).toBe(newEmail);
    expect((await other.gql(REFRESH)).body.data.refreshToken.accessToken).toBeTruthy();
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
    expect((await loginUser(t, newEmail)).token).toBeTruthy();
    expect((await eventsAbout(userId)).filter((e) => e.event === 'email.changed')).toEqual([
      { event: 'email.changed', data: { userId, previousEmail: email, email: newEmail } },
    ]);
  });

  it('a new email-change request ends the account’s older codes, to the same address or another, for good', async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client);
    const first = uniqueEmail('first');
    const second = uniqueEmail('second');
    const confirm = async (c: string) => client.gql(CONFIRM_EMAIL_CHANGE, { c });
    const emailNow = async () => (await client.gql(ME)).body.data.me.email;
    /** Ask for a change to `to`; its code (asked again in the one-in-a-million case that it equals `unlike`). */
    const request = async (to: string, unlike: string[] = []) => {
      for (;;) {
        expect((await client.gql(REQUEST_EMAIL_CHANGE, { e: to })).body.data.requestEmailChange).toBe(true);
        const code = await lastCodeTo(t, to);
        // Requests a second apart, as a person makes them (not tied for "newest").
        t.clock!.advance(1000);
        if (!unlike.includes(code)) return code;
      }
    };
    const toFirst = await request(first);
    // Another address: the code mailed to the first no longer works.
    const toSecond = await request(second, [toFirst]);
    expect((await confirm(toFirst)).code).toBe('OTP_INVALID');
    expect(await emailNow()).toBe(email);
    // The same address again: its earlier code no longer works either.
    await request(second, [toFirst, toSecond]);
    expect((await confirm(toSecond)).code).toBe('OTP_INVALID');
    expect(await emailNow()).toBe(email);
    // Nor does the first address's code come back when the newer code goes (here: another
    // account asks for the same address, which ends this account's code for it).
    const rival = t.client();
    await registerUser(rival);
    expect((await rival.gql(REQUEST_EMAIL_CHANGE, { e: second })).body.data.requestEmailChange).toBe(true);
    expect((await confirm(toFirst)).code).toBe('OTP_INVALID');
    expect(await emailNow()).toBe(email);
    expect((await eventsAbout(userId)).filter((e) => e.event === 'email.changed')).toEqual([]);
  });

  it('answers EMAIL_TAKEN for an address another account has, at the request and at the confirmation', async () => {
    const client = t.client();
    await registerUser(client);
    const { email: taken } = await registerUser(t.client());
    expect((await client.gql(REQUEST_EMAIL_CHANGE, { e: taken.toUpperCase() })).code).toBe('EMAIL_TAKEN');

    // Free at the request, taken by someone else before the code comes back: nothing changes.
    const wanted = uniqueEmail('race');
    await client.gql(REQUEST_EMAIL_CHANGE, { e: wanted });
    const code = await lastCodeTo(t, wanted);
    await registerUser(t.client(), { email: wanted });
    expect((await client.gql(CONFIRM_EMAIL_CHANGE, { c: code })).code).toBe('EMAIL_TAKEN');
    expect((await t.sql('select count(*)::int as n from users where email = $1', [wanted]))[0].n).toBe(1);
  });

  it('needs a recent sign-in to ask for an email change and to delete the account (REAUTH_REQUIRED), and reauthenticate gives it', async () => {
    const client = t.client();
    const { userId } = await registerUser(client);
    t.clock!.advance(t.config.reauthMaxAgeMs + 1000);
    // A refresh gives a live access token, not a recent sign-in.
    client.token = (await client.gql(REFRESH)).body.data.refreshToken.accessToken;
    expect((await client.gql(REQUEST_EMAIL_CHANGE, { e: uniqueEmail() })).code).toBe('REAUTH_REQUIRED');
    expect((await client.gql(DELETE_ACCOUNT)).code).toBe('REAUTH_REQUIRED');
    expect(await t.sql('select id from users where id = $1', [userId])).toHaveLength(1);
    const again = await client.gql(REAUTH, { password: TEST_PASSWORD });
    client.token = again.body.data.reauthenticate.accessToken;
    expect((await client.gql(DELETE_ACCOUNT)).body.data.deleteAccount).toBe(true);
  });

  it('deletes everything of the account in one go: no row anywhere holds its address, tokens are refused at once, audit rows stay without address or user agent', async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client, { displayName: 'Gone Soon' });
    const phone = await loginUser(t, email, TEST_PASSWORD, { headers: { 'user-agent': 'PhoneBrowser/1.0' } });
    await t.sql(`insert into user_roles (user_id, role, granted_at) values ($1, 'editor', now())`, [userId]);
    await client.gql(`mutation($e: String!) { requestOtp(email: $e) }`, { e: email });
    // Second factors and a linked external account: rows that go by ON DELETE CASCADE.
    await enrolTotp(t, client);
    const { key } = await enrolPasskey(client, 'Gone Soon’s key');
    await t.sql(
      `insert into identities (user_id, provider, issuer, subject, email, email_verified, linked_at)
       values ($1, 'acme', 'https://id.acme.example', $2, $3, true, now())`,
      [userId, `subject-of-${userId}`, email],
    );
    const factorRows = async () =>
      Object.fromEntries(
        await Promise.all(
          ['totp_factors', 'recovery_codes', 'passkeys', 'identities'].map(async (table) => [
            table,
            (await t.sql(`select count(*)::int as n from ${table} where user_id = $1`, [userId]))[0].n,
          ]),
        ),
      );
    expect(await factorRows()).toEqual({ totp_factors: 1, recovery_codes: 10, passkeys: 1, identities: 1 });
    const sessionIds = (await t.sql('select id from sessions where user_id = $1', [userId])).map((r) => r.id);
    expect(sessionIds).toHaveLength(2);

    const res = await client.gql(DELETE_ACCOUNT);
    expect(res.body.data.deleteAccount).toBe(true);
    // The caller's cookie goes; every access token is refused at once (this instance's revoked set).
    expect(res.setCookies.some((c) => /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c))).toBe(true);
    expect((await phone.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await client.gql(ME)).code).toBe('TOKEN_REVOKED');
    expect((await phone.gql(REFRESH)).code).toBe('TOKEN_REVOKED');
    expect((await t.client().gql(LOGIN, { email, password: TEST_PASSWORD })).code).toBe('INVALID_CREDENTIALS');
    expect((await mailTo(t, email)).at(-1)?.subject).toBe('Your Latchkey account has been deleted');

    expect(await factorRows()).toEqual({ totp_factors: 0, recovery_codes: 0, passkeys: 0, identities: 0 });
    expect(await t.sql('select 1 from passkeys where credential_id = $1', [key.credentialId])).toEqual([]);
    expect(await t.sql(`select 1 from identities where subject = $1`, [`subject-of-${userId}`])).toEqual([]);

    // Every table of the schema, every row as text: the address and display name are nowhere.
    const tables = await t.sql<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThanOrEqual(14);
    const holding: Record<string, number> = {};
    for (const { name } of tables) {
      const [row] = await t.sql(
        `select count(*) filter (where r::text ilike $1 or r::text ilike $2)::int as personal,
                count(*) filter (where r::text ilike $3)::int as by_id from "${name}" r`,
        [`%${email}%`, '%Gone Soon%', `%${userId}%`],
      );
      expect(row.personal, name).toBe(0);
      if (row.by_id) holding[name] = row.by_id;
    }
    // What still names the account's id: the audit trail, and the revoked sessions the revocation feed needs.
    // and the webhook events about it, which keep only its id (user.deleted last).
    expect(Object.keys(holding).sort()).toEqual(['audit_events', 'sessions', 'webhook_outbox']);
    const told = await eventsAbout(userId);
    expect(told.map((e) => e.event)).toContain('user.created');
    expect(told.at(-1)).toEqual({ event: 'user.deleted', data: { userId } });
    expect(told.every((e) => JSON.stringify(e.data) === JSON.stringify({ userId }))).toBe(true);
    const kept = await t.sql(
      'select id, revoked_at, revocation_seq, ip, user_agent, amr from sessions where user_id = $1',
      [userId],
    );
    expect(kept.map((s) => s.id).sort()).toEqual([...sessionIds].sort());
    for (const s of kept) {
      expect(s.revoked_at).not.toBeNull();
      expect(s.revocation_seq).not.toBeNull();
      expect([s.ip, s.user_agent, s.amr]).toEqual([null, null, null]);
    }
    expect(await t.sql('select 1 from refresh_tokens where session_id = any($1::uuid[])', [sessionIds])).toEqual([]);
    const events = await t.sql('select type, ip, user_agent from audit_events where user_id = $1 order by id', [
      userId,
    ]);
    expect(events.map((e) => e.type)).toContain('register');
    expect(events.at(-1)?.type).toBe('account_deleted');
    expect(events.every((e) => e.ip === null && e.user_agent === null)).toBe(true);
  });

  it('exports everything stored about the caller as JSON, without a password hash, code hash or secret', async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client, { displayName: 'Ada Export' });
    await client.gql(`mutation { updateProfile(input: { bio: "Counts things" }) { bio } }`);
    const res = await client.gql(EXPORT);
    const data = res.body.data.exportMyData;
    expect(data.user).toMatchObject({ id: userId, email, passwordSet: true, isActive: true });
    expect(data.profile).toMatchObject({ displayName: 'Ada Export', bio: 'Counts things' });
    expect(data.sessions).toHaveLength(1);
    expect(data.sessions[0]).toMatchObject({ ip: '127.0.0.1', revokedAt: null });
    expect(data.auditEvents.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['register']));
    expect(data.oneTimeCodes.map((c: { purpose: string }) => c.purpose)).toEqual(['VERIFY_EMAIL']);
    expect(data).toMatchObject({ roles: [], totp: null, recoveryCodes: [], passkeys: [], identities: [] });
    const text = JSON.stringify(data);
    const [stored] = await t.sql('select password_hash from users where id = $1', [userId]);
    const codes = await t.sql('select code_hash from otp_codes where user_id = $1', [userId]);
    expect(text).not.toContain(stored.password_hash);
    for (const c of codes) expect(text).not.toContain(c.code_hash);
    expect(text).not.toMatch(/passwordHash|codeHash|secret|argon2/i);
    expect((await t.client().gql(EXPORT)).code).toBe('UNAUTHENTICATED');
  });

  it('carries the roles claim (omitted when empty); a role change reaches the token at the next refresh', async () => {
    const client = t.client();
    const { userId } = await registerUser(client);
    expect(jwtPayload(client.token!)).not.toHaveProperty('roles');
    const admin = await signedInAdmin(t);
    expect(jwtPayload(admin.client.token!).roles).toEqual(['admin']);

    await admin.client.gql(SET_ROLES, { id: userId, r: ['editor', 'billing'] });
    expect(jwtPayload(client.token!)).not.toHaveProperty('roles');
    const refreshed = await client.gql(REFRESH);
    expect(jwtPayload(refreshed.body.data.refreshToken.accessToken).roles).toEqual(['billing', 'editor']);
    expect((await client.gql(`{ me { roles } }`)).body.data.me.roles).toEqual(['billing', 'editor']);
    await admin.client.gql(SET_ROLES, { id: userId, r: [] });
    expect(jwtPayload((await client.gql(REFRESH)).body.data.refreshToken.accessToken)).not.toHaveProperty('roles');
  });

  it('ADMIN_EMAILS: the account gets admin once its address is verified, and its tokens say so from then on', async () => {
    const client = t.client();
    const { userId } = await registerUser(client, { email: ADMIN_EMAIL });
    // Not verified yet: no role, even at a new sign-in.
    expect(jwtPayload((await loginUser(t, ADMIN_EMAIL)).token!)).not.toHaveProperty('roles');
    const code = codeIn((await mailTo(t, ADMIN_EMAIL))[0]);
    await client.gql(`mutation($c: String!) { verifyEmail(code: $c) { id } }`, { c: code });
    expect(await t.sql('select role, granted_by from user_roles where user_id = $1', [userId])).toEqual([
      { role: 'admin', granted_by: null },
    ]);
    expect(jwtPayload((await client.gql(REFRESH)).body.data.refreshToken.accessToken).roles).toEqual(['admin']);
    expect(jwtPayload((await loginUser(t, ADMIN_EMAIL)).token!).roles).toEqual(['admin']);
  });
});
