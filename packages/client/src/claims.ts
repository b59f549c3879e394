/** What the client reads from its own access token: nothing it trusts for security, only for timing and its session id. */

/** The claims of a JWT, unverified (the server checks it; the client only reads it); empty when unreadable. */
function claimsOf(jwt: string): { iat?: unknown; exp?: unknown; sid?: unknown } {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='))) ?? {};
  } catch {
    return {};
  }
}

/** exp − iat of a JWT, in ms: the lifetime, independent of any clock difference with the server. */
export function tokenLifetimeMs(jwt: string): number | undefined {
  const { iat, exp } = claimsOf(jwt);
  return typeof exp === 'number' && typeof iat === 'number' ? (exp - iat) * 1000 : undefined;
}

/** The session (`sid`) an access token belongs to. */
export function tokenSessionId(jwt: string): string | null {
  const { sid } = claimsOf(jwt);
  return typeof sid === 'string' ? sid : null;
}
