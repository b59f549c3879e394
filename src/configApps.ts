/**
 * The settings of API.md §7 that let other apps and services stand on Latchkey:
 * where it is seen from (`PUBLIC_URL`), where GraphQL lives, which origins may
 * call it or be returned to, the revocation feed and key activation. Parsed with
 * the rest in `loadConfig` (src/config.ts); kept apart so that file stays small.
 */
import { z } from 'zod';
import { bool, duration, type ParsedVariables } from './configValues.js';

/** Seconds other services may cache `/.well-known/jwks.json` (its `Cache-Control: max-age`). */
export const JWKS_MAX_AGE_S = 300;

/** `https://app.example.com` exactly: a scheme and a host (and port), no path, no wildcard. */
function origin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (!/^https?:$/.test(url.protocol) || url.origin !== value.replace(/\/$/, '')) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

const originList = z.string().transform((value, ctx) => {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const out: string[] = [];
  for (const item of items) {
    const o = origin(item);
    if (!o) {
      ctx.addIssue({
        code: 'custom',
        message: `a comma list of exact origins like https://app.example.com (not ${JSON.stringify(item)})`,
      });
      return z.NEVER;
    }
    out.push(o);
  }
  return out;
});

const path = z
  .string()
  .regex(/^(\/[\w\-.~]+)+$/, 'a path such as /graphql or /api/graphql (no trailing slash)')
  .refine(
    (p) => !/^\/(\.well-known|healthz|readyz|metrics|revocations|assets)(\/|$)/.test(p),
    'a path not used by the server itself',
  );

export const appVariables = {
  PUBLIC_URL: [
    z.string().transform((v, ctx) => {
      const o = origin(v);
      if (o) return o;
      ctx.addIssue({ code: 'custom', message: 'an origin such as https://auth.example.com' });
      return z.NEVER;
    }),
    undefined,
  ],
  GRAPHQL_PATH: [path, '/graphql'],
  COOKIE_DOMAIN: [z.string().regex(/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/i, 'a host name such as example.com'), undefined],
  CORS_ORIGINS: [originList, undefined],
  REDIRECT_ORIGINS: [originList, undefined],
  WEB_APP: [bool, 'true'],
  REVOCATION_FEED_TOKEN: [z.string().min(32, 'at least 32 characters'), undefined],
  KEY_ACTIVATION_DELAY: [duration(0), `${(JWKS_MAX_AGE_S + 60) / 60}m`],
} as const;

export interface AppsConfig {
  /** The origin people and other services see, e.g. `https://auth.example.com`. */
  publicUrl: string;
  graphqlPath: string;
  /** `Domain` of the refresh cookie; undefined: host-only. */
  cookieDomain: string | undefined;
  /** Origins allowed to call GRAPHQL_PATH with credentials (exact). */
  corsOrigins: string[];
  /** Origins `next=` may return to, besides this one. */
  redirectOrigins: string[];
  webApp: boolean;
  /** Bearer token of `GET /revocations`; undefined: the feed is off (404). */
  revocationFeedToken: string | undefined;
  /** How long a key made by `keys rotate` is published before it signs. */
  keyActivationDelayMs: number;
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|::1|\[::1\])$/i;

/** API.md §7: `http://localhost:PORT` for a loopback HOST, else `http://HOST:PORT`. */
export function defaultPublicUrl(host: string, port: number): string {
  if (LOOPBACK.test(host)) return `http://localhost:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

type Parsed = ParsedVariables<typeof appVariables>;

export function appsConfig(p: Parsed, host: string, port: number): AppsConfig {
  return {
    publicUrl: p.PUBLIC_URL ?? defaultPublicUrl(host, port),
    graphqlPath: p.GRAPHQL_PATH,
    cookieDomain: p.COOKIE_DOMAIN,
    corsOrigins: p.CORS_ORIGINS ?? [],
    redirectOrigins: p.REDIRECT_ORIGINS ?? [],
    webApp: p.WEB_APP,
    revocationFeedToken: p.REVOCATION_FEED_TOKEN,
    keyActivationDelayMs: p.KEY_ACTIVATION_DELAY,
  };
}
