/**
 * The webhook delivery worker, one in every instance (started by `serve`, stopped on
 * shutdown). Each poll claims due outbox rows (a lease under FOR UPDATE SKIP LOCKED, so
 * no two instances post one row at once), signs each body with Standard Webhooks
 * (`webhook-id` = the row's id, the same on every attempt; `webhook-timestamp`;
 * `webhook-signature`), posts it within WEBHOOK_TIMEOUT, and records the outcome: a 2xx
 * answer delivers it; anything else is retried with exponential backoff and jitter until
 * WEBHOOK_RETRY_WINDOW (on the database clock) has passed, then marked failed (a metric
 * and a log line; `latchkey webhooks retry ID` queues it again). Requests never wait for it.
 *
 * @example
 *   const worker = createWebhookWorker({ outbox, settings, log });
 *   worker.start();          // polls every WEBHOOK_POLL_INTERVAL
 *   await worker.stop();     // no new claims; attempts in flight are cut short and retried later
 */
import { Webhook } from 'standardwebhooks';
import type { WebhookConfig } from '../configWebhooks.js';
import { retryDelayMs } from '../auth/webhooks.js';
import type { ClaimedDelivery, WebhookOutboxRepository } from '../auth/webhookPorts.js';
import type { Log } from '../shared/log.js';

/** What the worker tells metrics: each attempt's outcome. */
export interface DeliveryEvents {
  attempt(result: 'delivered' | 'retry' | 'failed'): void;
}

export interface WebhookWorkerDeps {
  outbox: WebhookOutboxRepository;
  settings: WebhookConfig;
  log: Log;
  events?: DeliveryEvents;
  /** In [0, 1): the jitter (tests pass a fixed one). */
  random?: () => number;
}

/** Rows taken per poll; posted concurrently, each within the time limit. */
const BATCH = 20;
/** A lease outlives the time limit by this much: the row's outcome is written before another instance may take it. */
const LEASE_MARGIN_MS = 5_000;

export function createWebhookWorker({
  outbox,
  settings,
  log,
  events = { attempt: () => {} },
  random = Math.random,
}: WebhookWorkerDeps) {
  const signer = settings.webhookSecret ? new Webhook(settings.webhookSecret) : undefined;
  const inFlight = new Set<AbortController>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let failing = false;

  /** One attempt: undefined when delivered, else why not. */
  const post = async (row: ClaimedDelivery): Promise<string | undefined> => {
    if (!signer) return 'WEBHOOK_SECRET is not set';
    const body = JSON.stringify(row.payload);
    const at = new Date();
    const controller = new AbortController();
    inFlight.add(controller);
    const limit = setTimeout(
      () => controller.abort(new Error(`no answer within ${settings.webhookTimeoutMs} ms`)),
      settings.webhookTimeoutMs,
    );
    try {
      const res = await fetch(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Latchkey-Webhooks',
          'webhook-id': row.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(row.id, at, body),
        },
        body,
        redirect: 'manual',
        signal: controller.signal,
      });
      // Read (and drop) the answer within the same limit, so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (e) {
      const reason = controller.signal.aborted ? controller.signal.reason : e;
      const cause = (reason as { cause?: { code?: string } })?.cause?.code;
      return reason instanceof Error ? `${reason.message}${cause ? ` (${cause})` : ''}` : String(reason);
    } finally {
      clearTimeout(limit);
      inFlight.delete(controller);
    }
  };

  const deliver = async (row: ClaimedDelivery): Promise<void> => {
    const error = await post(row);
    if (!error) {
      await outbox.delivered(row.id, row.attempts);
      events.attempt('delivered');
      return;
    }
    const delay = retryDelayMs(
      row.attempts,
      { baseMs: settings.webhookRetryBaseMs, maxMs: settings.webhookRetryMaxMs },
      random,
    );
    if (row.ageMs + delay <= settings.webhookRetryWindowMs) {
      await outbox.retryLater(row.id, row.attempts, delay, error);
      events.attempt('retry');
      return;
    }
    await outbox.failed(row.id, row.attempts, error);
    events.attempt('failed');
    log.warn(
      { webhookId: row.id, event: row.event, endpoint: new URL(row.url).origin, attempts: row.attempts, error },
      `webhook ${row.event} to ${new URL(row.url).origin} failed for good after ${row.attempts} attempts; "latchkey webhooks retry ${row.id}" sends it again`,
    );
  };

  /** Claim what is due and attempt it; the number of rows attempted. */
  const runOnce = async (): Promise<number> => {
    const rows = await outbox.claim(BATCH, settings.webhookTimeoutMs + LEASE_MARGIN_MS);
    // One row's database trouble must not lose another's outcome: each is settled on its own.
    const results = await Promise.allSettled(rows.map(deliver));
    const broken = results.find((r) => r.status === 'rejected');
    if (broken) throw (broken as PromiseRejectedResult).reason;
    return rows.length;
  };

  const tick = () => {
    if (running) return;
    running = runOnce();
    running
      .then(
        (n) => {
          if (failing) log.info({ task: 'webhook delivery' }, 'webhook delivery works again');
          failing = false;
          // A full batch: more may be due; go on without waiting for the next tick.
          if (n === BATCH && timer) setImmediate(tick);
        },
        (err) => {
          if (!failing)
            log.warn({ err, task: 'webhook delivery' }, 'webhook delivery failed; retrying quietly until it works');
          failing = true;
        },
      )
      .finally(() => {
        running = undefined;
      });
  };

  return {
    /** Poll every WEBHOOK_POLL_INTERVAL (and once now); does nothing without WEBHOOK_URLS. */
    start() {
      if (timer || !settings.webhookUrls.length) return;
      timer = setInterval(tick, settings.webhookPollMs);
      timer.unref();
      tick();
    },
    /** Stop polling; attempts in flight are cut short (and so retried later), then their outcome is written. */
    async stop() {
      clearInterval(timer);
      timer = undefined;
      for (const c of inFlight) c.abort(new Error('shutting down'));
      await running?.catch(() => undefined);
    },
    runOnce,
  };
}
