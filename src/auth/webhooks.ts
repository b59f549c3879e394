/**
 * Webhook events as the domain writes them: `emitter` turns `emit(type, data)` into outbox
 * rows (one per configured URL) through the outbox of the current transaction, so an event
 * exists if and only if its change committed. Delivery is src/webhooks/worker.ts's job,
 * never the request's.
 *
 * @example
 *   await transactions.run(async (tx) => {
 *     const row = await tx.repos.sessions.revoke(id, 'logout', null);
 *     if (row) await tx.webhooks.emit('session.revoked', { userId: row.userId, sessionId: id, reason: 'logout' });
 *   });
 */
import type { Clock } from './clock.js';
import type { Repositories } from './ports.js';
import type {
  Transactions,
  WebhookEmitter,
  WebhookEventType,
  WebhookOutboxRepository,
  WebhookPayload,
} from './webhookPorts.js';

/** An emitter writing to `outbox` (one transaction's) for `urls`; a no-op without URLs. */
export function webhookEmitter(outbox: WebhookOutboxRepository, urls: readonly string[], clock: Clock): WebhookEmitter {
  return {
    enabled: urls.length > 0,
    async emit(type, data) {
      if (!urls.length) return;
      const payload: WebhookPayload = { type, timestamp: new Date(clock.now()).toISOString(), data };
      await outbox.enqueue(payload, urls);
    },
  };
}

/** Events to emit, as `[type, data]` pairs. */
export type WebhookEvents = ReadonlyArray<readonly [WebhookEventType, Record<string, unknown>]>;

/**
 * Make a change with `write` and emit the events `events(result)` names, atomically: in a
 * transaction (on its repositories) when webhooks are on; on `outer` as before when they are
 * off (or `transactions` is not given, as in unit tests), so a server without WEBHOOK_URLS
 * pays nothing.
 *
 * @example
 *   const row = await changeWithEvents(transactions, repos, (r) => r.sessions.revoke(id, reason, null),
 *     (row) => (row ? [['session.revoked', { userId: row.userId, sessionId: id, reason }]] : []));
 */
export async function changeWithEvents<K extends keyof Repositories, T>(
  transactions: Transactions | undefined,
  outer: Pick<Repositories, K>,
  write: (repos: Pick<Repositories, K>) => Promise<T>,
  events: (result: T) => WebhookEvents,
): Promise<T> {
  if (!transactions?.emitting) return write(outer);
  return transactions.run(async (tx) => {
    const result = await write(tx.repos);
    for (const [type, data] of events(result)) await tx.webhooks.emit(type, data);
    return result;
  });
}

export interface RetrySchedule {
  /** The delay after the first failure (before jitter). */
  baseMs: number;
  /** The longest delay. */
  maxMs: number;
}

/**
 * How long to wait after failed attempt number `attempt` (1 = the first): exponential
 * (base, 2×base, 4×base, … up to max) with "equal jitter" — between half and all of it —
 * so endpoints that come back are not hit by every instance's retries at the same instant.
 * `random` is in [0, 1).
 *
 * @example
 *   retryDelayMs(1, { baseMs: 10_000, maxMs: 3_600_000 }, Math.random); // 5–10 s
 */
export function retryDelayMs(attempt: number, schedule: RetrySchedule, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const full = Math.min(schedule.baseMs * 2 ** exponent, schedule.maxMs);
  return Math.round(full / 2 + (random() * full) / 2);
}
