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

/**
 * Attempts in flight at once, and at most about this many to one URL: an endpoint that hangs
 * holds its share of slots until its time limit, never the others' (a waiting request costs a
 * socket, not CPU). A slot is taken again as soon as its attempt ends, not when a batch does.
 */
const SLOTS = 64;
const PER_URL = 32;
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

  /** Attempts in flight, and how many to each URL. */
  const active = new Set<Promise<void>>();
  const perUrl = new Map<string, number>();
  let claiming: Promise<void> | undefined;

  /** The database failed under the worker (a claim, or an outcome not written): said once until it works. */
  const trouble = (err: unknown) => {
    if (!failing)
      log.warn({ err, task: 'webhook delivery' }, 'webhook delivery failed; retrying quietly until it works');
    failing = true;
  };

  const begin = (row: ClaimedDelivery) => {
    perUrl.set(row.url, (perUrl.get(row.url) ?? 0) + 1);
    const attempt: Promise<void> = deliver(row)
      .catch(trouble)
      .finally(() => {
        active.delete(attempt);
        const left = (perUrl.get(row.url) ?? 1) - 1;
        if (left) perUrl.set(row.url, left);
        else perUrl.delete(row.url);
      });
    active.add(attempt);
  };

  /** Claim as many due rows as there are free slots (none for a URL that has its share) and start them. */
  const fill = async (): Promise<void> => {
    const free = SLOTS - active.size;
    if (free <= 0) return;
    const full = [...perUrl].filter(([, n]) => n >= PER_URL).map(([url]) => url);
    const rows = await outbox.claim(free, settings.webhookTimeoutMs + LEASE_MARGIN_MS, full);
    if (failing) log.info({ task: 'webhook delivery' }, 'webhook delivery works again');
    failing = false;
    for (const row of rows) begin(row);
    // Every free slot taken: more may be due; go on without waiting for the next tick.
    if (rows.length === free && timer) setImmediate(tick);
  };

  const tick = () => {
    if (claiming || !timer) return;
    claiming = fill()
      .catch(trouble)
      .finally(() => {
        claiming = undefined;
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
      await claiming;
      await Promise.all(active);
    },
  };
}
