/**
 * Errors the client throws. `code` is Latchkey's `extensions.code` (API.md §5),
 * or `NETWORK_ERROR` when the server could not be reached.
 *
 * @example
 *   try { await client.login({ email, password }); }
 *   catch (e) { if (e instanceof LatchkeyError && e.code === 'INVALID_CREDENTIALS') showWrongPassword(); }
 */
export class LatchkeyError extends Error {
  override name = 'LatchkeyError';
  constructor(
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * A refresh that fails with one of these means the session is over: sign out with the code as the reason.
 * TOKEN_REVOKED, TOKEN_REUSED and SESSION_EXPIRED end a session; the others say the refresh cookie
 * itself is gone or dead. Anything else — SERVICE_UNAVAILABLE, RATE_LIMITED, INTERNAL_SERVER_ERROR,
 * NETWORK_ERROR, TIMEOUT — is passing: the session is kept and the refresh tried again later.
 */
export const SESSION_ENDING_CODES: ReadonlySet<string> = new Set([
  'TOKEN_REVOKED',
  'TOKEN_REUSED',
  'SESSION_EXPIRED',
  'TOKEN_EXPIRED',
  'TOKEN_INVALID',
  'UNAUTHENTICATED',
]);

/** A request that fails with one of these may succeed with a fresh access token: refresh once and retry once. */
export const ACCESS_TOKEN_CODES: ReadonlySet<string> = new Set(['TOKEN_EXPIRED', 'TOKEN_INVALID', 'TOKEN_REVOKED']);
