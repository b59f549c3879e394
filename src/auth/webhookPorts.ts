/**
 * What webhooks need from storage, declared by the domain (src/store/ implements it):
 * the outbox, one row per event and endpoint, written in the same transaction as the
 * change it tells of; and the transaction itself, whose `webhooks.emit` writes those rows.
 */
import type { Repositories } from './ports.js';

/** The events of API.md §10.3. */
export const WEBHOOK_EVENTS = [
  'user.created',
  'user.deleted',
  'user.signed_in',
  'user.deactivated',
  'session.revoked',
  'password.changed',
  'email.changed',
  'mfa.enabled',
  'mfa.disabled',
  'identity.linked',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** The body delivered, exactly: never a secret (no password, hash, token, code or factor secret). */
export interface WebhookPayload {
  type: WebhookEventType;
  /** ISO 8601 time of the change. */
  timestamp: string;
  data: Record<string, unknown>;
}

/** A row of the outbox as the worker and the CLI see it. */
export interface OutboxRow {
  /** The Standard Webhooks `webhook-id`: the same on every attempt. */
  id: string;
  url: string;
  event: string;
  payload: WebhookPayload;
  createdAt: Date;
  attempts: number;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  failedAt: Date | null;
  lastError: string | null;
}

/** A row claimed for one attempt: `ageMs` is its age on the database clock when claimed. */
export interface ClaimedDelivery extends Pick<OutboxRow, 'id' | 'url' | 'event' | 'payload' | 'attempts'> {
  ageMs: number;
}

export interface WebhookOutboxRepository {
  /** One row per URL, due at once (the database's time). */
  enqueue(payload: WebhookPayload, urls: readonly string[]): Promise<void>;
  /**
   * Claim up to `limit` due rows (FOR UPDATE SKIP LOCKED), counting the attempt and moving
   * `next_attempt_at` `leaseMs` ahead as a lease: no other instance claims them meanwhile.
   * Rows for the URLs in `skipUrls` (endpoints this worker already has enough in flight to) stay.
   */
  claim(limit: number, leaseMs: number, skipUrls?: readonly string[]): Promise<ClaimedDelivery[]>;
  /** The attempt `attempts` of row `id` succeeded (ignored when another attempt took the row since). */
  delivered(id: string, attempts: number): Promise<void>;
  /** It failed: try again `delayMs` after the database's now. */
  retryLater(id: string, attempts: number, delayMs: number, error: string): Promise<void>;
  /** It failed for good (the retry window is over). */
  failed(id: string, attempts: number, error: string): Promise<void>;
  /** Newest first; `failed`: only those that ran out of retries. */
  list(opts: { failed: boolean; limit: number }): Promise<OutboxRow[]>;
  /** Queue a row again (a failed or pending one) with a fresh retry window; false when none has that id or it was delivered. */
  requeue(id: string): Promise<boolean>;
}

/** Writes webhook events; inside a transaction, the rows commit (or roll back) with the change. */
export interface WebhookEmitter {
  /** Queue `type` with `data` for every configured URL; nothing when webhooks are off. */
  emit(type: WebhookEventType, data: Record<string, unknown>): Promise<void>;
  /** False when no URL is configured: callers on a hot path may then skip opening a transaction. */
  readonly enabled: boolean;
}

/** The repositories bound to one transaction, and the webhook outbox of that transaction. */
export interface Transaction {
  repos: Repositories;
  webhooks: WebhookEmitter;
}

/**
 * Run `fn` in one database transaction: everything it does through `tx.repos` and
 * `tx.webhooks` commits together or not at all. Use only `tx` inside it — the embedded
 * database has one connection, so a call on the outer repositories would wait for the
 * transaction to end — and do side effects outside the database (revocation fan-out, mail,
 * audit counters) after it returns.
 *
 * @example
 *   await transactions.run(async (tx) => {
 *     await tx.repos.users.setActive(user.id, false);
 *     await tx.webhooks.emit('user.deactivated', { userId: user.id });
 *   });
 */
export interface Transactions {
  run<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** True when webhooks are configured: a change whose only reason for a transaction is its event may skip it otherwise. */
  readonly emitting: boolean;
}
