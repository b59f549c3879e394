/**
 * `Transactions` (src/auth/webhookPorts.ts) over a Drizzle database: the repositories bound
 * to one transaction, and its webhook emitter (made by the domain from that transaction's
 * outbox, so events commit or roll back with the change).
 */
import type { WebhookEmitter, WebhookOutboxRepository, Transactions } from '../auth/webhookPorts.js';
import type { Db } from './db.js';
import { repositories } from './repositories/index.js';
import { webhookOutboxRepository } from './repositories/webhookOutbox.js';

export function transactions(db: Db, emitter: (outbox: WebhookOutboxRepository) => WebhookEmitter): Transactions {
  return {
    emitting: emitter(webhookOutboxRepository(db)).enabled,
    run: (fn) =>
      db.transaction(async (tx) => fn({ repos: repositories(tx), webhooks: emitter(webhookOutboxRepository(tx)) })),
  };
}
