/**
 * The retry schedule of webhook deliveries (docs/webhooks.md): exponential from
 * WEBHOOK_RETRY_BASE, capped at WEBHOOK_RETRY_MAX, with "equal jitter" (between half and
 * all of each delay); and the webhook settings as loadConfig checks them.
 */
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../../src/auth/webhooks.js';
import { ConfigError, loadConfig } from '../../../src/config.js';

const defaults = { baseMs: 10_000, maxMs: 3_600_000 };
const lowest = () => 0;
const highest = () => 1 - Number.EPSILON;

describe('retryDelayMs', () => {
  it('retries the first failure within 5–10 s with the default settings (within the 30 s the contract allows)', () => {
    expect(retryDelayMs(1, defaults, lowest)).toBe(5_000);
    expect(retryDelayMs(1, defaults, highest)).toBe(10_000);
  });

  it('doubles the delay after each failure, up to the cap', () => {
    const full = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((n) => retryDelayMs(n, defaults, highest));
    expect(full).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000, 2_560_000, 3_600_000, 3_600_000,
    ]);
    expect(retryDelayMs(1_000, defaults, highest)).toBe(3_600_000);
  });

  it('spreads each delay between half and all of it, so retries from many instances do not arrive together', () => {
    const spread = [0, 0.25, 0.5, 0.75].map((r) => retryDelayMs(3, defaults, () => r));
    expect(spread).toEqual([20_000, 25_000, 30_000, 35_000]);
  });

  it('keeps trying for the 24 h window: about 40 attempts with the defaults, none more than an hour apart', () => {
    let elapsed = 0;
    let attempts = 1;
    while (elapsed + retryDelayMs(attempts, defaults, () => 0.5) <= 24 * 3_600_000) {
      elapsed += retryDelayMs(attempts, defaults, () => 0.5);
      attempts++;
    }
    expect(attempts).toBeGreaterThan(20);
    expect(attempts).toBeLessThan(50);
  });
});

describe('webhook settings', () => {
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

  it('are off by default, with the documented timings', () => {
    expect(loadConfig({})).toMatchObject({
      webhookUrls: [],
      webhookSecret: undefined,
      webhookTimeoutMs: 10_000,
      webhookRetryBaseMs: 10_000,
      webhookRetryMaxMs: 3_600_000,
      webhookRetryWindowMs: 24 * 3_600_000,
      webhookPollMs: 1_000,
    });
  });

  it('take a comma list of URLs and a whsec_ secret', () => {
    const config = loadConfig({
      WEBHOOK_URLS: 'https://a.example/hooks, http://127.0.0.1:9000/x',
      WEBHOOK_SECRET: secret,
    });
    expect(config.webhookUrls).toEqual(['https://a.example/hooks', 'http://127.0.0.1:9000/x']);
    expect(config.webhookSecret).toBe(secret);
  });

  it('refuse URLs without a secret, a secret not in the whsec_ form, and a URL that is not http(s), naming the variable', () => {
    expect(() => loadConfig({ WEBHOOK_URLS: 'https://a.example/hooks' })).toThrow(
      /WEBHOOK_SECRET is required when WEBHOOK_URLS is set/,
    );
    expect(() => loadConfig({ WEBHOOK_SECRET: 'plain-secret-of-some-length' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_SECRET: 'plain-secret-of-some-length' })).toThrow(
      /^WEBHOOK_SECRET=\(hidden\) is invalid: expected whsec_/,
    );
    expect(() => loadConfig({ WEBHOOK_URLS: 'ftp://a.example/x', WEBHOOK_SECRET: secret })).toThrow(
      /^WEBHOOK_URLS="ftp:\/\/a.example\/x" is invalid: expected a comma list of http\(s\) URLs/,
    );
  });
});
