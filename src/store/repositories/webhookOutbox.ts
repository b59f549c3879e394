/**
 * The webhook outbox (migration 0004): one row per event and endpoint. Every time here is
 * the database's (clock_timestamp()), so instances whose clocks differ lease, retry and give
 * up alike. A claim moves `next_attempt_at` ahead as a lease under FOR UPDATE SKIP LOCKED:
 * two instances polling at once take different rows, and a row whose worker died becomes
 * due again when its lease ends.
 */
import { and, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { ClaimedDelivery, OutboxRow, WebhookOutboxRepository, WebhookPayload } from '../../auth/webhookPorts.js';
import type { Executor } from '../db.js';
import { webhookOutbox } from '../schema.js';

const NOW = sql`clock_timestamp()`;
const after = (ms: number) => sql`clock_timestamp() + ${ms} * interval '1 millisecond'`;
/** Messages are kept short in the row (and so in the CLI). */
const short = (error: string) => error.slice(0, 500);

export function webhookOutboxRepository(db: Executor): WebhookOutboxRepository {
  /** The row of attempt `attempts` of `id`, still pending: a late answer after another claim changes nothing. */
  const current = (id: string, attempts: number) =>
    and(
      eq(webhookOutbox.id, id),
      eq(webhookOutbox.attempts, attempts),
      isNull(webhookOutbox.deliveredAt),
      isNull(webhookOutbox.failedAt),
    );

  return {
    async enqueue(payload: WebhookPayload, urls: readonly string[]) {
      if (!urls.length) return;
      await db
        .insert(webhookOutbox)
        .values(urls.map((url) => ({ url, event: payload.type, payload, createdAt: NOW, nextAttemptAt: NOW })));
    },

    async claim(limit: number, leaseMs: number, skipUrls: readonly string[] = []): Promise<ClaimedDelivery[]> {
      const others = sql.join(
        skipUrls.map((url) => sql`${url}`),
        sql`, `,
      );
      const skip = skipUrls.length ? sql`and url not in (${others})` : sql``;
      const rows = await db.execute(sql`
        with due as (
          select id from webhook_outbox
          where delivered_at is null and failed_at is null and next_attempt_at <= clock_timestamp() ${skip}
          order by next_attempt_at
          limit ${limit}
          for update skip locked
        )
        update webhook_outbox w
        set attempts = w.attempts + 1, next_attempt_at = ${after(leaseMs)}
        from due where w.id = due.id
        returning w.id, w.url, w.event, w.payload, w.attempts,
          (extract(epoch from clock_timestamp() - w.created_at) * 1000)::float8 as age_ms`);
      return (rows as unknown as { rows: Record<string, unknown>[] }).rows.map((r) => ({
        id: String(r.id),
        url: String(r.url),
        event: String(r.event),
        payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as WebhookPayload,
        attempts: Number(r.attempts),
        ageMs: Number(r.age_ms),
      }));
    },

    async delivered(id, attempts) {
      await db.update(webhookOutbox).set({ deliveredAt: NOW, lastError: null }).where(current(id, attempts));
    },

    async retryLater(id, attempts, delayMs, error) {
      await db
        .update(webhookOutbox)
        .set({ nextAttemptAt: after(delayMs), lastError: short(error) })
        .where(current(id, attempts));
    },

    async failed(id, attempts, error) {
      await db
        .update(webhookOutbox)
        .set({ failedAt: NOW, lastError: short(error) })
        .where(current(id, attempts));
    },

    async list({ failed, limit }): Promise<OutboxRow[]> {
      const rows = await db
        .select()
        .from(webhookOutbox)
        .where(failed ? isNotNull(webhookOutbox.failedAt) : undefined)
        .orderBy(desc(webhookOutbox.createdAt))
        .limit(limit);
      return rows.map((r) => ({ ...r, payload: r.payload as WebhookPayload }));
    },

    async requeue(id) {
      const rows = await db
        .update(webhookOutbox)
        .set({ failedAt: null, createdAt: NOW, nextAttemptAt: NOW, attempts: 0, lastError: null })
        .where(and(eq(webhookOutbox.id, id), isNull(webhookOutbox.deliveredAt)))
        .returning({ id: webhookOutbox.id });
      return rows.length > 0;
    },
  };
}
