/**
 * Whether an error means "the database cannot answer right now" — refusing connections,
 * out of connection slots, shutting down or starting, a statement cancelled by its time
 * limit, no pooled connection in time — rather than a bug. Such a request did nothing and
 * may be retried: it is answered SERVICE_UNAVAILABLE (HTTP 503, `retryAfter`), never
 * INTERNAL_SERVER_ERROR. Duck-typed on the codes and messages of node-postgres and
 * Node's sockets (drivers wrap them: the whole `cause` chain is read).
 *
 * @example
 *   isUnavailable(new Error('timeout exceeded when trying to connect')); // true
 */

/** SQLSTATE classes and codes: connection exceptions (08), insufficient resources (53), operator intervention (57). */
const SQLSTATES = /^(08...|53...|57P0[1-3]|57014|25P03|55P03)$/;
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const MESSAGES =
  /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection error and is not queryable|terminating connection|too many clients|the database system is (starting up|shutting down|in recovery mode)/i;

export function isUnavailable(error: unknown): boolean {
  let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as typeof e) {
    if (typeof e.code === 'string' && (SQLSTATES.test(e.code) || SOCKET_CODES.has(e.code))) return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  }
  return false;
}
