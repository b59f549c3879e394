/**
 * Where background news goes (a Redis outage, a failing periodic task): the
 * part of pino's logger those modules need, so they do not depend on Fastify.
 *
 * @example
 *   const log: Log = { warn: (d, m) => app.log.warn(d, m), info: (d, m) => app.log.info(d, m) };
 */
export interface Log {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}
