/**
 * Webhook delivery across real `latchkey serve` processes on one PostgreSQL, against a real
 * receiver that verifies every signature with the `standardwebhooks` library:
 *  - two instances poll one outbox: every event is delivered, and none is posted by both
 *    (rows are leased under FOR UPDATE SKIP LOCKED);
 *  - an instance SIGKILLed after the change committed but before its event was delivered:
 *    the event survives in the outbox and is delivered after the restart;
 *  - the operator's commands: `latchkey webhooks list [--failed]` and `webhooks retry ID`.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { suiteCluster } from '../support/cluster.js';
import { postgresAvailable } from '../support/databases.js';
import { registerUser } from '../support/server.js';
import { WEBHOOK_TEST_SECRET, startReceiver } from '../support/webhookReceiver.js';

const ready = await postgresAvailable('cluster webhook tests');

describe.runIf(ready)('webhooks from two instances', async () => {
  const receiver = await startReceiver();
  // Declared first, so run last: after the cluster closed.
  afterAll(async () => {
    await receiver.close();
  });
  const cluster = suiteCluster({
    size: 2,
    env: {
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: WEBHOOK_TEST_SECRET,
      WEBHOOK_POLL_INTERVAL: '50ms',
      WEBHOOK_RETRY_BASE: '200ms',
      WEBHOOK_RETRY_MAX: '1s',
      WEBHOOK_TIMEOUT: '2s',
    },
  });
  const undelivered = async () =>
    (await cluster.query(`select count(*)::int as n from webhook_outbox where delivered_at is null`))[0].n;
  const rowsAbout = (userId: string) =>
    cluster.query(`select * from webhook_outbox where payload->'data'->>'userId' = $1`, [userId]);

  it('delivers every event once, though both instances poll the same outbox', async () => {
    const [a, b] = cluster.instances;
    const users = await Promise.all(Array.from({ length: 16 }, (_, i) => registerUser((i % 2 ? a : b).client())));
    await vi.waitUntil(async () => (await undelivered()) === 0, { timeout: 20_000, interval: 50 });

    const rows = await cluster.query(`select id, attempts from webhook_outbox`);
    // Each sign-up is two events (user.created, user.signed_in), each one row for the one URL.
    expect(rows).toHaveLength(32);
    // Posted once each: no row was taken by both instances, and none needed a second attempt.
    expect(receiver.requests.map((d) => d.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    for (const u of users) {
      expect(receiver.byType('user.created').filter((d) => d.body.data.userId === u.userId)).toHaveLength(1);
      expect(receiver.byType('user.signed_in').filter((d) => d.body.data.userId === u.userId)).toHaveLength(1);
    }
    expect(receiver.forged).toBe(0);
  });

  it('delivers an event whose instance was SIGKILLed after the change committed, once it is back', async () => {
    const [a, b] = cluster.instances;
    await receiver.down();
    const { userId } = await registerUser(a.client());
    // Committed with its change, tried (the receiver is away), not delivered.
    await vi.waitUntil(async () => (await rowsAbout(userId)).some((r) => r.attempts >= 1), {
      timeout: 10_000,
      interval: 50,
    });
    expect((await a.kill('SIGKILL')).signal).toBe('SIGKILL');
    expect((await b.kill('SIGKILL')).signal).toBe('SIGKILL');
    expect((await rowsAbout(userId)).every((r) => r.delivered_at === null)).toBe(true);

    await receiver.up();
    await a.start();
    await vi.waitUntil(async () => (await rowsAbout(userId)).every((r) => r.delivered_at !== null), {
      timeout: 15_000,
      interval: 50,
    });
    const created = receiver.byType('user.created').filter((d) => d.body.data.userId === userId);
    expect(created).toHaveLength(1);
    expect(created[0].id).toBe((await rowsAbout(userId)).find((r) => r.event === 'user.created').id);
    await b.start();
  });

  it('lists deliveries and failed ones, and sends a failed one again on `webhooks retry ID`', async () => {
    const [a] = cluster.instances;
    const { userId } = await registerUser(a.client());
    await vi.waitUntil(async () => (await rowsAbout(userId)).every((r) => r.delivered_at !== null), {
      timeout: 10_000,
      interval: 50,
    });
    const listed = await cluster.latchkey('webhooks', 'list', '--limit', '5');
    const created = (await rowsAbout(userId)).find((r) => r.event === 'user.created');
    expect(listed).toMatch(new RegExp(`^${created.id}  user\\.created  delivered `, 'm'));
    expect(await cluster.latchkey('webhooks', 'list', '--failed')).toBe('no failed webhooks');

    // A delivery whose retries ran out (as after 24 hours of a broken endpoint).
    const { userId: other } = await registerUser(a.client());
    await receiver.down();
    const late = (
      await cluster.query(
        `update webhook_outbox set failed_at = clock_timestamp(), delivered_at = null, last_error = 'HTTP 500'
       where payload->'data'->>'userId' = $1 and event = 'user.created' returning id`,
        [other],
      )
    )[0].id;
    await receiver.up();
    const failed = await cluster.latchkey('webhooks', 'list', '--failed');
    expect(failed).toMatch(new RegExp(`^${late}  user\\.created  failed .*HTTP 500$`, 'm'));
    const before = receiver.requests.filter((d) => d.id === late).length;

    expect(await cluster.latchkey('webhooks', 'retry', late)).toMatch(/queued again/);
    await vi.waitUntil(async () => receiver.requests.filter((d) => d.id === late).length > before, {
      timeout: 10_000,
      interval: 50,
    });
    expect(await cluster.latchkey('webhooks', 'list', '--failed')).toBe('no failed webhooks');
    await expect(cluster.latchkey('webhooks', 'retry', late)).rejects.toThrow(/No undelivered webhook/);
    await expect(cluster.latchkey('webhooks', 'retry', 'nope')).rejects.toThrow(/not a webhook id/);
  });
});
