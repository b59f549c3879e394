/**
 * The logger's configuration: credentials never reach the logs, whatever the
 * level. Secrets are kept out here, by configuration, never by hand at each
 * call site:
 *
 * - headers that carry them (Authorization, Cookie, Set-Cookie) and fields
 *   named like them are redacted;
 * - request URLs are logged without their query string (a GET /graphql puts
 *   the document and its variables there);
 * - errors are logged from an allow-list of fields: a failed SQL statement
 *   keeps its text but never its parameters (a password hash, an email, a
 *   token's id), which drivers copy into `message`, `stack` and `params`.
 *
 * @example
 *   Fastify({ logger: loggerOptions('info') });
 */
/** Where log lines go (pino's destination): stdout unless a test reads them. */
export interface LogStream {
  write(line: string): void;
}

/** Paths the logger must never print: credentials travel in these. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.refreshToken',
  '*.accessToken',
  '*.code',
  'variables',
];

/** `/graphql?query=…&variables=…` → `/graphql?[redacted]`. */
export function urlWithoutQuery(url: string | undefined): string | undefined {
  const q = url?.indexOf('?') ?? -1;
  return q === -1 ? url : `${url!.slice(0, q)}?[redacted]`;
}

/** Drivers append the bound values to the message (`…\nparams: a,b,c`): cut them off. */
const withoutParams = (text: unknown) =>
  typeof text === 'string' ? text.replace(/\nparams: [\s\S]*?(?=\n {4}at |\ncaused by|$)/g, '\nparams: [redacted]') : undefined;

interface LoggedError {
  type: string;
  message?: string;
  stack?: string;
  code?: unknown;
  statusCode?: unknown;
  /** SQL text (placeholders only: values are bound separately). */
  query?: unknown;
  cause?: LoggedError;
}

/** An error as the logs may show it: type, message, stack, code, SQL text and cause — nothing else. */
export function serializeError(err: unknown, depth = 0): LoggedError | undefined {
  if (!(err instanceof Error)) return err === undefined ? undefined : { type: typeof err, message: withoutParams(String(err)) };
  const e = err as Error & { code?: unknown; statusCode?: unknown; query?: unknown };
  return {
    type: e.constructor?.name ?? e.name,
    message: withoutParams(e.message),
    stack: withoutParams(e.stack),
    code: e.code,
    statusCode: e.statusCode,
    query: typeof e.query === 'string' ? e.query : undefined,
    cause: depth < 5 && e.cause !== undefined ? serializeError(e.cause, depth + 1) : undefined,
  };
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Pino options for the server's logger (level from LOG_LEVEL; `stream` for tests that read the logs). */
export function loggerOptions(level: string, stream?: LogStream) {
  return {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: {
      err: serializeError,
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: urlWithoutQuery(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    ...(stream ? { stream } : {}),
  };
}
