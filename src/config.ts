/**
 * Settings: the environment turned into one validated, typed object.
 *
 * Every variable of API.md §2 is parsed here and nowhere else. A bad value
 * throws a ConfigError whose message names the variable, the value and what
 * was expected, so `latchkey serve` can print one line and exit.
 *
 * @example
 *   const config = loadConfig(process.env);
 *   config.accessTokenTtlMs; // 300000
 */
import { z } from 'zod';
import { type AppsConfig, appsConfig, appVariables } from './configApps.js';
import { type OAuthProviderConfig, oauthConfig } from './configOAuth.js';
import { type SecurityConfig, securityConfig, securityVariables } from './configSecurity.js';
import { type WebhookConfig, webhooksConfig, webhookVariables } from './configWebhooks.js';
import { type AccountsConfig, accountsConfig, accountVariables } from './configAccounts.js';
import { type RateLimits, limitVariables, rateLimitsConfig } from './configLimits.js';
import {
  bool,
  duration,
  hostName,
  int,
  oneOf,
  type ParsedVariables,
  type TrustProxy,
  trustProxy,
  wait,
} from './configValues.js';

export type { RateLimits } from './configLimits.js';
export type { Rate, TrustProxy } from './configValues.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A URL as it may be printed: the password of `scheme://user:password@host` replaced by `***`.
 *
 * @example
 *   hideUrlPassword('postgres://app:s3cret@db/latchkey'); // 'postgres://app:***@db/latchkey'
 */
export function hideUrlPassword(value: string): string {
  return value.replace(/^([a-z][\w+.-]*:\/\/[^/:@]*):[^@/]*@/i, '$1:***@');
}

const algs = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const;
export type JwtAlg = (typeof algs)[number];

/** Each variable: its schema and its default (as the string a user would type). */
const variables = {
  PORT: [int(0, 65535), '4000'],
  HOST: [hostName, '127.0.0.1'],
  DATABASE_URL: [
    z.string().refine((v) => v === 'memory:' || /^postgres(ql)?:\/\//.test(v), 'memory: or a postgres:// URL'),
    undefined,
  ],
  LATCHKEY_DATA_DIR: [z.string().min(1, 'a directory'), './.latchkey'],
  LATCHKEY_KEY_SECRET: [z.string().min(16, 'at least 16 characters'), undefined],
  LATCHKEY_AUTO_MIGRATE: [bool, 'false'],
  REDIS_URL: [z.string().regex(/^rediss?:\/\//, 'a redis:// URL'), undefined],
  DATABASE_QUERY_TIMEOUT: [wait(100), '5s'],
  DATABASE_POOL_TIMEOUT: [wait(100), '3s'],
  REDIS_COMMAND_TIMEOUT: [wait(10), '100ms'],
  REDIS_BREAKER_COOLDOWN: [wait(100), '5s'],
  HTTP_REQUEST_TIMEOUT: [wait(100), '30s'],
  HTTP_HEADERS_TIMEOUT: [wait(100), '10s'],
  HTTP_IDLE_TIMEOUT: [wait(100), '60s'],
  HTTP_KEEP_ALIVE_TIMEOUT: [wait(100), '5s'],
  ACCESS_TOKEN_TTL: [duration(1000), '5m'],
  REFRESH_TOKEN_TTL: [duration(1000), '1d'],
  REMEMBER_ME_TTL: [duration(1000), '30d'],
  SESSION_ABSOLUTE_TTL: [duration(1000), '90d'],
  REFRESH_REUSE_GRACE: [duration(0), '10s'],
  JWT_ALG: [oneOf(algs), 'EdDSA'],
  JWT_SECRET: [z.string().min(32, 'at least 32 characters (256 bits)'), undefined],
  JWT_ISSUER: [z.string().min(1, 'a non-empty string'), 'latchkey'],
  JWT_AUDIENCE: [z.string().min(1, 'a non-empty string'), 'latchkey'],
  JWT_LEEWAY: [duration(0), '0s'],
  COOKIE_SECURE: [bool, 'true'],
  COOKIE_SAMESITE: [oneOf(['Strict', 'Lax', 'None']), 'Strict'],
  OTP_TTL: [duration(1000), '5m'],
  OTP_MAX_ATTEMPTS: [int(1, 100), '5'],
  MAIL_URL: [
    z.string().regex(/^(console|file:.+|smtps?:\/\/.+)$/, 'console, file:DIR or smtp://user:pass@host:port'),
    'console',
  ],
  MAIL_FROM: [z.string().min(3, 'a sender such as "Latchkey <no-reply@example.com>"'), 'Latchkey <no-reply@localhost>'],
  PASSWORD_BLOCK_COMMON: [bool, 'true'],
  REVOCATION_POLL_INTERVAL: [wait(0), '500ms'],
  USER_CACHE_TTL: [duration(0), '1s'],
  REDIS_KEY_PREFIX: [z.string().regex(/^[\w:.-]{1,64}$/, 'letters, digits, _ : . - (at most 64)'), 'latchkey'],
  ...limitVariables,
  TRUST_PROXY: [trustProxy, 'false'],
  REQUIRE_EMAIL_VERIFICATION: [bool, 'false'],
  // The list itself; each provider's OAUTH_<ID>_* settings are read by src/configOAuth.ts.
  OAUTH_PROVIDERS: [z.string(), undefined],
  OAUTH_TIMEOUT: [wait(100), '5s'],
  EXPOSE_REFRESH_TOKEN: [bool, 'false'],
  GRAPHQL_MAX_DEPTH: [int(1, 100), '10'],
  GRAPHQL_MAX_ALIASES: [int(1, 1000), '30'],
  ...securityVariables,
  LOG_LEVEL: [oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'],
  NODE_ENV: [z.string(), 'development'],
  ...appVariables,
  ...webhookVariables,
  ...accountVariables,
} as const satisfies Record<string, readonly [z.ZodType, string | undefined]>;

/** Every setting this server reads, with its default as typed (undefined: unset), e.g. `{ PORT: '4000', … }`. */
export const settingDefaults: Readonly<Record<string, string | undefined>> = Object.fromEntries(
  Object.entries(variables).map(([name, [, fallback]]) => [name, fallback]),
);

type Parsed = ParsedVariables<typeof variables>;

export interface Config extends AppsConfig, SecurityConfig, WebhookConfig, AccountsConfig {
  port: number;
  host: string;
  /** `undefined` → embedded PGlite in dataDir; `memory:` → in-memory PGlite; else a PostgreSQL URL. */
  databaseUrl: string | undefined;
  dataDir: string;
  keySecret: string | undefined;
  /** External sign-in providers (OAUTH_PROVIDERS, src/configOAuth.ts); empty: none. */
  oauthProviders: OAuthProviderConfig[];
  /** Longest a request to a provider (discovery, token, user info) may take. */
  oauthTimeoutMs: number;
  autoMigrate: boolean;
  redisUrl: string | undefined;
  /**
   * Longest a database statement may run (PostgreSQL's statement_timeout and
   * idle_in_transaction_session_timeout, and node-postgres' query_timeout); a rotation
   * not done by then is not done at all.
   */
  databaseQueryTimeoutMs: number;
  /** Longest a request waits for a pooled database connection (or a new one). */
  databasePoolTimeoutMs: number;
  /** Longest a request waits on Redis before going on without it (and skipping it for a while). */
  redisCommandTimeoutMs: number;
  /** How long Redis is skipped after a command timed out or failed. */
  redisBreakerCooldownMs: number;
  /** HTTP: whole request received within; headers within; a socket silent this long is closed; keep-alive idle. */
  httpRequestTimeoutMs: number;
  httpHeadersTimeoutMs: number;
  httpIdleTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  rememberMeTtlMs: number;
  sessionAbsoluteTtlMs: number;
  refreshReuseGraceMs: number;
  jwtAlg: JwtAlg;
  jwtSecret: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  jwtLeewayMs: number;
  cookieSecure: boolean;
  cookieSameSite: 'Strict' | 'Lax' | 'None';
  otpTtlMs: number;
  otpMaxAttempts: number;
  mailUrl: string;
  /** The From of every message sent. */
  mailFrom: string;
  /** Refuse new passwords found in the shipped list of the 10,000 most common ones. */
  passwordBlockCommon: boolean;
  /**
   * How often each instance reads from the database the sessions revoked elsewhere; 0 = never
   * (then only Redis pub/sub, and the reloads at start and after a Redis reconnect, bring them).
   */
  revocationPollMs: number;
  /**
   * How long `me` may answer from this instance's memory (src/auth/userCache.ts): a change made
   * through another instance shows within it; 0 = always read the database.
   */
  userCacheTtlMs: number;
  /** Prefix of every Redis key this server writes (one per deployment or test run). */
  redisKeyPrefix: string;
  /** Rate limits (see docs/abuse-controls.md). */
  rateLimits: RateLimits;
  trustProxy: TrustProxy;
  /** Password sign-up and sign-in answer EMAIL_NOT_VERIFIED (and mail a code) until the address is proven. */
  requireEmailVerification: boolean;
  /** Hand refresh tokens to non-browser clients in `AuthPayload.refreshToken`. */
  exposeRefreshToken: boolean;
  graphqlMaxDepth: number;
  graphqlMaxAliases: number;
  logLevel: string;
  production: boolean;
}

/**
 * Parse and validate the environment.
 * @throws ConfigError naming the first bad variable, its value and what was expected.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [name, [schema, fallback]] of Object.entries(variables)) {
    const raw = env[name] === '' ? undefined : env[name];
    const value = raw ?? fallback;
    if (value === undefined) continue;
    const result = (schema as z.ZodType).safeParse(value);
    if (!result.success) {
      const expected = result.error.issues[0]?.message ?? 'a valid value';
      // Secrets are never printed; neither is the password inside a URL (DATABASE_URL, REDIS_URL, MAIL_URL).
      const shown = /SECRET|FEED_TOKEN/.test(name) ? '(hidden)' : JSON.stringify(hideUrlPassword(value));
      throw new ConfigError(`${name}=${shown} is invalid: expected ${expected}`);
    }
    out[name] = result.data;
  }
  const p = out as Parsed;
  if (p.JWT_ALG === 'HS256' && !p.JWT_SECRET) {
    throw new ConfigError('JWT_SECRET is required when JWT_ALG=HS256: expected at least 32 characters');
  }
  if (p.COOKIE_SAMESITE === 'None' && !p.COOKIE_SECURE) {
    throw new ConfigError(
      'COOKIE_SAMESITE=None requires COOKIE_SECURE=true (browsers drop SameSite=None cookies without Secure)',
    );
  }
  if (p.WEBHOOK_URLS?.length && !p.WEBHOOK_SECRET) {
    throw new ConfigError(
      'WEBHOOK_SECRET is required when WEBHOOK_URLS is set: expected whsec_ followed by the base64 of 24 to 64 random bytes',
    );
  }
  const apps = appsConfig(p, p.HOST, p.PORT);
  return {
    port: p.PORT,
    host: p.HOST,
    databaseUrl: p.DATABASE_URL,
    dataDir: p.LATCHKEY_DATA_DIR,
    keySecret: p.LATCHKEY_KEY_SECRET,
    oauthProviders: oauthConfig(env, (line) => {
      throw new ConfigError(line);
    }),
    oauthTimeoutMs: p.OAUTH_TIMEOUT,
    autoMigrate: p.LATCHKEY_AUTO_MIGRATE,
    redisUrl: p.REDIS_URL,
    databaseQueryTimeoutMs: p.DATABASE_QUERY_TIMEOUT,
    databasePoolTimeoutMs: p.DATABASE_POOL_TIMEOUT,
    redisCommandTimeoutMs: p.REDIS_COMMAND_TIMEOUT,
    redisBreakerCooldownMs: p.REDIS_BREAKER_COOLDOWN,
    httpRequestTimeoutMs: p.HTTP_REQUEST_TIMEOUT,
    httpHeadersTimeoutMs: p.HTTP_HEADERS_TIMEOUT,
    httpIdleTimeoutMs: p.HTTP_IDLE_TIMEOUT,
    httpKeepAliveTimeoutMs: p.HTTP_KEEP_ALIVE_TIMEOUT,
    accessTokenTtlMs: p.ACCESS_TOKEN_TTL,
    refreshTokenTtlMs: p.REFRESH_TOKEN_TTL,
    rememberMeTtlMs: p.REMEMBER_ME_TTL,
    sessionAbsoluteTtlMs: p.SESSION_ABSOLUTE_TTL,
    refreshReuseGraceMs: p.REFRESH_REUSE_GRACE,
    jwtAlg: p.JWT_ALG,
    jwtSecret: p.JWT_SECRET,
    jwtIssuer: p.JWT_ISSUER,
    jwtAudience: p.JWT_AUDIENCE,
    jwtLeewayMs: p.JWT_LEEWAY,
    cookieSecure: p.COOKIE_SECURE,
    cookieSameSite: p.COOKIE_SAMESITE,
    otpTtlMs: p.OTP_TTL,
    otpMaxAttempts: p.OTP_MAX_ATTEMPTS,
    mailUrl: p.MAIL_URL,
    mailFrom: p.MAIL_FROM,
    passwordBlockCommon: p.PASSWORD_BLOCK_COMMON,
    revocationPollMs: p.REVOCATION_POLL_INTERVAL,
    userCacheTtlMs: p.USER_CACHE_TTL,
    redisKeyPrefix: p.REDIS_KEY_PREFIX,
    rateLimits: rateLimitsConfig(p),
    trustProxy: p.TRUST_PROXY,
    requireEmailVerification: p.REQUIRE_EMAIL_VERIFICATION,
    exposeRefreshToken: p.EXPOSE_REFRESH_TOKEN,
    graphqlMaxDepth: p.GRAPHQL_MAX_DEPTH,
    graphqlMaxAliases: p.GRAPHQL_MAX_ALIASES,
    ...securityConfig(p, apps.publicUrl),
    logLevel: p.LOG_LEVEL,
    production: p.NODE_ENV === 'production',
    ...apps,
    ...webhooksConfig(p),
    ...accountsConfig(p),
  };
}
