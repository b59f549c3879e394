/**
 * The kinds of value a setting takes (durations, booleans, whole numbers, rate limits, proxies,
 * one of a list), as zod schemas that turn the string typed into the value used and say
 * what was expected when it is wrong. `config.ts` names the settings.
 *
 * @example
 *   duration(1000).parse('5m'); // 300000
 */
import { isIP } from 'node:net';
import ms from 'ms';
import { z } from 'zod';

/** A group of settings: each variable's schema and its default (undefined: none). */
type Variables = Record<string, readonly [z.ZodType, string | undefined]>;

/** What `loadConfig` hands a group's mapping: each variable of `V` parsed by its schema. */
export type ParsedVariables<V extends Variables> = { [K in keyof V]: z.output<V[K][0]> };

const DAY_MS = 86_400_000;
/** The longest lifetime a setting may give (ten years): far beyond it, times overflow what dates hold. */
export const LIFETIME_MAX_MS = 3650 * DAY_MS;
/** The longest wait Node's timers take (~24.8 days): a longer one would fire at once. */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/** `24d` for the timers' limit: whole days rounded down, so the bound said is one that is accepted. */
const atMost = (max: number) => (max >= DAY_MS ? `${Math.floor(max / DAY_MS)}d` : ms(max));

/**
 * A duration such as `90s`, `5m`, `12h`, `30d` (or a bare number of milliseconds), from `min`
 * to `max` — a lifetime by default; a setting that arms a timer passes TIMER_MAX_MS.
 */
export const duration = (min = 0, max = LIFETIME_MAX_MS) =>
  z.string().transform((value, ctx) => {
    const parsed = /^\d+$/.test(value.trim()) ? Number(value) : ms(value.trim() as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < min || parsed > max) {
      const from = min ? `at least ${ms(min)}, ` : '';
      ctx.addIssue({ code: 'custom', message: `a duration like 90s, 5m, 12h or 30d (${from}at most ${atMost(max)})` });
      return z.NEVER;
    }
    return parsed;
  });

/** A wait that arms a timer (a timeout, an interval): at most TIMER_MAX_MS. */
export const wait = (min = 0) => duration(min, TIMER_MAX_MS);

/** An IP address or a DNS host name (RFC 1123 labels), as `listen` takes it: no scheme, port or brackets. */
export const hostName = z
  .string()
  .refine(
    (v) =>
      isIP(v) !== 0 ||
      /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(v),
    'an IP address or a host name such as 0.0.0.0, ::, localhost or auth.internal',
  );

export const bool = z.string().transform((value, ctx) => {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  ctx.addIssue({ code: 'custom', message: 'true or false' });
  return z.NEVER;
});

export const int = (min: number, max: number) =>
  z.string().transform((value, ctx) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

/**
 * A rate limit `POINTS/DURATION`, e.g. `10/15m`: at most POINTS in DURATION.
 * Durations under a second work in memory; Redis counts whole seconds, so they are rounded up there.
 */
export const rate = z.string().transform((value, ctx) => {
  const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(value);
  const points = m ? Number(m[1]) : NaN;
  const span = m ? (/^\d+$/.test(m[2]) ? Number(m[2]) : ms(m[2] as ms.StringValue)) : NaN;
  if (!Number.isInteger(points) || points < 1 || typeof span !== 'number' || !Number.isFinite(span) || span < 100) {
    ctx.addIssue({ code: 'custom', message: 'POINTS/DURATION, e.g. 10/15m (at least 1 point, at least 100ms)' });
    return z.NEVER;
  }
  return { points, durationMs: span };
});

/** A rate limit: at most `points` in `durationMs`. */
export interface Rate {
  points: number;
  durationMs: number;
}

/** One of `values`, in any letter case (`strict` → `Strict`); the canonical spelling is kept. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((value, ctx) => {
    const found = values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
    if (found === undefined) {
      ctx.addIssue({ code: 'custom', message: `one of ${values.join(', ')}` });
      return z.NEVER;
    }
    return found as T[number];
  });

/**
 * TRUST_PROXY in Fastify's `trustProxy` forms: `false`; `true` = one proxy hop (the
 * right-most X-Forwarded-For entry, the one our proxy wrote); a hop count; or a comma
 * list of proxy addresses and CIDR ranges (`10.0.0.0/8`, `::1`, `loopback`). Never
 * Fastify's own `true`, which believes the left-most entry: the client writes that one.
 */
export const trustProxy = z.string().transform((value, ctx): TrustProxy => {
  const v = value.trim().toLowerCase();
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  if (['true', 'yes', 'on'].includes(v)) return 1;
  if (/^\d+$/.test(v) && Number(v) <= 32) return Number(v);
  const entries = v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const named = ['loopback', 'linklocal', 'uniquelocal'];
  const valid = (e: string) => {
    if (named.includes(e)) return true;
    const [address, bits, ...rest] = e.split('/');
    const family = isIP(address);
    if (!family || rest.length) return false;
    return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  };
  if (entries.length && entries.every(valid)) return entries;
  ctx.addIssue({
    code: 'custom',
    message: 'false, true (one proxy), a hop count, or a comma list of proxy addresses or CIDR ranges',
  });
  return z.NEVER;
});

/** `false`, a number of proxy hops, or the proxies' addresses and ranges. */
export type TrustProxy = false | number | string[];
