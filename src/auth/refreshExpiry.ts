/**
 * When a refresh token expires — the one rule, used for a session's first token,
 * for a rotation's successor (the statement is given its results) and for the
 * refresh cookie's Max-Age (which follows the token it carries).
 */
import type { Config } from '../config.js';

export type RefreshExpiryConfig = Pick<Config, 'refreshTokenTtlMs' | 'rememberMeTtlMs'>;

// Whole seconds, so the token string can be signed again from the row alone.
const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

/** The remember-me choice picks the lifetime; never past the session's absolute end. */
export function refreshExpiry(
  config: RefreshExpiryConfig,
  rememberMe: boolean,
  now: number,
  sessionEndsAt = Infinity,
): Date {
  const lifetime = rememberMe ? config.rememberMeTtlMs : config.refreshTokenTtlMs;
  return new Date(Math.min(wholeSeconds(now + lifetime), wholeSeconds(sessionEndsAt)));
}

/**
 * How long the browser keeps the refresh cookie, in seconds: undefined (until it closes)
 * without remember-me, else the token's own lifetime (exp − iat), so a fresh token gets
 * exactly REMEMBER_ME_TTL however long the request took, and one capped by the session's
 * end less. (A token handed again inside the grace window keeps its cookie a few seconds
 * past its expiry at most; the server refuses it then.)
 */
export function refreshCookieMaxAge(result: {
  rememberMe: boolean;
  refreshTokenIssuedAt: Date;
  refreshTokenExpiresAt: Date;
}): number | undefined {
  if (!result.rememberMe) return undefined;
  return Math.max(
    0,
    Math.ceil((result.refreshTokenExpiresAt.getTime() - result.refreshTokenIssuedAt.getTime()) / 1000),
  );
}
