/** `latchkey webhooks list|retry`: the webhook deliveries, and sending one again. */
import { parseArgs } from 'node:util';
import { AuthError } from '../auth/errors.js';
import type { Config } from '../config.js';
import { UsageError, options, unknownCommand, withServices } from './common.js';

export async function run(argv: string[], config: Config): Promise<string> {
  const [, sub, ...rest] = argv;
  if (sub === 'list') {
    const { values } = options(() =>
      parseArgs({
        args: rest,
        options: { failed: { type: 'boolean' }, limit: { type: 'string' } },
        strict: true,
      }),
    );
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError('--limit must be a whole number from 1 to 10000');
    return withServices(config, async ({ webhookOutbox }) => {
      const { describeDelivery } = await import('../webhooks/describe.js');
      const rows = await webhookOutbox.list({ failed: values.failed ?? false, limit });
      if (!rows.length) return values.failed ? 'no failed webhooks' : 'no webhooks';
      return rows.map(describeDelivery).join('\n');
    });
  }
  if (sub === 'retry') {
    const [id, ...extra] = rest;
    if (!id || extra.length) throw new UsageError('usage: latchkey webhooks retry ID');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
      throw new UsageError(`${id} is not a webhook id (a UUID, as \`latchkey webhooks list\` shows)`);
    return withServices(config, async ({ webhookOutbox }) => {
      if (!(await webhookOutbox.requeue(id)))
        throw new AuthError('BAD_USER_INPUT', `No undelivered webhook with id ${id}`);
      return `webhook ${id} queued again; a running server sends it within WEBHOOK_POLL_INTERVAL`;
    });
  }
  throw unknownCommand(argv);
}
