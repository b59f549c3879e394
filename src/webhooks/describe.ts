/** One line per webhook delivery, for `latchkey webhooks list`. */
import type { OutboxRow } from '../auth/webhookPorts.js';

/**
 * `ID  EVENT  STATUS  attempts=N  created=ISO  URL  [last error]`; STATUS is delivered,
 * failed (retries ran out) or pending (with the next attempt's time).
 *
 * @example
 *   describeDelivery(row); // '0b9…  user.created  failed  attempts=31  created=…  https://api.example.com/hooks  HTTP 500'
 */
export function describeDelivery(row: OutboxRow): string {
  const status = row.deliveredAt
    ? `delivered ${row.deliveredAt.toISOString()}`
    : row.failedAt
      ? `failed ${row.failedAt.toISOString()}`
      : `pending next=${row.nextAttemptAt.toISOString()}`;
  return [
    row.id,
    row.event,
    status,
    `attempts=${row.attempts}`,
    `created=${row.createdAt.toISOString()}`,
    row.url,
    row.lastError ?? '',
  ]
    .join('  ')
    .trimEnd();
}
