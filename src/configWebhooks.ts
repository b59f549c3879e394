/**
 * The webhook settings (API.md §7, docs/webhooks.md): where events go, the Standard Webhooks
 * signing secret, and the delivery worker's timing. Parsed with the rest in `loadConfig`
 * (src/config.ts); kept apart so that file stays small.
 */
import { z } from 'zod';
import { duration, type ParsedVariables, wait } from './configValues.js';

/** `https://…` or `http://…` endpoints, comma separated. */
const urlList = z.string().transform((value, ctx) => {
  const out: string[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {}
    if (!url || !/^https?:$/.test(url.protocol)) {
      ctx.addIssue({ code: 'custom', message: 'a comma list of http(s) URLs such as https://api.example.com/hooks' });
      return z.NEVER;
    }
    out.push(url.toString());
  }
  return [...new Set(out)];
});

/** Standard Webhooks: `whsec_` and the base64 of 24 to 64 random bytes. */
const secretBytes = (v: string) => Buffer.from(v.slice('whsec_'.length), 'base64').length;
const secret = z
  .string()
  .refine(
    (v) => /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(v) && secretBytes(v) >= 24 && secretBytes(v) <= 64,
    'whsec_ followed by the base64 of 24 to 64 random bytes (openssl rand -base64 32)',
  );

export const webhookVariables = {
  WEBHOOK_URLS: [urlList, undefined],
  WEBHOOK_SECRET: [secret, undefined],
  WEBHOOK_TIMEOUT: [wait(100), '10s'],
  WEBHOOK_RETRY_BASE: [wait(10), '10s'],
  WEBHOOK_RETRY_MAX: [wait(10), '1h'],
  WEBHOOK_RETRY_WINDOW: [duration(1000), '24h'],
  WEBHOOK_POLL_INTERVAL: [wait(10), '1s'],
} as const;

export interface WebhookConfig {
  /** Endpoints every event is delivered to; empty: webhooks are off (nothing is written). */
  webhookUrls: string[];
  /** `whsec_…`; required when `webhookUrls` is not empty. */
  webhookSecret: string | undefined;
  /** Longest one delivery attempt may take (connect, send, answer). */
  webhookTimeoutMs: number;
  /** Delay before the first retry (with jitter, between half and all of it); doubles after each failure. */
  webhookRetryBaseMs: number;
  /** Longest delay between two attempts. */
  webhookRetryMaxMs: number;
  /** How long after the event attempts go on (measured on the database clock); then it is marked failed. */
  webhookRetryWindowMs: number;
  /** How often each instance looks for due deliveries. */
  webhookPollMs: number;
}

type Parsed = ParsedVariables<typeof webhookVariables>;

/** The webhook settings (`loadConfig` refuses URLs without a secret: an unsigned webhook cannot be trusted). */
export function webhooksConfig(p: Parsed): WebhookConfig {
  return {
    webhookUrls: p.WEBHOOK_URLS ?? [],
    webhookSecret: p.WEBHOOK_SECRET,
    webhookTimeoutMs: p.WEBHOOK_TIMEOUT,
    webhookRetryBaseMs: p.WEBHOOK_RETRY_BASE,
    webhookRetryMaxMs: Math.max(p.WEBHOOK_RETRY_MAX, p.WEBHOOK_RETRY_BASE),
    webhookRetryWindowMs: p.WEBHOOK_RETRY_WINDOW,
    webhookPollMs: p.WEBHOOK_POLL_INTERVAL,
  };
}
