/**
 * Webhooks (API.md §10.3) over GraphQL/HTTP against a real receiver that verifies every
 * Standard Webhooks signature with the `standardwebhooks` library: which changes emit which
 * events and with what body (on PGlite and PostgreSQL), that nothing is written without
 * WEBHOOK_URLS or for a change that did not happen, and how delivery copes with a receiver
 * that is down, fails or hangs (time limit, retries, giving up after the retry window).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { noMeta } from '../../src/auth/audit.js';
import { databaseTargets, pglite } from '../support/databases.js';
import { DISABLE_TOTP, FACTOR_ENV, enrolPasskey, enrolTotp } from '../support/factors.js';
import { lastCodeTo } from '../support/mail.js';
import { LOGIN, REGISTER, TEST_PASSWORD, type TestServer, registerUser, suiteServer } from '../support/server.js';
import { type Receiver, WEBHOOK_TEST_SECRET, startReceiver } from '../support/webhookReceiver.js';

const targets = await databaseTargets();

const LOGOUT = `mutation { logout }`;
const REMOVE_PASSKEY = `mutation($id: ID!) { removePasskey(id: $id) }`;
const REQUEST_RESET = `mutation($email: String!) { requestOtp(email: $email, purpose: PASSWORD_RESET) }`;
const RESET = `mutation($email: String!, $code: String!, $next: String!) { resetPassword(email: $email, code: $code, newPassword: $next) }`;
const CHANGE_PASSWORD = `mutation($current: String!, $next: String!) {
  changePassword(currentPassword: $current, newPassword: $next, signOutOtherSessions: true) }`;

/** Receivers for the file's suites (closed at its end), and the settings that send to one (polled often: tests wait less). */
const receivers: Receiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});
async function receiverEnv(extra: Record<string, string> = {}) {
  const receiver = await startReceiver();
  receivers.push(receiver);
  return {
    receiver,
    env: {
      ...FACTOR_ENV,
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: WEBHOOK_TEST_SECRET,
      WEBHOOK_POLL_INTERVAL: '50ms',
      ...extra,
    },
  };
}
const events = await receiverEnv();
const misbehaving = await receiverEnv({
  WEBHOOK_TIMEOUT: '300ms',
  WEBHOOK_RETRY_BASE: '100ms',
  WEBHOOK_RETRY_MAX: '400ms',
});
const givingUp = await receiverEnv({ WEBHOOK_RETRY_BASE: '100ms', WEBHOOK_RETRY_WINDOW: '1s', LOG_LEVEL: 'warn' });

/** The deliveries (one per webhook-id) about one user, oldest first. */
const about = (receiver: Receiver, userId: string) =>
  receiver
    .unique()
    .filter((d) => d.body.data.userId === userId)
    .sort((a, b) => a.body.timestamp.localeCompare(b.body.timestamp));
const typesAbout = (receiver: Receiver, userId: string) => about(receiver, userId).map((d) => d.body.type);

async function outboxRow(t: TestServer, userId: string, type: string) {
  const [row] = await t.sql(`select * from webhook_outbox where event = $1 and payload->'data'->>'userId' = $2`, [
    type,
    userId,
  ]);
  return row;
}

describe.each(targets)('webhook events on $name', (target) => {
  const receiver = events.receiver;
  const t = suiteServer(target, { env: events.env });

  it('tells of a sign-up: user.created and user.signed_in, signed, with the body {type, timestamp, data} and no secret', async () => {
    const client = t.client();
    const { email, userId, res } = await registerUser(client, { displayName: 'Ada' });
    await vi.waitUntil(() => about(receiver, userId).length === 2, { timeout: 10_000, interval: 20 });
    const [created, signedIn] = about(receiver, userId);

    expect(created.body).toEqual({
      type: 'user.created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: {
        userId,
        email,
        username: null,
        displayName: 'Ada',
        emailVerified: false,
        createdAt: expect.any(String),
      },
    });
    expect(signedIn.body).toMatchObject({
      type: 'user.signed_in',
      data: { userId, sessionId: expect.any(String), method: 'register', amr: ['pwd'], ip: '127.0.0.1' },
    });
    // webhook-id is the outbox row's id; the timestamp header is the attempt's time.
    expect(created.id).toBe((await outboxRow(t, userId, 'user.created')).id);
    expect(Math.abs(created.timestamp * 1000 - Date.now())).toBeLessThan(5 * 60_000);
    for (const d of about(receiver, userId)) {
      expect(Object.keys(d.body).sort()).toEqual(['data', 'timestamp', 'type']);
      expect(d.raw).not.toContain(TEST_PASSWORD);
      expect(d.raw).not.toMatch(/argon2|password|hash|secret/i);
      expect(d.raw).not.toContain(res.body.data.register.accessToken);
    }
    expect(receiver.forged).toBe(0);
  });

  it('tells of a password sign-in, a sign-out, and a password change (with the other sessions it ended)', async () => {
    const first = t.client();
    const { email, userId } = await registerUser(first);
    const second = t.client();
    const login = await second.gql(LOGIN, { email, password: TEST_PASSWORD });
    second.token = login.body.data.login.accessToken;
    const third = t.client();
    third.token = (await third.gql(LOGIN, { email, password: TEST_PASSWORD })).body.data.login.accessToken;

    expect((await third.gql(LOGOUT)).body.data.logout).toBe(true);
    const next = `${TEST_PASSWORD} again`;
    const changed = await first.gql(CHANGE_PASSWORD, { current: TEST_PASSWORD, next });
    expect(changed.body.data.changePassword).toBe(true);

    await vi.waitUntil(() => about(receiver, userId).length === 7, { timeout: 10_000, interval: 20 });
    expect(typesAbout(receiver, userId).slice(0, 4)).toEqual([
      'user.created',
      'user.signed_in',
      'user.signed_in',
      'user.signed_in',
    ]);
    const rest = about(receiver, userId).slice(4);
    expect(rest.map((d) => d.body.type).sort()).toEqual(['password.changed', 'session.revoked', 'session.revoked']);
    expect(rest.find((d) => d.body.type === 'password.changed')!.body.data).toEqual({ userId, method: 'change' });
    const revoked = rest.filter((d) => d.body.type === 'session.revoked').map((d) => d.body.data);
    expect(revoked).toContainEqual({ userId, sessionId: expect.any(String), reason: 'logout' });
    expect(revoked).toContainEqual({ userId, sessionId: expect.any(String), reason: 'password_changed' });
    expect(
      about(receiver, userId).find((d) => d.body.type === 'user.signed_in' && d.body.data.method === 'password'),
    ).toBeDefined();
  });

  it('tells when an account turns two-factor on (mfa.enabled) and back off (mfa.disabled)', async () => {
    const client = t.client();
    const { userId } = await registerUser(client);
    await enrolTotp(t, client);
    await vi.waitUntil(() => typesAbout(receiver, userId).includes('mfa.enabled'), { timeout: 10_000, interval: 20 });
    expect(about(receiver, userId).find((d) => d.body.type === 'mfa.enabled')!.body.data).toEqual({
      userId,
      method: 'totp',
    });
    expect((await client.gql(DISABLE_TOTP)).body.data.disableTotp).toBe(true);
    await vi.waitUntil(() => typesAbout(receiver, userId).includes('mfa.disabled'), { timeout: 10_000, interval: 20 });
    expect(about(receiver, userId).find((d) => d.body.type === 'mfa.disabled')!.body.data).toEqual({
      userId,
      method: 'totp',
    });
  });

  it('tells of passkeys only when the first is added and the last removed', async () => {
    const client = t.client();
    const { userId } = await registerUser(client);
    const first = await enrolPasskey(client, 'laptop');
    await vi.waitUntil(() => typesAbout(receiver, userId).includes('mfa.enabled'), { timeout: 10_000, interval: 20 });
    const second = await enrolPasskey(client, 'phone');
    expect((await client.gql(REMOVE_PASSKEY, { id: first.id })).body.data.removePasskey).toBe(true);
    expect((await client.gql(REMOVE_PASSKEY, { id: second.id })).body.data.removePasskey).toBe(true);
    await vi.waitUntil(() => typesAbout(receiver, userId).includes('mfa.disabled'), { timeout: 10_000, interval: 20 });
    const mfa = about(receiver, userId).filter((d) => d.body.type.startsWith('mfa.'));
    expect(mfa.map((d) => [d.body.type, d.body.data])).toEqual([
      ['mfa.enabled', { userId, method: 'passkey' }],
      ['mfa.disabled', { userId, method: 'passkey' }],
    ]);
  });

  it('tells of a password reset and the sessions it ended', async () => {
    const client = t.client();
    const { email, userId } = await registerUser(client);
    expect((await t.client().gql(REQUEST_RESET, { email })).body.data.requestOtp).toBe(true);
    const reset = await t
      .client()
      .gql(RESET, { email, code: await lastCodeTo(t, email), next: `${TEST_PASSWORD} reset` });
    expect(reset.body.data.resetPassword).toBe(true);
    await vi.waitUntil(() => about(receiver, userId).length === 4, { timeout: 10_000, interval: 20 });
    expect(about(receiver, userId).find((d) => d.body.type === 'password.changed')!.body.data).toEqual({
      userId,
      method: 'reset',
    });
    expect(about(receiver, userId).find((d) => d.body.type === 'session.revoked')!.body.data).toMatchObject({
      reason: 'password_reset',
    });
  });

  it('tells of a deactivation and the sessions it ended', async () => {
    const { email, userId } = await registerUser(t.client());
    await t.server.services.accounts.deactivate(email, noMeta);
    await vi.waitUntil(() => typesAbout(receiver, userId).includes('session.revoked'), {
      timeout: 10_000,
      interval: 20,
    });
    expect(about(receiver, userId).find((d) => d.body.type === 'user.deactivated')!.body.data).toEqual({
      userId,
      email,
    });
    expect(about(receiver, userId).find((d) => d.body.type === 'session.revoked')!.body.data).toMatchObject({
      reason: 'deactivated',
    });
  });

  it('writes nothing for a change that did not happen (a sign-up for a taken address)', async () => {
    const { email } = await registerUser(t.client());
    const again = await t.client().gql(REGISTER, { email, password: TEST_PASSWORD });
    expect(again.code).toBe('EMAIL_TAKEN');
    const rows = await t.sql(`select count(*)::int as n from webhook_outbox where payload->'data'->>'email' = $1`, [
      email,
    ]);
    expect(rows[0].n).toBe(1);
  });
});

describe('without WEBHOOK_URLS', () => {
  const t = suiteServer(pglite);
  it('writes no outbox row at all', async () => {
    const client = t.client();
    await registerUser(client);
    await client.gql(LOGOUT);
    expect((await t.sql(`select count(*)::int as n from webhook_outbox`))[0].n).toBe(0);
  });
});

describe('delivery when the receiver misbehaves', () => {
  const receiver = misbehaving.receiver;
  const t = suiteServer(pglite, { env: misbehaving.env });
  const attemptsOf = async (userId: string) => (await outboxRow(t, userId, 'user.created'))?.attempts ?? 0;

  it('keeps an event while the receiver is down and delivers it once it is back (once per webhook-id)', async () => {
    await receiver.down();
    const { userId } = await registerUser(t.client());
    await vi.waitUntil(async () => (await attemptsOf(userId)) >= 3, { timeout: 10_000, interval: 20 });
    const row = await outboxRow(t, userId, 'user.created');
    expect(row.delivered_at).toBeNull();
    expect(row.last_error).toMatch(/fetch failed|ECONNREFUSED/);

    await receiver.up();
    await vi.waitUntil(async () => (await outboxRow(t, userId, 'user.created')).delivered_at, {
      timeout: 10_000,
      interval: 20,
    });
    expect(receiver.byType('user.created').filter((d) => d.body.data.userId === userId)).toHaveLength(1);
    expect(receiver.requests.filter((d) => d.id === row.id)).toHaveLength(1);
  });

  it('gives up on an answer that does not come within WEBHOOK_TIMEOUT and tries again', async () => {
    receiver.mode = 'hang';
    const { userId } = await registerUser(t.client());
    const webhookId = (await outboxRow(t, userId, 'user.created')).id as string;
    await vi.waitUntil(() => receiver.requests.filter((d) => d.id === webhookId).length >= 2, {
      timeout: 10_000,
      interval: 20,
    });
    expect((await outboxRow(t, userId, 'user.created')).last_error).toMatch(/no answer within 300 ms/);

    receiver.mode = 'ok';
    await vi.waitUntil(async () => (await outboxRow(t, userId, 'user.created')).delivered_at, {
      timeout: 10_000,
      interval: 20,
    });
    // The same id every time: a receiver that de-duplicates acts on it once.
    expect(new Set(receiver.requests.filter((d) => d.id === webhookId).map((d) => d.raw)).size).toBe(1);
    expect(receiver.byType('user.created').filter((d) => d.body.data.userId === userId)).toHaveLength(1);
  });
});

describe('two receivers, one of them hanging', () => {
  const stuck = misbehaving.receiver;
  const healthy = events.receiver;
  // The stuck receiver's attempts are held open far longer than this test waits for the other's.
  const t = suiteServer(pglite, {
    env: { ...events.env, WEBHOOK_URLS: `${stuck.url},${healthy.url}`, WEBHOOK_TIMEOUT: '60s' },
  });

  it('keeps delivering to the one that answers while the other holds its requests open', async () => {
    stuck.mode = 'hang';
    try {
      const first = await registerUser(t.client());
      await vi.waitUntil(() => about(healthy, first.userId).length === 2, { timeout: 10_000, interval: 20 });
      await vi.waitUntil(() => stuck.requests.some((d) => d.body.data.userId === first.userId), {
        timeout: 10_000,
        interval: 20,
      });
      // The first sign-up's requests to the stuck receiver are still open: the next events are not held behind them.
      const second = await registerUser(t.client());
      await vi.waitUntil(() => about(healthy, second.userId).length === 2, { timeout: 10_000, interval: 20 });
      const [held] = await t.sql(
        `select attempts, delivered_at from webhook_outbox where url = $1 and event = 'user.created' and payload->'data'->>'userId' = $2`,
        [stuck.url, first.userId],
      );
      expect(held).toEqual({ attempts: 1, delivered_at: null });
    } finally {
      stuck.mode = 'ok';
    }
  });
});

describe('when the retry window is over', () => {
  const receiver = givingUp.receiver;
  receiver.mode = 'fail';
  const logLines: string[] = [];
  const t = suiteServer(pglite, { env: givingUp.env, logLines });

  it('marks the delivery failed, counts it, logs it, and sends it again when asked', async () => {
    const { userId } = await registerUser(t.client());
    await vi.waitUntil(async () => (await outboxRow(t, userId, 'user.created')).failed_at, {
      timeout: 10_000,
      interval: 50,
    });
    const row = await outboxRow(t, userId, 'user.created');
    expect(row.last_error).toBe('HTTP 500');
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/latchkey_webhook_deliveries_total\{result="failed"\} [1-9]/);
    expect(metrics).toMatch(/latchkey_webhook_deliveries_total\{result="retry"\} [1-9]/);
    const warned = logLines.map((l) => JSON.parse(l)).filter((l) => l.webhookId === row.id);
    expect(warned).toHaveLength(1);
    expect(warned[0].msg).toContain(`latchkey webhooks retry ${row.id}`);
    const failed = await t.server.services.webhookOutbox.list({ failed: true, limit: 10 });
    expect(failed.map((r) => r.id)).toContain(row.id);

    receiver.mode = 'ok';
    expect(await t.server.services.webhookOutbox.requeue(row.id)).toBe(true);
    await vi.waitUntil(async () => (await outboxRow(t, userId, 'user.created')).delivered_at, {
      timeout: 10_000,
      interval: 20,
    });
    expect(receiver.byType('user.created').filter((d) => d.body.data.userId === userId)).toHaveLength(1);
    expect(await t.server.services.webhookOutbox.requeue(row.id)).toBe(false);
  });
});
