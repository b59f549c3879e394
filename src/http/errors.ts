/**
 * Mercurius error formatter: every error leaves with `extensions.code` from
 * API.md §5. AuthErrors keep their code and message; invalid documents,
 * variables and requests become BAD_USER_INPUT; anything else becomes
 * INTERNAL_SERVER_ERROR with a generic message (the cause is logged with the
 * request id, never sent: no stack, SQL or token reaches the client).
 *
 * Status codes follow GraphQL-over-HTTP: once execution has started (the
 * result has `data`, even `null`) the answer is 200 — a wrong password is a
 * GraphQL error, not an HTTP one. A request refused before execution has no
 * `data` and a 4xx status (400, or 405/413/415 from the transport), or 500
 * when the server itself failed. SERVICE_UNAVAILABLE (the database overloaded or away;
 * retryable) is 503 with `Retry-After` either way.
 */
import createError, { type FastifyError } from '@fastify/error';
import { GraphQLError } from 'graphql';
import type { FastifyBaseLogger } from 'fastify';
import { AuthError, unavailable } from '../auth/errors.js';
import { isUnavailable } from '../shared/unavailable.js';

interface FormattedError {
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  extensions: Record<string, unknown>;
}

interface Execution {
  data?: unknown;
  statusCode?: number;
  errors: readonly (GraphQLError | Error)[];
}

type WithStatus = Error & { statusCode?: number; errors?: unknown[]; code?: string };

// The refusals before execution, by status; each answers BAD_USER_INPUT (see `format`).
const refusals = {
  400: createError('LATCHKEY_BAD_REQUEST', '%s', 400),
  405: createError('LATCHKEY_METHOD_NOT_ALLOWED', '%s', 405),
  415: createError('LATCHKEY_UNSUPPORTED_MEDIA_TYPE', '%s', 415),
};

/**
 * An error that refuses the whole request before execution, answered with this status and BAD_USER_INPUT.
 *
 * @example
 *   throw requestError(415, 'Unsupported charset: send UTF-8 JSON');
 */
export function requestError(statusCode: keyof typeof refusals, message: string): FastifyError {
  return new refusals[statusCode](message);
}

// Duck-typed rather than `instanceof`: Mercurius and this module may load different copies of graphql (CJS/ESM).
const isGraphQLError = (e: unknown): e is GraphQLError =>
  (e as Error | undefined)?.name === 'GraphQLError' || e instanceof GraphQLError;

function originalOf(error: GraphQLError | Error): WithStatus | undefined {
  return (isGraphQLError(error) ? error.originalError : error) as WithStatus | undefined;
}

function format(error: GraphQLError | Error, log: FastifyBaseLogger, wrapper?: WithStatus): FormattedError {
  const gql = isGraphQLError(error) ? error : undefined;
  const where = { locations: gql?.locations, path: gql?.path };
  const original = originalOf(error);
  if (original instanceof AuthError) {
    return { message: original.message, ...where, extensions: { ...original.extensions, code: original.code } };
  }
  // graphql-js validation and coercion errors carry no original error; Mercurius
  // wraps invalid documents (and queries too deep) in a 4xx error.
  const status = wrapper?.statusCode ?? original?.statusCode;
  if ((gql && !gql.originalError) || (status && status >= 400 && status < 500)) {
    return { message: error.message, ...where, extensions: { code: 'BAD_USER_INPUT' } };
  }
  // The database overloaded, stalled or away: nothing was done, the client may retry.
  if (isUnavailable(original ?? error)) {
    log.warn({ err: original ?? error }, 'database unavailable; answered SERVICE_UNAVAILABLE');
    const busy = unavailable();
    return { message: busy.message, ...where, extensions: { ...busy.extensions, code: busy.code } };
  }
  log.error({ err: original ?? error }, 'unexpected error while handling a GraphQL request');
  return { message: 'Internal server error', ...where, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/**
 * graphql-js suggests names ("Cannot query field "mee" on type "Query". Did you mean "me"?"):
 * with introspection off (production) that would still map the schema field by field.
 */
const SUGGESTION = / ?Did you mean [^?]*\?$/;

/** The formatter for this server: as `errorFormatter`, without name suggestions in production. */
export function createErrorFormatter({ production }: { production: boolean }): typeof errorFormatter {
  if (!production) return errorFormatter;
  return (execution, context) => {
    const formatted = errorFormatter(execution, context);
    for (const e of formatted.response.errors as FormattedError[]) e.message = e.message.replace(SUGGESTION, '');
    return formatted;
  };
}

export function errorFormatter(
  execution: Execution,
  context: {
    reply?: { log: FastifyBaseLogger; header(name: string, value: string): unknown };
    app: { log: FastifyBaseLogger };
  },
) {
  const log = context.reply?.log ?? context.app.log;
  const errors: FormattedError[] = [];
  for (const error of execution.errors) {
    const original = originalOf(error);
    if (original && Array.isArray(original.errors) && !(original instanceof AuthError)) {
      for (const inner of original.errors) errors.push(format(inner as Error, log, original));
    } else {
      errors.push(format(error, log));
    }
  }
  // A retryable refusal is HTTP 503 with Retry-After, even once execution started, so that
  // balancers, proxies and plain HTTP clients see it for what it is.
  const busy = errors.find((e) => e.extensions.code === 'SERVICE_UNAVAILABLE');
  if (busy) context.reply?.header('retry-after', String(busy.extensions.retryAfter ?? 1));
  // `data` is absent (not null) when the request failed before execution.
  if (execution.data !== undefined)
    return { statusCode: busy ? 503 : 200, response: { data: execution.data as never, errors: errors as never } };
  const single = execution.errors.length === 1 ? originalOf(execution.errors[0]) : undefined;
  const statusCode =
    execution.statusCode ??
    (typeof single?.statusCode === 'number' && single.statusCode >= 400 ? single.statusCode : undefined) ??
    (busy ? 503 : errors.some((e) => e.extensions.code === 'INTERNAL_SERVER_ERROR') ? 500 : 400);
  return { statusCode, response: { errors: errors as never } };
}
