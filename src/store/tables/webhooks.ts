/** The webhook outbox: deliveries written with their change, sent after it. */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';

/**
 * Webhook deliveries (§10.3), one row per event and endpoint, written in the transaction
 * of the change. `id` is the Standard Webhooks `webhook-id`, the same on every retry.
 * A worker claims due rows with FOR UPDATE SKIP LOCKED and moves `next_attempt_at`
 * forward as its lease, so no two instances post one row at once.
 */
export const webhookOutbox = pgTable(
  'webhook_outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    url: text('url').notNull(),
    /** The event type, e.g. `user.created`. */
    event: text('event').notNull(),
    /** The body as sent: `{type, timestamp, data}`. Never a secret. */
    payload: jsonb('payload').notNull(),
    createdAt: ts('created_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    deliveredAt: ts('delivered_at'),
    /** Set when retries ran out (24 h); `latchkey webhooks retry ID` clears it. */
    failedAt: ts('failed_at'),
    lastError: text('last_error'),
  },
  (t) => [
    index('webhook_outbox_due_idx').on(t.nextAttemptAt).where(sql`${t.deliveredAt} is null and ${t.failedAt} is null`),
  ],
);
